"""Conflicts of interest of a round: judges declare theirs, founders see them all (declared and automatic).

A judge declares a conflict with a team of the challenge; the declaration cannot be taken back by the
judge (only founders remove one, audited), so a judge cannot declare, look and withdraw. From that
moment the judge no longer sees the team's entry (app.authz.assigned_to) and any score they gave it
leaves the ranking (app.judging.ranking); the audit entry says whether a score existed. Automatic
conflicts (the judge belongs to the team's startup, or shares an organization with a member) are not
stored: they are computed here for display, with the reason, in a constant number of queries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import delete, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from app import authz
from app.accounts.models import User
from app.judging.models import Assignment, Conflict, Judge, Review, Score
from app.judging.rounds import RoundContext, load_round
from app.organizations.models import Organization, OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict as ConflictError
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.teams.models import Submission, Team, TeamMember
from app.teams.schemas import parse_id

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

REASON_MAX = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class AutoConflict:
    judge_id: uuid.UUID
    judge_name: str
    team_id: uuid.UUID
    team_name: str
    kind: str  # "startup": the judge belongs to the team's startup; "member": shares it with a member
    organization: str
    member: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ConflictRow:
    """One conflict as founders see it."""

    judge_id: uuid.UUID
    judge_name: str
    team_id: uuid.UUID
    team_name: str
    kind: str  # "declared", "startup" or "member"
    reason: str
    conflict_id: uuid.UUID | None = None
    declared_at: dt.datetime | None = None
    organization: str | None = None
    member: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class TeamState:
    """One team of the round as a judge sees it on their conflicts page."""

    team_id: uuid.UUID
    team_name: str
    declared: Conflict | None
    automatic: list[AutoConflict]


def round_team_ids(round_id: uuid.UUID) -> Any:
    """The teams with a submitted entry in the round: those a judge of the round may be asked to review."""
    return select(Submission.team_id).where(Submission.round_id == round_id, Submission.status == "submitted")


def panel_user_ids(round_id: uuid.UUID) -> Any:
    return select(Judge.user_id).where(
        Judge.round_id == round_id, Judge.accepted_at.is_not(None), Judge.removed_at.is_(None)
    )


async def automatic_conflicts(session: AsyncSession, team_ids: Any, user_ids: Any) -> list[AutoConflict]:
    """Every automatic conflict between the judges `user_ids` and the teams `team_ids` (both SQL selects or
    lists), with its organization and, for a shared one, the member: one query."""
    judge_org = aliased(OrganizationMember)
    member_org = aliased(OrganizationMember)
    judge = aliased(User)
    member = aliased(User)
    with_startup = (
        select(
            judge.id.label("judge_id"),
            judge.name.label("judge_name"),
            Team.id.label("team_id"),
            Team.name.label("team_name"),
            literal("startup").label("kind"),
            Organization.name.label("organization"),
            null().label("member"),
        )
        .select_from(judge_org)
        .join(judge, judge.id == judge_org.user_id)
        .join(Team, Team.organization_id == judge_org.organization_id)
        .join(Organization, Organization.id == judge_org.organization_id)
        .where(Team.id.in_(team_ids), judge_org.user_id.in_(user_ids))
    )
    with_member = (
        select(judge.id, judge.name, Team.id, Team.name, literal("member"), Organization.name, member.name)
        .select_from(judge_org)
        .join(judge, judge.id == judge_org.user_id)
        .join(member_org, member_org.organization_id == judge_org.organization_id)
        .join(TeamMember, TeamMember.user_id == member_org.user_id)
        .join(Team, Team.id == TeamMember.team_id)
        .join(member, member.id == TeamMember.user_id)
        .join(Organization, Organization.id == judge_org.organization_id)
        .where(TeamMember.team_id.in_(team_ids), judge_org.user_id.in_(user_ids))
    )
    both = union_all(with_startup, with_member).subquery()
    rows = await session.execute(
        select(both).order_by(
            both.c.judge_name, both.c.team_name, both.c.kind, both.c.organization, both.c.member
        )
    )
    return [AutoConflict(*row) for row in rows]


async def conflicted_pairs(
    session: AsyncSession, challenge_id: uuid.UUID, team_ids: list[uuid.UUID], user_ids: list[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The (judge, team) pairs in conflict, declared or automatic, among these judges and teams: two queries."""
    if not team_ids or not user_ids:
        return set()
    declared = await session.execute(
        select(Conflict.user_id, Conflict.team_id).where(
            Conflict.challenge_id == challenge_id,
            Conflict.user_id.in_(user_ids),
            Conflict.team_id.in_(team_ids),
        )
    )
    pairs = set(declared.all())
    return pairs | {(a.judge_id, a.team_id) for a in await automatic_conflicts(session, team_ids, user_ids)}


def automatic_reason(kind: str, organization: str, member: str | None, judge: str | None = None) -> str:
    """Why a conflict was detected, as a sentence about `judge` (or addressed to the judge when None)."""
    if kind == "startup":
        if judge is None:
            return _("You are a member of the team’s startup, %(organization)s.", organization=organization)
        return _(
            "%(judge)s is a member of the team’s startup, %(organization)s.",
            judge=judge,
            organization=organization,
        )
    if judge is None:
        return _(
            "You share the organization %(organization)s with the team member %(member)s.",
            organization=organization,
            member=member,
        )
    return _(
        "%(judge)s shares the organization %(organization)s with the team member %(member)s.",
        judge=judge,
        organization=organization,
        member=member,
    )


async def round_conflicts(
    session: AsyncSession, ctx: RoundContext, user_ids: Any = None
) -> list[ConflictRow]:
    """Every conflict between the round's panel (or the judges `user_ids`) and its teams, declared and
    automatic: two queries."""
    round_id = ctx.round.id
    if user_ids is None:
        user_ids = panel_user_ids(round_id)
    declared = await session.execute(
        select(Conflict, User.name, Team.name)
        .join(User, User.id == Conflict.user_id)
        .join(Team, Team.id == Conflict.team_id)
        .where(
            Conflict.challenge_id == ctx.challenge.id,
            Conflict.user_id.in_(user_ids),
            Conflict.team_id.in_(round_team_ids(round_id)),
        )
    )
    rows = [
        ConflictRow(c.user_id, judge, c.team_id, team, "declared", c.reason, c.id, c.declared_at)
        for c, judge, team in declared
    ]
    automatic = await automatic_conflicts(session, round_team_ids(round_id), user_ids)
    rows += [
        ConflictRow(
            a.judge_id,
            a.judge_name,
            a.team_id,
            a.team_name,
            a.kind,
            automatic_reason(a.kind, a.organization, a.member, a.judge_name),
            organization=a.organization,
            member=a.member,
        )
        for a in automatic
    ]
    rows.sort(key=lambda r: (r.judge_name.lower(), r.team_name.lower(), r.kind != "declared"))
    return rows


async def conflicts_for_actor(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID
) -> tuple[RoundContext, list[ConflictRow]]:
    """Founders get every conflict of the round; a judge only their own (declared and automatic)."""
    ctx = await load_round(session, actor, round_id, "challenge:view")
    if ctx.can(actor, "judging:manage"):
        return ctx, await round_conflicts(session, ctx)
    authz.require(actor, "conflict:declare", ctx.relations)
    return ctx, await round_conflicts(session, ctx, user_ids=[actor.id])


async def judge_page(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID
) -> tuple[RoundContext, list[TeamState]]:
    """The round's teams for a judge, each with the judge's declared and automatic conflicts: three queries."""
    ctx = await load_round(session, actor, round_id, "conflict:declare")
    teams = (
        await session.execute(
            select(Team.id, Team.name).where(Team.id.in_(round_team_ids(round_id))).order_by(Team.name)
        )
    ).all()
    declared = {
        c.team_id: c
        for c in await session.scalars(
            select(Conflict).where(Conflict.challenge_id == ctx.challenge.id, Conflict.user_id == actor.id)
        )
    }
    automatic: dict[uuid.UUID, list[AutoConflict]] = {}
    for item in await automatic_conflicts(session, round_team_ids(round_id), [actor.id]):
        automatic.setdefault(item.team_id, []).append(item)
    return ctx, [
        TeamState(team_id, name, declared.get(team_id), automatic.get(team_id, [])) for team_id, name in teams
    ]


def reason_input(reason: object) -> str:
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput({"reason": _("Write the reason as text.")})
    text = (reason or "").replace("\x00", "").strip()
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": _("Use at most %(num)s characters.", num=REASON_MAX)})
    return text


async def declare_conflict(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    team_id: object,
    reason: object,
    now: dt.datetime,
) -> ConflictRow:
    """The judge declares a conflict with a team of the challenge (404 for any other team, 409 twice).

    Their assignments to the team's entries without a review are released; a review they already wrote
    stays but leaves the ranking. The audit entry records whether a score existed."""
    ctx = await load_round(session, actor, round_id, "conflict:declare")
    team_uuid = parse_id(team_id)
    team = (
        await session.scalar(select(Team).where(Team.id == team_uuid, Team.challenge_id == ctx.challenge.id))
        if isinstance(team_uuid, uuid.UUID)
        else None
    )
    if team is None:
        raise NotFoundException()
    text = reason_input(reason)
    conflict_id = await session.scalar(
        insert(Conflict)
        .values(
            id=uuid.uuid4(),
            challenge_id=ctx.challenge.id,
            user_id=actor.id,
            team_id=team.id,
            reason=text,
            declared_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "team_id"])
        .returning(Conflict.id)
    )
    if conflict_id is None:
        raise ConflictError(detail=_("You already declared a conflict with %(team)s.", team=team.name))
    scored, finalized = await _scores_given(session, actor.id, team.id)
    released = await _release_assignments(session, actor.id, team.id)
    await audit.record(
        session,
        actor,
        "conflict:declare",
        "team",
        team.id,
        {
            "challenge": ctx.challenge.slug,
            "team": team.name,
            "reason": text,
            "had_score": scored,
            "had_final_score": finalized,
            "assignments_released": released,
        },
    )
    return ConflictRow(actor.id, actor.name, team.id, team.name, "declared", text, conflict_id, now)


async def _scores_given(session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether the judge gave the team's entries any score, and whether any of those reviews is final."""
    reviews = (
        select(Review.id, Review.finalized_at)
        .join(Submission, Submission.id == Review.submission_id)
        .where(Review.user_id == user_id, Submission.team_id == team_id)
    )
    scored = reviews.where(
        select(Score.review_id).where(Score.review_id == Review.id, Score.value.is_not(None)).exists()
    )
    row = (
        await session.execute(
            select(scored.exists(), scored.where(Review.finalized_at.is_not(None)).exists())
        )
    ).one()
    return bool(row[0]), bool(row[1])


async def _release_assignments(session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID) -> int:
    reviewed = select(Review.id).where(
        Review.submission_id == Assignment.submission_id, Review.user_id == user_id
    )
    entries = select(Submission.id).where(Submission.team_id == team_id)
    result = await session.execute(
        delete(Assignment).where(
            Assignment.user_id == user_id, Assignment.submission_id.in_(entries), ~reviewed.exists()
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def remove_conflict(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, conflict_id: uuid.UUID
) -> Conflict:
    """Founders remove a declared conflict (a mistaken declaration): audited. The judge may then be
    assigned the team again; a review kept from before counts again in the ranking."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    row = (
        await session.execute(
            select(Conflict, User.name, Team.name)
            .join(User, User.id == Conflict.user_id)
            .join(Team, Team.id == Conflict.team_id)
            .where(Conflict.id == conflict_id, Conflict.challenge_id == ctx.challenge.id)
            .with_for_update(of=Conflict)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    conflict, judge, team = row
    await session.delete(conflict)
    await session.flush()
    await audit.record(
        session,
        actor,
        "conflict:remove",
        "team",
        conflict.team_id,
        {
            "challenge": ctx.challenge.slug,
            "team": team,
            "judge": judge,
            "judge_id": str(conflict.user_id),
            "reason": conflict.reason,
        },
    )
    return conflict
