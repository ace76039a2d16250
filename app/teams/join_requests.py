"""Join requests: a participant asks to join a team, its captain approves (a seat is taken) or declines, the
requester may cancel while it is pending. Captain and requester are notified.

One pending request per person and team (a partial unique index). A request is decided once: the
decision locks the team's row, then the request's, and checks that it is still pending.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.notifications.services import notify
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.teams.membership import take_seat, team_full
from app.teams.models import JoinRequest, TeamMember
from app.teams.schemas import decision_input, message_input
from app.teams.teams import (
    TeamContext,
    already_in_team,
    cancel_pending_requests,
    check_may_join,
    ensure_open,
    load_team,
    team_of,
)

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class PendingRequest:
    request: JoinRequest
    name: str


def _no_longer_pending() -> Conflict:
    return Conflict(detail=_("This request is no longer pending."))


async def request_to_join(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, message: Any, now: dt.datetime
) -> JoinRequest:
    """A participant in no team of the challenge asks to join this one, with an optional message.

    Refused once membership is frozen, when already in a team, when the team is full or when a
    request to it is already pending (409); a too long message is a 422.
    """
    ctx = await load_team(session, actor, team_id, "team:request_join")
    ensure_open(ctx.challenge, ctx.rounds, now)
    text = message_input(message)
    if await team_of(session, ctx.challenge.id, actor.id):
        raise already_in_team()
    if ctx.team.member_count >= ctx.challenge.team_max:
        raise team_full(ctx.team.member_count, ctx.challenge.team_max)
    await check_may_join(session, ctx.challenge, actor.id, own=True)
    request = JoinRequest(team_id=ctx.team.id, user_id=actor.id, message=text)
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:
        raise Conflict(detail=_("You have already asked to join this team.")) from None
    params = {"person": actor.name, "team": ctx.team.name, "challenge": ctx.challenge.title}
    await notify(
        session, ctx.team.captain_id, "join_request", params, link=f"/teams/{ctx.team.id}#join-requests"
    )
    return request


async def cancel_request(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, request_id: uuid.UUID, now: dt.datetime
) -> None:
    """The requester withdraws their own pending request; anyone else's is not found."""
    ctx = await load_team(session, actor, team_id, "team:request_join")
    request = await session.scalar(
        select(JoinRequest)
        .where(
            JoinRequest.id == request_id, JoinRequest.team_id == ctx.team.id, JoinRequest.user_id == actor.id
        )
        .with_for_update()
    )
    if request is None:
        raise NotFoundException()
    if request.status != "pending":
        raise _no_longer_pending()
    request.status = "cancelled"
    request.decided_at = now
    await session.flush()


async def decide_request(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    request_id: uuid.UUID,
    decision: Any,
    now: dt.datetime,
) -> PendingRequest:
    """The captain approves (the requester takes a seat) or declines a pending request; the requester is told.

    Approving is refused once membership is frozen, when the team is full, or when the requester is
    in another team meanwhile or no longer registered (409/403); declining stays possible.
    """
    ctx = await load_team(session, actor, team_id, "team:manage_members", lock=True)
    status = decision_input(decision)
    if status == "approved":
        ensure_open(ctx.challenge, ctx.rounds, now)
    row = (
        await session.execute(
            select(JoinRequest, User.name)
            .join(User, User.id == JoinRequest.user_id)
            .where(JoinRequest.id == request_id, JoinRequest.team_id == ctx.team.id)
            .with_for_update(of=JoinRequest)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    request, name = row
    if request.status != "pending":
        # Joining a team cancels one's other requests: say why rather than only that it changed.
        if request.status == "cancelled" and await team_of(session, ctx.challenge.id, request.user_id):
            raise already_in_team(name)
        raise _no_longer_pending()
    if status == "approved":
        await check_may_join(session, ctx.challenge, request.user_id, own=False)
        await take_seat(session, ctx.team, request.user_id, name=name)
    request.status = status
    request.decided_by_id = actor.id
    request.decided_at = now
    await session.flush()
    if status == "approved":
        await cancel_pending_requests(session, ctx.challenge.id, request.user_id)
    await _tell_requester(session, ctx, request)
    return PendingRequest(request, name)


async def _tell_requester(session: AsyncSession, ctx: TeamContext, request: JoinRequest) -> None:
    params = {"team": ctx.team.name, "challenge": ctx.challenge.title, "decision": request.status}
    link = (
        f"/teams/{ctx.team.id}"
        if request.status == "approved"
        else f"/challenges/{ctx.challenge.slug}/teams/find"
    )
    await notify(session, request.user_id, "join_request_decided", params, link=link)


async def pending_requests(session: AsyncSession, ctx: TeamContext) -> list[PendingRequest]:
    """Pending requests to the team, oldest first, without those whose author joined a team meanwhile. One query."""
    in_a_team = exists().where(
        TeamMember.challenge_id == ctx.challenge.id, TeamMember.user_id == JoinRequest.user_id
    )
    rows = await session.execute(
        select(JoinRequest, User.name)
        .join(User, User.id == JoinRequest.user_id)
        .where(JoinRequest.team_id == ctx.team.id, JoinRequest.status == "pending", ~in_a_team)
        .order_by(JoinRequest.created_at, JoinRequest.id)
    )
    return [PendingRequest(request, name) for request, name in rows]


async def list_requests(session: AsyncSession, actor: Actor, team_id: uuid.UUID) -> list[PendingRequest]:
    """The team's pending requests, for its captain."""
    ctx = await load_team(session, actor, team_id, "team:manage_members")
    return await pending_requests(session, ctx)
