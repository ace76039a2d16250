"""The cast of the organization tests: two organizations side by side, their people, and an admin."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from app.accounts.models import User
from app.db import async_url, make_session_maker
from app.organizations.models import Organization
from app.platform.migrations import upgrade
from tests.conftest import Client, _drop_database, _recreate_database, _with_database, make_client, worker_id
from tests.factories import make_organization, make_user, sign_in


@dataclasses.dataclass
class Cast:
    owner: User
    member: User
    user: User
    admin: User
    other_owner: User
    organization: Organization
    other: Organization


@pytest.fixture
def race_database(servers):
    """A migrated database of its own, for races between really committed transactions."""
    name = f"tremplin_race_{worker_id()}"
    asyncio.run(_recreate_database(servers["database"], name))
    url = _with_database(servers["database"], name)
    upgrade(url)
    yield url
    asyncio.run(_drop_database(servers["database"], name))


@pytest.fixture
async def race_sessions(race_database):
    """Sessions on the race database; each one is its own connection and transaction."""
    engine = create_async_engine(async_url(race_database))
    yield make_session_maker(engine)
    await engine.dispose()


@pytest.fixture(autouse=True)
def _queue_emptied_after_each_test(redis):
    """Invitations queue e-mails; the `redis` fixture removes the jobs sent, so later tests start empty."""


@pytest.fixture
async def cast(db) -> Cast:
    """Acme Health (owner + member), Other Lab (other_owner); a plain user and an admin belong to neither."""
    owner = await make_user(db, name="Olivia Owner", email="olivia@acme.example")
    member = await make_user(db, name="Marc Member", email="marc@acme.example")
    user = await make_user(db, name="Ursula User", email="ursula@example.org")
    admin = await make_user(db, name="Ada Admin", email="ada@tremplin.example", admin=True)
    other_owner = await make_user(db, name="Oscar Other", email="oscar@other.example")
    organization = await make_organization(
        db, name="Acme Health", kind="hospital", owner=owner, members=(member,)
    )
    other = await make_organization(db, name="Other Lab", kind="academic_lab", owner=other_owner)
    return Cast(owner, member, user, admin, other_owner, organization, other)


@pytest.fixture
async def browser(app, session_maker, db):
    """Open a signed-in browser for a user: `await browser(user)`; each has its own cookies."""
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


async def make_invitation(db, organization: Organization, inviter: User, email: str, role: str = "member"):
    from app.organizations.models import OrganizationInvitation

    invitation = OrganizationInvitation(
        organization_id=organization.id, email=email.lower(), role=role, invited_by_id=inviter.id
    )
    db.add(invitation)
    await db.flush()
    return invitation


def invitation_url(settings, invitation) -> str:
    from app.organizations.invitations import invitation_path

    return invitation_path(settings, invitation.id)


async def send(client: Client, method: str, url: str, data: dict | None = None):
    """A request as a page or API client sends it: forms with their CSRF field, JSON with the header."""
    if method == "GET":
        return await client.get(url)
    if url.startswith("/api/"):
        return await client.request(
            method, url, json=data or {}, headers={"X-CSRF-Token": await client.csrf()}
        )
    return await client.submit(url, data or {})


async def audit_entries(db, action: str, object_id=None) -> list:
    from sqlalchemy import select

    from app.platform.models import AuditEntry

    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == str(object_id))
    return list(await db.scalars(statement))
