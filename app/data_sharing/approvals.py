"""Approving a request: the grant is made in the same transaction as the `approved` event.

A grant runs from `starts_at` (default: now) to `expires_at` chosen by the steward, never later than the
challenge's end plus `GRANT_GRACE_DAYS`, nor than `starts_at` plus the dataset's longest grant duration.
The challenge's end is the latest of its results date, end of judging and last round's deadline.
A request amending a grant (`amends_grant_id`) adds its member to that grant instead of making a new one.
Because the request row is locked before its state is read, two stewards deciding at once, or a steward
approving while the captain withdraws, end with one decision: never two grants, never a grant for a
withdrawn request (the other gets 409 with the current state).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.challenges.choices import when
from app.challenges.models import Challenge, Round
from app.data_sharing import requests
from app.data_sharing.grants import GrantContext
from app.data_sharing.models import (
    AccessRequest,
    AccessRequestMember,
    AgreementAcceptance,
    AgreementVersion,
    Dataset,
    Grant,
    GrantMember,
)
from app.notifications.services import notify
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def challenge_end(session: AsyncSession, challenge: Challenge) -> dt.datetime | None:
    """The latest of results_at, judging_ends_at and the last round's deadline (None when none is set)."""
    last_deadline = await session.scalar(
        select(func.max(Round.deadline)).where(Round.challenge_id == challenge.id)
    )
    moments = [m for m in (challenge.results_at, challenge.judging_ends_at, last_deadline) if m is not None]
    return max(moments) if moments else None


async def latest_expiry(
    session: AsyncSession, ctx: requests.RequestContext, starts_at: dt.datetime, grace_days: int
) -> tuple[dt.datetime, str]:
    """The latest expiry allowed for a grant starting at `starts_at`, and why (for the message)."""
    tz = ctx.challenge.timezone
    by_duration = starts_at + dt.timedelta(days=ctx.dataset.max_grant_days)
    end = await challenge_end(session, ctx.challenge)
    if end is not None and end + dt.timedelta(days=grace_days) < by_duration:
        limit = end + dt.timedelta(days=grace_days)
        return limit, _(
            "The grant cannot run past %(limit)s: the challenge ends on %(end)s, plus %(days)s days of grace.",
            limit=when(limit, tz), end=when(end, tz), days=grace_days,
        )  # fmt: skip
    return by_duration, _(
        "The grant cannot run past %(limit)s: this dataset is granted for at most %(days)s days.",
        limit=when(by_duration, tz), days=ctx.dataset.max_grant_days,
    )  # fmt: skip


async def _check_period(
    session: AsyncSession,
    ctx: requests.RequestContext,
    starts_at: dt.datetime,
    expires_at: dt.datetime | None,
    grace_days: int,
) -> None:
    if expires_at is None:
        raise InvalidInput({"expires_at": _("Choose when the grant expires.")})
    if expires_at <= starts_at:
        raise InvalidInput({"expires_at": _("The grant must expire after it starts.")})
    limit, why = await latest_expiry(session, ctx, starts_at, grace_days)
    if expires_at > limit:
        raise InvalidInput({"expires_at": why})


async def approve(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    expires_at: dt.datetime | None,
    now: dt.datetime,
    *,
    grace_days: int,
    starts_at: dt.datetime | None = None,
    comment: str = "",
) -> Grant:
    """Approve a submitted request and make (or amend) its grant; refuse an expiry past the limits.

    For a request amending a grant, the grant's row is locked before the request's, the order of
    `grants.revoke` (which closes the grant's pending amendments): the two serialize instead of deadlocking,
    and an approval coming second is told the grant is no longer active."""
    amends = await session.scalar(select(AccessRequest.amends_grant_id).where(AccessRequest.id == request_id))
    locked = await _lock_grant(session, amends) if amends is not None else None
    ctx = await requests.load(session, actor, request_id, "access_request:decide", lock=True)
    amended = _ensure_active(locked, now) if amends is not None else None
    if ctx.request.state != "submitted":
        raise requests.state_conflict(ctx.request.state)
    starts_at = starts_at or now
    text = requests.clean_text(comment, "comment")
    members = list(
        await session.scalars(
            select(AccessRequestMember.user_id).where(AccessRequestMember.request_id == request_id)
        )
    )
    if amended is not None:
        grant = await _add_members(session, amended, members, now)
    else:
        await _check_period(session, ctx, starts_at, expires_at, grace_days)
        assert expires_at is not None
        grant = Grant(
            request_id=request_id, team_id=ctx.team.id, dataset_id=ctx.dataset.id, challenge_id=ctx.challenge.id,
            starts_at=starts_at, expires_at=expires_at, created_by_id=actor.id,
        )  # fmt: skip
        session.add(grant)
        await session.flush()
        session.add_all(GrantMember(grant_id=grant.id, user_id=user_id, added_at=now) for user_id in members)
        await session.flush()
    await requests.transition(session, actor, ctx, "approved", ("submitted",), "approved", text, now)
    await audit.record(session, actor, "grant:create" if ctx.request.amends_grant_id is None else "grant:add_member",
                       "grant", grant.id, {"request": str(request_id), "members": [str(m) for m in members],
                                           "starts_at": starts_at.isoformat(), "expires_at": grant.expires_at.isoformat()})  # fmt: skip
    return grant


async def _lock_grant(session: AsyncSession, grant_id: uuid.UUID) -> Grant | None:
    """The grant a request amends, its row locked (and re-read)."""
    return await session.scalar(
        select(Grant).where(Grant.id == grant_id).with_for_update().execution_options(populate_existing=True)
    )


def _ensure_active(grant: Grant | None, now: dt.datetime) -> Grant:
    """The grant, while it is still in force or to come (else 409)."""
    if grant is None or grant.revoked_at is not None or grant.expires_at <= now:
        raise Conflict(detail=_("The grant this request amends is no longer active."))
    return grant


async def _add_members(
    session: AsyncSession, grant: Grant, members: list[uuid.UUID], now: dt.datetime
) -> Grant:
    """The amended grant gets the request's member (back, if a steward had removed them)."""
    for user_id in members:
        existing = await session.get(GrantMember, (grant.id, user_id))
        if existing is None:
            session.add(GrantMember(grant_id=grant.id, user_id=user_id, added_at=now))
        else:
            existing.removed_at = existing.removed_by_id = existing.removed_reason = None
    await session.flush()
    return grant


async def ask_to_add_member(
    session: AsyncSession,
    actor: Actor,
    grant_id: uuid.UUID,
    member_id: str | uuid.UUID,
    purpose: str,
    now: dt.datetime,
) -> requests.AccessRequest:
    """The captain drafts a small request naming one more member of an active grant of the team; the member
    is told to accept the agreement on it. One request under way per member and grant."""
    from litestar.exceptions import NotFoundException

    from app import authz
    from app.teams.models import Team

    grant = await session.get(Grant, grant_id)
    team = await session.get(Team, grant.team_id) if grant is not None else None
    if grant is None or team is None:
        raise NotFoundException()
    challenge = await session.get(Challenge, team.challenge_id)
    relations = await authz.relations_to_team_data(session, actor, team, challenge, grant.dataset_id)
    authz.require(actor, "access_request:create", relations)
    source = await session.get(requests.AccessRequest, grant.request_id)
    assert source is not None
    # Locked so that a revocation under way waits for this request and closes it, or this sees it revoked.
    grant = _ensure_active(await _lock_grant(session, grant_id), now)
    if not str(member_id or "").strip():
        raise InvalidInput({"members": _("Choose the member to add.")})
    named = set(await session.scalars(
        select(GrantMember.user_id).where(GrantMember.grant_id == grant.id, GrantMember.removed_at.is_(None))
    ))  # fmt: skip
    if str(member_id) in {str(u) for u in named}:
        raise InvalidInput({"members": _("This member is already named on the grant.")})
    if str(member_id) in {str(u) for u in await _asked_for(session, grant.id)}:
        raise Conflict(detail=_("A request to add this member is already under way."))
    request = await requests.create(
        session, actor, grant.team_id, source.offering_id, purpose, [member_id], now, amends_grant_id=grant.id
    )
    params = {"team": team.name, "dataset": (await session.get_one(Dataset, grant.dataset_id)).title}
    await notify(
        session, uuid.UUID(str(member_id)), "grant_member_asked", params, link=f"/data-requests/{request.id}"
    )
    return request


async def _asked_for(session: AsyncSession, grant_id: uuid.UUID) -> list[uuid.UUID]:
    """The members named on the requests under way that amend the grant."""
    return list(await session.scalars(
        select(AccessRequestMember.user_id)
        .join(AccessRequest, AccessRequest.id == AccessRequestMember.request_id)
        .where(AccessRequest.amends_grant_id == grant_id, AccessRequest.state.in_(requests.UNDER_WAY))
    ))  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class Amendment:
    request_id: uuid.UUID
    state: str
    member: str
    accepted: bool  # the member accepted the agreement in force


@dataclasses.dataclass(frozen=True, slots=True)
class Amendments:
    pending: list[Amendment]
    # (user id, name) of the team's members the captain may ask to add; empty for everyone else.
    addable: list[tuple[uuid.UUID, str]]
    may_ask: bool


async def amendments(session: AsyncSession, actor: Actor, ctx: GrantContext, now: dt.datetime) -> Amendments:
    """The requests under way to add a member to the grant (for the grant page), and for the team's captain
    while the grant is in force or to come, the members they may still ask to add (two queries)."""
    from app import authz
    from app.accounts.models import User
    from app.teams.models import TeamMember

    in_force = select(func.max(AgreementVersion.version)).where(AgreementVersion.dataset_id == ctx.dataset.id)
    accepted = (
        select(AgreementAcceptance.user_id)
        .where(AgreementAcceptance.dataset_id == ctx.dataset.id, AgreementAcceptance.user_id == User.id,
               AgreementAcceptance.version >= in_force.scalar_subquery())
        .exists()
    )  # fmt: skip
    rows = await session.execute(
        select(AccessRequest.id, AccessRequest.state, User.id, User.name, accepted)
        .join(AccessRequestMember, AccessRequestMember.request_id == AccessRequest.id)
        .join(User, User.id == AccessRequestMember.user_id)
        .where(AccessRequest.amends_grant_id == ctx.grant.id, AccessRequest.state.in_(requests.UNDER_WAY))
        .order_by(AccessRequest.created_at, User.name)
    )
    pending, asked = [], set()
    for request_id, state, user_id, name, has_accepted in rows:
        pending.append(Amendment(request_id, state, name, bool(has_accepted)))
        asked.add(user_id)
    active = ctx.grant.revoked_at is None and now < ctx.grant.expires_at
    may_ask = active and authz.can(actor, "access_request:create", ctx.relations)
    addable: list[tuple[uuid.UUID, str]] = []
    if may_ask:
        on_grant = select(GrantMember.user_id).where(
            GrantMember.grant_id == ctx.grant.id, GrantMember.removed_at.is_(None)
        )
        members = await session.execute(
            select(User.id, User.name).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == ctx.team.id, User.id.not_in(on_grant))
            .order_by(func.lower(User.name))
        )  # fmt: skip
        addable = [(user_id, name) for user_id, name in members if user_id not in asked]
    return Amendments(pending, addable, may_ask)
