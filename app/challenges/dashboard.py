"""The founders' dashboard: their challenges by phase, with what awaits them, in two queries in all."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app import authz
from app.challenges import lifecycle
from app.challenges.models import Challenge, ChallengeOrganizer, Registration, Round
from app.organizations.models import OrganizationMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

# Phases in the order a founder works through them: what needs finishing first.
PHASE_ORDER = (
    lifecycle.Phase.DRAFT,
    lifecycle.Phase.UPCOMING,
    lifecycle.Phase.REGISTRATION_OPEN,
    lifecycle.Phase.IN_PROGRESS,
    lifecycle.Phase.JUDGING,
    lifecycle.Phase.RESULTS,
    lifecycle.Phase.ARCHIVED,
)


@dataclasses.dataclass(frozen=True, slots=True)
class DashboardRow:
    challenge: Challenge
    phase: lifecycle.Phase
    pending: int
    approved: int
    teams: int
    submitted: int
    next_deadline: lifecycle.Milestone | None


async def founder_dashboard(
    session: AsyncSession, actor: Actor, now: dt.datetime
) -> list[tuple[lifecycle.Phase, list[DashboardRow]]]:
    """The actor's challenges (those their organizations organize), grouped by phase, each with its
    pending and approved registrations, its teams and its submitted entries (all rounds). Two queries,
    however many challenges."""
    from app.teams.models import Submission, Team

    authz.require(actor, "founder:dashboard")
    mine = (
        select(ChallengeOrganizer.challenge_id)
        .join(OrganizationMember, OrganizationMember.organization_id == ChallengeOrganizer.organization_id)
        .where(OrganizationMember.user_id == actor.id)
    )
    counts = (
        select(
            Registration.challenge_id,
            func.count().filter(Registration.status == "pending").label("pending"),
            func.count().filter(Registration.status == "approved").label("approved"),
        )
        .where(Registration.challenge_id.in_(mine))
        .group_by(Registration.challenge_id)
        .subquery()
    )
    teams = select(func.count()).select_from(Team).where(Team.challenge_id == Challenge.id).scalar_subquery()
    submitted = (
        select(func.count())
        .select_from(Submission)
        .join(Team, Team.id == Submission.team_id)
        .where(Team.challenge_id == Challenge.id, Submission.status == "submitted")
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(
                Challenge,
                func.coalesce(counts.c.pending, 0),
                func.coalesce(counts.c.approved, 0),
                teams,
                submitted,
            )
            .outerjoin(counts, counts.c.challenge_id == Challenge.id)
            .where(Challenge.id.in_(mine))
            .order_by(Challenge.created_at.desc(), Challenge.title)
        )
    ).all()
    rounds: dict[object, list[Round]] = defaultdict(list)
    if rows:
        for round_ in await session.scalars(
            select(Round).where(Round.challenge_id.in_([row[0].id for row in rows])).order_by(Round.position)
        ):
            rounds[round_.challenge_id].append(round_)
    groups: dict[lifecycle.Phase, list[DashboardRow]] = defaultdict(list)
    for challenge, pending, approved, team_count, submitted_count in rows:
        its_rounds = rounds[challenge.id]
        phase = lifecycle.phase(challenge, its_rounds, now)
        groups[phase].append(
            DashboardRow(
                challenge,
                phase,
                pending,
                approved,
                team_count,
                submitted_count,
                lifecycle.next_deadline(challenge, its_rounds, now),
            )
        )
    return [(phase, groups[phase]) for phase in PHASE_ORDER if groups[phase]]
