"""schemathesis against the app's own OpenAPI document, in-process: every operation under /api/v1, as each role
(visitor, team member, captain, founder, judge, data steward, admin) signed in through a browser session with
its CSRF token. No answer is a server error, and every answer is one the document declares, with the declared
content type and body (SECURITY.md: "every client error is a 4xx with a clear message").

Cases come from schemathesis's Hypothesis strategies (valid and invalid data); path parameters are either
objects of one world (tests/security/worlds.py) that the role may or may not reach, or generated values.
Requests go through the suite's httpx client so that they run in the test's event loop and transaction, and
schemathesis checks the answers. The run is derandomized: the same cases every time, a few per operation
and role (about 20 per operation), so that the whole file stays within a few minutes on CI.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from app.accounts.models import UserSession
from app.accounts.sessions import hash_token
from tests.conftest import SECRET
from tests.factories import make_user
from tests.security.routes import UnknownParameter, value_for
from tests.security.worlds import Storage, World, build_world

ROLES = ["visitor", "member", "captain", "founder", "judge", "steward", "admin"]
EXAMPLES_PER_ROLE = 3
BASE_URL = "http://testserver.local"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _schema() -> Any:
    """The document the app serves, built without a database (create_app connects nothing)."""
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(
        database_url="postgresql://unused@127.0.0.1/unused",
        redis_url="redis://127.0.0.1/0",
        secret_key=SECRET,
        base_url=BASE_URL,
    )
    document = create_app(settings).openapi_schema.to_schema()
    return schemathesis.openapi.from_dict(document)


SCHEMA = _schema()
OPERATIONS = {
    operation.label: operation
    for result in SCHEMA.get_all_operations()
    for operation in [result.ok()]
    if operation.path.startswith("/api/v1/")
}


# --- one world for the whole module; each test runs in a savepoint of it ------------------------------------------


@pytest.fixture(scope="module")
async def world_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture(scope="module")
async def world(
    world_connection: AsyncConnection, settings: Any
) -> AsyncIterator[tuple[World, dict[str, str]]]:
    """The world and, per role, the cookie of a signed-in session."""
    maker = async_sessionmaker(
        bind=world_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    storage = Storage(settings)
    async with maker() as db:
        built = await build_world(db, settings, storage, "F")
        admin = await make_user(db, name="Ada Admin", admin=True)
        people = {role: built.person(role) for role in ("member", "captain", "founder", "judge", "steward")}
        people["admin"] = admin
        cookies = {}
        for role, person in people.items():
            cookies[role] = "s_" + secrets.token_urlsafe(32)
            db.add(UserSession(id=hash_token(cookies[role]), user_id=person.id))
        # Releases the session's savepoint into the module's transaction (closing would roll it back).
        await db.commit()
    yield built, cookies
    await storage.remove_all()


@pytest.fixture
async def connection(world_connection: AsyncConnection, world: Any) -> AsyncIterator[AsyncConnection]:
    """Overrides the suite's per-test connection: a savepoint of the module's world, rolled back after the test."""
    savepoint = await world_connection.begin_nested()
    yield world_connection
    if savepoint.is_active:
        await savepoint.rollback()


@pytest.fixture
async def as_role(client: Any, world: Any, role: str) -> Any:
    _world, cookies = world
    if role in cookies:
        client.cookies.set("tremplin", cookies[role], domain="testserver.local")
    client.headers["X-CSRF-Token"] = await client.csrf()
    return client


# --- the run --------------------------------------------------------------------------------------------------


def _path_parameters(data: Any, operation: Any, world: World) -> dict[str, Any]:
    """For each path parameter, the world's object (two times in three) or a generated value (left out)."""
    fixed = {}
    for parameter in operation.path_parameters:
        if data.draw(st.sampled_from([True, True, False]), label=f"world's {parameter.name}"):
            try:
                fixed[parameter.name] = str(value_for(operation.path, parameter.name, world))
            except UnknownParameter:
                continue
    return fixed


def _httpx_kwargs(case: Any) -> dict[str, Any]:
    """schemathesis prepares requests for `requests`; httpx takes raw bodies as `content`."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), (bytes, str)):
        kwargs["content"] = kwargs.pop("data")
    return kwargs


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
@settings(
    max_examples=EXAMPLES_PER_ROLE,
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: a failure is reported as found, which keeps a failing CI run as short as a passing one.
    phases=[Phase.explicit, Phase.generate],
    # The client and the world are per test, not per example, on purpose (examples share the test's savepoint);
    # schemathesis's strategies are large and filter a lot, which the other checks would call too slow.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
async def test_api_answers_as_documented_and_never_fails(
    as_role: Any, world: Any, label: str, role: str, data: Any
) -> None:
    operation = OPERATIONS[label]
    built, _cookies = world
    mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]), label="mode")
    case = data.draw(
        operation.as_strategy(generation_mode=mode, path_parameters=_path_parameters(data, operation, built)),
        label="case",
    )
    response = await as_role.request(**_httpx_kwargs(case))
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS
    case.validate_response(response, checks=checks)


async def test_the_document_describes_the_api_only_with_its_refusals(client: Any) -> None:
    """Pages (organizations, administration) were listed as API operations, and refusals were documented with
    a body the API never sends; the document now holds /api/ only, each refusal a problem document."""
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["paths"] and all(path.startswith("/api/v1/") for path in document["paths"])
    refusal = document["paths"]["/api/v1/teams/{team_id}"]["patch"]["responses"]["422"]
    assert refusal["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "200" in document["paths"]["/api/v1/rounds/{round_id}/assignments"]["post"]["responses"]
    assert "*/*" in document["paths"]["/api/v1/files/{file_id}"]["get"]["responses"]["200"]["content"]
    # Bodies refuse unknown fields (400): the document says so.
    assert document["components"]["schemas"]["TeamCreate"]["additionalProperties"] is False
