"""The cast of the challenge-core tests: two challenges side by side, their founders, people, an admin.

Imported by each test_core_*/test_rounds_*/test_programs_* module (a conftest.py here would be
shared with the other parts of the issue).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeOrganizer
from app.db import utcnow
from app.organizations.models import Organization
from tests.conftest import Client, make_client
from tests.factories import make_challenge, make_organization, make_registration, make_user, sign_in

ROLES = ("founder", "other_founder", "user", "participant", "admin", "visitor")


@dataclasses.dataclass
class Cast:
    founder: User
    other_founder: User
    user: User
    participant: User
    admin: User
    organization: Organization
    public: Challenge
    draft: Challenge
    private: Challenge
    other: Challenge

    def person(self, role: str) -> User | None:
        return None if role == "visitor" else getattr(self, role)


async def organize(db, challenge: Challenge, organization: Organization) -> None:
    db.add(ChallengeOrganizer(challenge_id=challenge.id, organization_id=organization.id))
    await db.flush()


def complete(now: dt.datetime | None = None, **fields: Any) -> dict[str, Any]:
    """Fields of a challenge that can be published as is (make_challenge gives the rest)."""
    now = now or utcnow()
    return {"results_at": now + dt.timedelta(days=40), **fields}


@pytest.fixture
async def cast(db) -> Cast:
    """Acme Hospital (the founder's) organizes a public, a draft and an invitation-only challenge;
    Other Lab (the other founder's) organizes another one; a participant is registered to the public one."""
    founder = await make_user(db, name="Fanny Founder")
    other_founder = await make_user(db, name="Otto Other")
    user = await make_user(db, name="Ursula User")
    participant = await make_user(db, name="Paul Participant")
    admin = await make_user(db, name="Ada Admin", admin=True)
    organization = await make_organization(db, name="Acme Hospital", kind="hospital", owner=founder, verified=True)
    other_org = await make_organization(db, name="Other Lab", kind="academic_lab", owner=other_founder)
    public = await make_challenge(db, title="Public Heart Challenge", **complete())
    draft = await make_challenge(db, title="Draft Lung Challenge", published=False, **complete())
    private = await make_challenge(db, title="Private Kidney Challenge", visibility="invitation", **complete())
    other = await make_challenge(db, title="Other Brain Challenge", **complete())
    for challenge in (public, draft, private):
        await organize(db, challenge, organization)
    await organize(db, other, other_org)
    await make_registration(db, public, participant)
    return Cast(founder, other_founder, user, participant, admin, organization, public, draft, private, other)


@pytest.fixture
async def browser(app, session_maker, db):
    """Open a browser, signed in as `user` when given: `await browser(user)`; each has its own cookies."""
    app.state.services.session_maker = session_maker
    opened: list[Client] = []

    async def open_as(user: User | None = None) -> Client:
        client = make_client(app)
        await client.__aenter__()
        opened.append(client)
        if user is not None:
            await sign_in(client, db, user)
        return client

    yield open_as
    for client in opened:
        await client.__aexit__(None, None, None)


async def send(client: Client, method: str, url: str, data: Any = None):
    """A request as a page or API client sends it: forms with their CSRF field, JSON with the header."""
    if method == "GET":
        return await client.get(url)
    if url.startswith("/api/"):
        return await client.request(method, url, json=data if data is not None else {},
                                    headers={"X-CSRF-Token": await client.csrf()})
    return await client.submit(url, data or {})


async def audit_entries(db, action: str, object_id=None) -> list:
    from app.platform.models import AuditEntry

    statement = select(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == str(object_id))
    return list(await db.scalars(statement))


async def reload(db, obj):
    await db.refresh(obj)
    return obj


class StatementCounter:
    """Counts the SQL statements run on the test's connection (the app's sessions share it)."""

    def __init__(self, connection) -> None:
        self.sync = connection.sync_connection
        self.count = 0

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.sync, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.sync, "before_cursor_execute", self._seen)


async def sessions_from(db, moment: dt.datetime) -> None:
    """Date every session from `moment`, so sessions stay valid while a test travels to it."""
    from sqlalchemy import update

    from app.accounts.models import UserSession

    await db.execute(update(UserSession).values(created_at=moment, last_seen_at=moment))

