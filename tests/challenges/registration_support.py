"""The cast and helpers of the registration tests: one open challenge, its founder, a founder of another,
a participant, a registered participant and an admin; plus requests as each of them."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge, Registration
from app.notifications.models import Notification
from app.organizations.models import Organization
from app.platform.models import AuditEntry
from tests.factories import (
    make_challenge,
    make_founder,
    make_organization,
    make_registration,
    make_user,
    sign_in,
)

QUESTIONS = [
    {"key": "pitch", "label": "Your pitch in two sentences", "required": True},
    {"key": "site", "label": "Website", "required": False},
]


@dataclasses.dataclass
class Cast:
    challenge: Challenge
    other_challenge: Challenge
    founder: User
    other_founder: User
    participant: User
    registered: User
    admin: User
    startup: Organization


async def make_cast(db: Any, **challenge_fields: Any) -> Cast:
    """Challenge "Heart Data" (manual approval, two questions) and the people around it."""
    fields = {
        "title": "Heart Data",
        "rules": "Be **kind**.",
        "registration_questions": QUESTIONS,
        **challenge_fields,
    }
    challenge = await make_challenge(db, **fields)
    other_challenge = await make_challenge(db, title="Lung Data")
    founder = await make_founder(db, challenge, name="Fanny Founder")
    other_founder = await make_founder(db, other_challenge, name="Oscar Other")
    participant = await make_user(db, name="Paula Participant", email="paula@acme-health.example")
    startup = await make_organization(db, name="Acme Health", kind="startup", country="FR", owner=participant)
    registered = await make_user(db, name="Rita Registered")
    await make_registration(db, challenge, registered, answers={"pitch": "Already in."})
    admin = await make_user(db, name="Ada Admin", admin=True)
    return Cast(challenge, other_challenge, founder, other_founder, participant, registered, admin, startup)


async def as_user(client: Any, db: Any, user: User | None) -> Any:
    """Make the test client act as `user` (signed out for None)."""
    client.cookies.clear()
    if user is not None:
        await sign_in(client, db, user)
    return client


def registration_form(challenge: Challenge, **fields: Any) -> dict[str, Any]:
    """A complete, valid registration form for `challenge` (answering the cast's question when it has it)."""
    form = {"accept_rules_version": str(challenge.rules_version)}
    if any(question["key"] == "pitch" for question in challenge.registration_questions):
        form["answer.pitch"] = "We predict heart failure."
    return {**form, **fields}


async def send(client: Any, method: str, url: str, data: Any = None) -> Any:
    """A request as a page or an API client sends it: forms with their CSRF field, JSON with the header."""
    if method == "GET":
        return await client.get(url)
    if url.startswith("/api/"):
        return await client.request(method, url, json=data, headers={"X-CSRF-Token": await client.csrf()})
    return await client.submit(url, data or {})


async def registration_of(db: Any, challenge: Challenge, user: User) -> Registration | None:
    # Fresh from the database: the app changed the row through its own session.
    return await db.scalar(
        select(Registration)
        .where(Registration.challenge_id == challenge.id, Registration.user_id == user.id)
        .execution_options(populate_existing=True)
    )


async def audit_entries(db: Any, action: str, object_id: Any = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == str(object_id))
    return list(await db.scalars(statement))


async def notifications_of(db: Any, user: User, kind: str | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return list(await db.scalars(statement))


async def count_registrations(db: Any, challenge: Challenge) -> int:
    return await db.scalar(
        select(func.count()).select_from(Registration).where(Registration.challenge_id == challenge.id)
    )
