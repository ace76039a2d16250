"""The cast of the team tests and helpers to act as each of them.

Challenge "Heart Data" (teams of 1 to 4, two rounds) with its founder; team "Heartbeat" of its
captain and one member; team "Pulse" of another captain and member; a registered participant in no
team; a judge (a plain user until issue #5 gives judges their relation); an outsider (signed in, not
registered) and the visitor (signed out).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge, Round
from app.db import utcnow
from app.notifications.models import Notification
from app.platform.models import AuditEntry
from app.teams.models import JoinRequest, Team, TeamMember
from tests.factories import make_challenge, make_founder, make_registration, make_team, make_user, sign_in

ROLES = ("captain", "member", "other_member", "founder", "judge", "outsider", "visitor")


@dataclasses.dataclass
class Cast:
    challenge: Challenge
    team: Team
    other_team: Team
    founder: User
    captain: User
    member: User
    other_captain: User
    other_member: User
    participant: User
    judge: User
    outsider: User

    def person(self, role: str) -> User | None:
        return None if role == "visitor" else getattr(self, role)


async def registered(db: Any, challenge: Challenge, name: str, **fields: Any) -> User:
    user = await make_user(db, name=name, **fields)
    await make_registration(db, challenge, user)
    return user


async def make_cast(db: Any, **challenge_fields: Any) -> Cast:
    fields = {"title": "Heart Data", "team_min": 1, "team_max": 4, "rounds": 2, **challenge_fields}
    challenge = await make_challenge(db, **fields)
    founder = await make_founder(db, challenge, name="Fanny Founder")
    captain = await registered(db, challenge, "Carla Captain")
    member = await registered(db, challenge, "Marc Member")
    other_captain = await registered(db, challenge, "Otto Other")
    other_member = await registered(db, challenge, "Olga Other")
    participant = await registered(db, challenge, "Paula Participant")
    team = await make_team(db, challenge, captain, members=(member,), name="Heartbeat")
    other_team = await make_team(db, challenge, other_captain, members=(other_member,), name="Pulse")
    judge = await make_user(db, name="Jules Judge")
    outsider = await make_user(db, name="Oscar Outsider")
    return Cast(
        challenge,
        team,
        other_team,
        founder,
        captain,
        member,
        other_captain,
        other_member,
        participant,
        judge,
        outsider,
    )


async def as_user(client: Any, db: Any, user: User | None) -> Any:
    """Make the test client act as `user` (signed out for None)."""
    client.cookies.clear()
    if user is not None:
        await sign_in(client, db, user)
    return client


async def send(client: Any, method: str, url: str, data: Any = None) -> Any:
    """A request as a page or an API client sends it: forms with their CSRF field, JSON with the header."""
    if method == "GET":
        return await client.get(url)
    if url.startswith("/api/"):
        return await client.request(method, url, json=data, headers={"X-CSRF-Token": await client.csrf()})
    return await client.submit(url, data or {})


async def fresh(db: Any, model: Any, id_: Any) -> Any:
    """A row as the database holds it now (the app changed it through its own session)."""
    return await db.scalar(select(model).where(model.id == id_).execution_options(populate_existing=True))


async def member_ids(db: Any, team: Team) -> set[Any]:
    return set(await db.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team.id)))


async def role_of(db: Any, team: Team, user: User) -> str | None:
    return await db.scalar(
        select(TeamMember.role)
        .where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
        .execution_options(populate_existing=True)
    )


async def count_members(db: Any, team: Team) -> tuple[int, int]:
    """(member rows, the team's counter), which must always agree."""
    rows = await db.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team.id))
    counter = await db.scalar(
        select(Team.member_count).where(Team.id == team.id).execution_options(populate_existing=True)
    )
    return rows, counter


async def join_request(db: Any, team: Team, user: User, message: str = "") -> JoinRequest:
    request = JoinRequest(team_id=team.id, user_id=user.id, message=message)
    db.add(request)
    await db.flush()
    return request


async def notifications_of(db: Any, user: User, kind: str) -> list[Notification]:
    return list(
        await db.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


async def audit_entries(db: Any, action: str, object_id: Any = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == str(object_id))
    return list(await db.scalars(statement))


async def first_deadline(
    db: Any, challenge: Challenge, in_: dt.timedelta = dt.timedelta(hours=1)
) -> dt.datetime:
    """Move the first round's deadline to `in_` from now (a whole second), within a session's lifetime."""
    first = await db.scalar(
        select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position).limit(1)
    )
    first.deadline = (utcnow() + in_).replace(microsecond=0)
    await db.flush()
    return first.deadline
