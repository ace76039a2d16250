"""Seats and members: joining takes a seat, removal and leaving give it back, the captaincy changes hands.

Captains run their team until membership is frozen (the first round's deadline); founders may change
any team at any time, saying why, and each such change is an audit entry ("team:override_members").
A captain leaves only after handing over the captaincy, unless alone: then leaving dissolves the
team, provided it has no submission yet (a team with saved work is never deleted by leaving: nothing
already saved is lost; the founders can still change the team).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge
from app.notifications.services import notify
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.teams.models import Submission, Team, TeamMember
from app.teams.schemas import addition_input, member_input, reason_input
from app.teams.teams import (
    TeamContext,
    already_in_team,
    cancel_pending_requests,
    check_may_join,
    ensure_open,
    load_team,
)

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


def team_full(count: int, maximum: int) -> Conflict:
    return Conflict(detail=_("This team is full (%(count)s of %(max)s).", count=count, max=maximum))


async def take_seat(
    session: AsyncSession, team: Team, user_id: uuid.UUID, *, name: str | None = None
) -> None:
    """Seat the person in the team as a member, or refuse: the team is full (409), or the person is already
    in a team of the challenge (409; `name` says who when it is not the actor).

    The seat is taken by one conditional UPDATE of the counter against the challenge's maximum, read
    in the same statement: concurrent joins queue on the team's row and each sees the count the one
    before left, so no team ever goes over. The member row's UNIQUE(challenge_id, user_id) then refuses
    a second team. Both run in a savepoint, so a refusal leaves the counter as it was.
    """
    team_max = select(Challenge.team_max).where(Challenge.id == Team.challenge_id).scalar_subquery()
    try:
        async with session.begin_nested():
            count = await session.scalar(
                update(Team)
                .where(Team.id == team.id, Team.member_count < team_max)
                .values(member_count=Team.member_count + 1)
                .returning(Team.member_count)
                .execution_options(synchronize_session=False)
            )
            if count is None:
                raise await _full(session, team)
            session.add(
                TeamMember(team_id=team.id, user_id=user_id, challenge_id=team.challenge_id, role="member")
            )
            await session.flush()
    except IntegrityError:
        raise already_in_team(name) from None
    set_committed_value(team, "member_count", count)


async def _full(session: AsyncSession, team: Team) -> Exception:
    row = (
        await session.execute(
            select(Team.member_count, Challenge.team_max)
            .join(Challenge, Challenge.id == Team.challenge_id)
            .where(Team.id == team.id)
        )
    ).one_or_none()
    if row is None:
        return NotFoundException()
    return team_full(*row)


async def _free_seat(session: AsyncSession, team: Team, user_id: uuid.UUID) -> bool:
    """Remove the person's member row and give its seat back; False when they were not a member."""
    removed = await session.scalar(
        delete(TeamMember)
        .where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
        .returning(TeamMember.user_id)
    )
    if removed is None:
        return False
    count = await session.scalar(
        update(Team)
        .where(Team.id == team.id)
        .values(member_count=Team.member_count - 1)
        .returning(Team.member_count)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(team, "member_count", count)
    return True


def _authority(actor: Actor, ctx: TeamContext, now: dt.datetime, reason: Any) -> str | None:
    """Who may change the team's members: its captain while membership is open, or a founder (any time,
    with a reason: returned, for the audit entry). Anyone else is refused (403 or 404)."""
    if ctx.can(actor, "team:manage_members"):
        ensure_open(ctx.challenge, ctx.rounds, now)
        return None
    authz.require(actor, "team:override_members", ctx.relations)
    return reason_input(reason)


async def _audit_override(
    session: AsyncSession, actor: Actor, ctx: TeamContext, change: str, reason: str, **details: Any
) -> None:
    await audit.record(
        session,
        actor,
        "team:override_members",
        "team",
        ctx.team.id,
        {
            "challenge": ctx.challenge.slug,
            "team": ctx.team.name,
            "change": change,
            "reason": reason,
            **details,
        },
    )


def _params(ctx: TeamContext) -> dict[str, str]:
    return {"team": ctx.team.name, "challenge": ctx.challenge.title}


# --- removing, leaving ------------------------------------------------------------------------------------


async def remove_member(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    now: dt.datetime,
    *,
    reason: Any = None,
) -> None:
    """The captain (until the freeze) or a founder (with a reason, audited) removes a member, who is told.

    The captain is never removed: the captaincy is handed over first (409). Someone not in the team is 404.
    """
    ctx = await load_team(session, actor, team_id, "team:view", lock=True)
    override = _authority(actor, ctx, now, reason)
    if user_id == ctx.team.captain_id:
        raise Conflict(
            detail=_("The captain cannot be removed: hand over the captaincy to another member first.")
        )
    if not await _free_seat(session, ctx.team, user_id):
        raise NotFoundException()
    await notify(
        session,
        user_id,
        "team_member_removed",
        _params(ctx),
        link=f"/challenges/{ctx.challenge.slug}/teams/find",
    )
    if override is not None:
        await _audit_override(session, actor, ctx, "remove", override, user_id=str(user_id))


async def leave_team(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, now: dt.datetime
) -> Team | None:
    """A member leaves their team until membership is frozen; returns the team, or None when it was dissolved.

    A captain with members hands over the captaincy first (409). A captain alone dissolves the team
    by leaving, unless it has a submission (409): saved work is never deleted this way.
    """
    ctx = await load_team(session, actor, team_id, "team:leave", lock=True)
    ensure_open(ctx.challenge, ctx.rounds, now)
    team = ctx.team
    if team.captain_id != actor.id:
        await _free_seat(session, team, actor.id)
        return team
    if team.member_count > 1:
        raise Conflict(
            detail=_("You are the captain: hand over the captaincy to another member before leaving.")
        )
    if await session.scalar(select(exists().where(Submission.team_id == team.id))):
        raise Conflict(
            detail=_(
                "Your team has work saved for a round, so it cannot be dissolved. Ask the founders if you must leave."
            )
        )
    await session.execute(delete(Team).where(Team.id == team.id))
    return None


async def end_membership(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    now: dt.datetime,
    *,
    reason: Any = None,
) -> Team | None:
    """One door for the API's DELETE of a membership: one's own is leaving, another's is removing."""
    if user_id == actor.id:
        return await leave_team(session, actor, team_id, now)
    await remove_member(session, actor, team_id, user_id, now, reason=reason)
    return None


# --- the captaincy ---------------------------------------------------------------------------------------


async def hand_over_captaincy(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    user_id: Any,
    now: dt.datetime,
    *,
    reason: Any = None,
) -> uuid.UUID:
    """The captain (until the freeze) or a founder (with a reason, audited) makes another member captain.

    Under the team's row lock the old captain becomes a member before the new one becomes captain
    (the partial unique index allows one captain at a time), and teams.captain_id follows: the team
    always has exactly one captain. Returns the new captain's id.
    """
    ctx = await load_team(session, actor, team_id, "team:view", lock=True)
    override = _authority(actor, ctx, now, reason)
    new_captain = member_input(user_id)
    team = ctx.team
    if new_captain == team.captain_id:
        raise InvalidInput({"user_id": _("This member is already the captain.")})
    is_member = await session.scalar(
        select(exists().where(TeamMember.team_id == team.id, TeamMember.user_id == new_captain))
    )
    if not is_member:
        raise InvalidInput({"user_id": _("Choose a member of the team.")})
    previous = team.captain_id
    await session.execute(
        update(TeamMember)
        .where(TeamMember.team_id == team.id, TeamMember.role == "captain")
        .values(role="member")
    )
    await session.execute(
        update(TeamMember)
        .where(TeamMember.team_id == team.id, TeamMember.user_id == new_captain)
        .values(role="captain")
    )
    team.captain_id = new_captain
    await session.flush()
    await notify(
        session,
        new_captain,
        "captaincy_transferred",
        {**_params(ctx), "by": actor.name},
        link=f"/teams/{team.id}",
    )
    if override is not None:
        await _audit_override(
            session,
            actor,
            ctx,
            "captain",
            override,
            previous_captain_id=str(previous),
            user_id=str(new_captain),
        )
    return new_captain


# --- founders add a member -----------------------------------------------------------------------------


async def add_member(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, now: dt.datetime, *, email: Any, reason: Any
) -> User:
    """A founder seats a registered, eligible participant (found by the e-mail of their account) in a team,
    at any time, saying why (audited). The team's maximum and one-team-per-person still hold (409)."""
    ctx = await load_team(session, actor, team_id, "team:override_members", lock=True)
    address, why = addition_input(email, reason)
    person = await session.scalar(select(User).where(func.lower(User.email) == address))
    if person is None:
        raise InvalidInput({"email": _("No account uses this address.")})
    await check_may_join(session, ctx.challenge, person.id, own=False)
    await take_seat(session, ctx.team, person.id, name=person.name)
    await cancel_pending_requests(session, ctx.challenge.id, person.id)
    await _audit_override(session, actor, ctx, "add", why, user_id=str(person.id))
    return person
