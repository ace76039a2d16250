"""Grants after approval: who may see one, and the stewards' two ways of ending access early, revoking the
whole grant or removing one member, each with a reason, audited, and told to the people it affects.

Ending access needs nothing more than these rows: the access rule (app.data_sharing.access) reads them at
every request, so the team loses access on its very next request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app import authz
from app.challenges.models import Challenge
from app.data_sharing.models import Dataset, DatasetSteward, Grant, GrantMember
from app.data_sharing.requests import close_amendments
from app.notifications.services import notify
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.teams.models import Team, TeamMember
from app.webhooks import events as webhook_events

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

MAX_REASON = 2000


@dataclasses.dataclass(frozen=True, slots=True)
class GrantContext:
    grant: Grant
    team: Team
    challenge: Challenge
    dataset: Dataset
    relations: set[str]


async def load_grant(
    session: AsyncSession, actor: Actor | None, grant_id: uuid.UUID, action: str, *, lock: bool = False
) -> GrantContext:
    """The grant with its team, challenge and dataset, once the actor may `action` it (404 when they may not
    even see it). `lock` takes the grant's row lock so that concurrent decisions on it serialize."""
    query = (
        select(Grant, Team, Challenge, Dataset)
        .join(Team, Team.id == Grant.team_id)
        .join(Challenge, Challenge.id == Grant.challenge_id)
        .join(Dataset, Dataset.id == Grant.dataset_id)
        .where(Grant.id == grant_id)
    )
    row = (await session.execute(query.with_for_update(of=Grant) if lock else query)).first()
    if row is None:
        raise NotFoundException()
    grant, team, challenge, dataset = row
    relations = await authz.relations_to_team_data(session, actor, team, challenge, dataset.id)
    authz.require(actor, action, relations)
    return GrantContext(grant, team, challenge, dataset, relations)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("Say why: the team and the audit log will read it.")})
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            {"reason": _("Keep the reason under %(count)d characters.") % {"count": MAX_REASON}}
        )
    return reason


async def team_and_stewards(session: AsyncSession, grant: Grant) -> list[uuid.UUID]:
    """Everyone told about the grant's life: the team's current members and the dataset's stewards."""
    members = select(TeamMember.user_id).where(TeamMember.team_id == grant.team_id)
    stewards = select(DatasetSteward.user_id).where(DatasetSteward.dataset_id == grant.dataset_id)
    return list((await session.scalars(members.union(stewards))).all())


def params_of(ctx: GrantContext | Any) -> dict[str, str]:
    return {"dataset": ctx.dataset.title, "team": ctx.team.name, "challenge": ctx.challenge.title}


async def revoke(
    session: AsyncSession, actor: Actor, grant_id: uuid.UUID, reason: str, now: dt.datetime
) -> Grant:
    """End the grant now, for its whole team (stewards only); the requests under way to add a member to it
    close in the same transaction (`requests.close_amendments`)."""
    ctx = await load_grant(session, actor, grant_id, "grant:manage", lock=True)
    reason = _reason(reason)
    grant = ctx.grant
    if grant.revoked_at is not None:
        raise Conflict(_("This grant was already revoked."))
    grant.revoked_at, grant.revoked_by_id, grant.revoke_reason = now, actor.id, reason
    await session.flush()
    await audit.record(
        session, actor, "grant:revoke", "grant", grant.id, {"reason": reason, "team_id": str(grant.team_id)}
    )
    await close_amendments(session, actor, grant.id, "grant_revoked", reason, now)
    await webhook_events.grant_ended(session, "grant.revoked", grant, ctx.dataset, ctx.challenge, ctx.team)
    for user_id in await team_and_stewards(session, grant):
        await notify(
            session,
            user_id,
            "grant_revoked",
            {**params_of(ctx), "reason": reason},
            link=f"/grants/{grant.id}",
        )
    return grant


async def remove_member(
    session: AsyncSession,
    actor: Actor,
    grant_id: uuid.UUID,
    user_id: uuid.UUID,
    reason: str,
    now: dt.datetime,
) -> GrantMember:
    """Take one person off the grant now; the rest of the team keeps its access (stewards only)."""
    ctx = await load_grant(session, actor, grant_id, "grant:manage", lock=True)
    reason = _reason(reason)
    member = await session.get(GrantMember, (grant_id, user_id), with_for_update=True)
    if member is None:
        raise NotFoundException()
    if member.removed_at is not None:
        raise Conflict(_("This person was already removed from the grant."))
    member.removed_at, member.removed_by_id, member.removed_reason = now, actor.id, reason
    await session.flush()
    details = {"reason": reason, "user_id": str(user_id), "team_id": str(ctx.grant.team_id)}
    await audit.record(session, actor, "grant:remove_member", "grant", grant_id, details)
    await notify(
        session,
        user_id,
        "grant_member_removed",
        {**params_of(ctx), "reason": reason},
        link=f"/grants/{grant_id}",
    )
    return member


@dataclasses.dataclass(frozen=True, slots=True)
class MemberLine:
    user_id: uuid.UUID
    name: str
    removed_at: dt.datetime | None
    removed_reason: str | None


async def grant_page(
    session: AsyncSession, actor: Actor, grant_id: uuid.UUID
) -> tuple[GrantContext, list[MemberLine]]:
    """A grant and its named members, for its team, the challenge's founders and the dataset's stewards."""
    from app.accounts.models import User

    ctx = await load_grant(session, actor, grant_id, "grant:view")
    rows = await session.execute(
        select(GrantMember.user_id, User.name, GrantMember.removed_at, GrantMember.removed_reason)
        .join(User, User.id == GrantMember.user_id)
        .where(GrantMember.grant_id == grant_id)
        .order_by(User.name)
    )
    return ctx, [MemberLine(*row) for row in rows]


def status_of(grant: Grant, now: dt.datetime) -> str:
    """revoked, scheduled, active or expired, at `now` (whatever the expiry job did)."""
    if grant.revoked_at is not None:
        return "revoked"
    if now < grant.starts_at:
        return "scheduled"
    return "active" if now < grant.expires_at else "expired"


def visible_grants(actor: Actor) -> Any:
    """The grants the actor may see, in SQL: on datasets they steward, of teams they are in, of challenges
    they found (the same relations as the grant page)."""
    from app.challenges.models import ChallengeOrganizer
    from app.organizations.models import OrganizationMember

    founded = (
        select(ChallengeOrganizer.challenge_id)
        .join(OrganizationMember, OrganizationMember.organization_id == ChallengeOrganizer.organization_id)
        .where(OrganizationMember.user_id == actor.id)
    )
    return (
        Grant.dataset_id.in_(select(DatasetSteward.dataset_id).where(DatasetSteward.user_id == actor.id))
        | Grant.team_id.in_(select(TeamMember.team_id).where(TeamMember.user_id == actor.id))
        | Grant.challenge_id.in_(founded)
    )


async def list_grants(session: AsyncSession, actor: Actor, limit: int = 500) -> list[tuple[Grant, str, str]]:
    rows = await session.execute(
        select(Grant, Team.name, Dataset.title)
        .join(Team, Team.id == Grant.team_id)
        .join(Dataset, Dataset.id == Grant.dataset_id)
        .where(visible_grants(actor))
        .order_by(Grant.expires_at.desc())
        .limit(limit)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]
