"""PostgreSQL restarted under a running app: fast 503s during the outage, service back without a restart.

Uses its own embedded PostgreSQL, since stopping the shared test server would break the other tests.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from app.accounts.models import User, UserSession
from app.accounts.passwords import hash_password
from app.accounts.sessions import hash_token
from app.main import create_app
from app.platform.embedded import EmbeddedPostgres, start_postgres
from app.platform.migrations import upgrade
from app.platform.pgtools import asyncpg_dsn
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.embedded, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def postgres() -> Iterator[EmbeddedPostgres]:
    # Outside pytest's temporary root, which another test process may close to its owner (see test_embedded).
    folder = Path(tempfile.mkdtemp(prefix="tremplin-outage-"))
    server = start_postgres(folder)
    try:
        upgrade(server.url)
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def app(postgres: EmbeddedPostgres, settings: Settings, tmp_path: Path) -> AsyncIterator[Litestar]:
    """The app as production builds it: its own engine and pool, from a database URL."""
    application = create_app(
        settings.replace(
            database_url=postgres.url,
            data_dir=tmp_path,
            db_statement_timeout_ms=1500,
            db_lock_timeout_ms=700,
            db_idle_in_transaction_timeout_ms=4000,
        )
    )
    await application.state.services.start()
    yield application
    await application.state.services.stop()


async def signed_in_cookie(app: Litestar) -> str:
    """A committed user and session, so that each page request reads the database to know who asks."""
    token = "s_" + secrets.token_urlsafe(32)
    async with app.state.services.session_maker() as session:
        user = User(
            email=f"outage-{secrets.token_hex(4)}@example.org",
            name="Outage",
            password_hash=hash_password(DEFAULT_PASSWORD),
        )
        session.add(user)
        await session.flush()
        session.add(UserSession(id=hash_token(token), user_id=user.id))
        await session.commit()
    return token


async def test_requests_fail_fast_with_503_while_postgres_is_down_then_recover_without_restart(app, postgres):
    token = await signed_in_cookie(app)
    async with make_client(app) as client:
        client.cookies.set("tremplin", token, domain="testserver.local")
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/ready")).status_code == 200

        postgres.server.stop()
        try:
            started = time.monotonic()
            page = await client.get("/")
            assert page.status_code == 503
            assert "temporarily unavailable" in page.text
            assert time.monotonic() - started < 10
            ready = await client.get("/ready")
            assert ready.status_code == 503 and ready.json()["database"] == "unavailable"
        finally:
            # Starts the server again on the same socket (a no-op if it is still running).
            postgres.server.ensure_postgres_running()

        assert (await client.get("/")).status_code == 200
        assert (await client.get("/ready")).status_code == 200


async def test_a_pooled_connection_killed_between_requests_is_replaced_on_checkout_by_a_one_statement_ping(
    app, postgres
):
    engine = app.state.services.engine
    pings: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        pings.append(statement)

    token = await signed_in_cookie(app)
    async with make_client(app) as client:
        client.cookies.set("tremplin", token, domain="testserver.local")
        assert (await client.get("/")).status_code == 200
        # Every idle pooled connection loses its backend, as after an administrator's command or a failover.
        outside = await asyncpg.connect(asyncpg_dsn(postgres.url))
        try:
            killed = await outside.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'tremplin'"
            )
        finally:
            await outside.close()
        assert killed >= 1
        for _ in range(5):
            assert (await client.get("/")).status_code == 200
    # The ping is one `;` sent by asyncpg itself, not BEGIN + ; + ROLLBACK through SQLAlchemy's cursor.
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert pings == ["SELECT 1"]


async def test_app_connections_carry_the_configured_timeouts(app):
    async with app.state.services.engine.connect() as conn:
        shown = {
            name: await conn.scalar(text(f"SHOW {name}"))
            for name in (
                "statement_timeout",
                "lock_timeout",
                "idle_in_transaction_session_timeout",
                "plan_cache_mode",
            )
        }
    assert shown == {
        "statement_timeout": "1500ms",
        "lock_timeout": "700ms",
        "idle_in_transaction_session_timeout": "4s",
        # Prepared statements are planned for their parameters every time (a generic plan made the ranking 9x slower).
        "plan_cache_mode": "force_custom_plan",
    }


async def test_a_hung_query_is_cancelled_by_the_statement_timeout(app):
    started = time.monotonic()
    with pytest.raises(DBAPIError, match="statement timeout"):
        async with app.state.services.engine.connect() as conn:
            await conn.execute(text("SELECT pg_sleep(10)"))
    assert time.monotonic() - started < 5


async def test_a_signed_in_request_finding_every_pooled_connection_busy_gets_503_not_500(
    postgres, settings, tmp_path
):
    # One pooled connection and one overflow, both held: the session lookup waits pool_timeout, then gives up.
    application = create_app(settings.replace(database_url=postgres.url, data_dir=tmp_path, db_pool_size=1))
    await application.state.services.start()
    try:
        token = await signed_in_cookie(application)
        engine = application.state.services.engine
        async with make_client(application) as client, engine.connect() as first, engine.connect() as second:
            await first.execute(text("SELECT 1"))
            await second.execute(text("SELECT 1"))
            client.cookies.set("tremplin", token, domain="testserver.local")
            started = time.monotonic()
            page = await client.get("/")
            assert page.status_code == 503
            assert "temporarily unavailable" in page.text
            assert time.monotonic() - started < 10
        async with make_client(application) as client:
            client.cookies.set("tremplin", token, domain="testserver.local")
            assert (await client.get("/")).status_code == 200
    finally:
        await application.state.services.stop()
