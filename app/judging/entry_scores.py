"""One entry's scores as founders see them: aggregates while judging is open, every judge's scores and
comments by name once it has closed.

While judging is open nobody outside a judge sees that judge's own scores by name, founders included
(DESIGN.md): the page then gives only per-criterion means, lows and highs over the counted reviews and
the entry's mean, median and spread, with no names and no comments. The same reviews count as in the
ranking: finalized, of a judge not in conflict with the team.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app.accounts.models import User
from app.judging.access import founder_round
from app.judging.conflicts import in_conflict
from app.judging.models import Criterion, Review, Score, Screening
from app.judging.ranking import judge_totals
from app.judging.rounds import RoundContext, judging_closed
from app.teams.models import Submission, Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionSummary:
    criterion: Criterion
    count: int
    mean: Decimal | None
    low: Decimal | None
    high: Decimal | None


@dataclasses.dataclass(frozen=True, slots=True)
class JudgeScore:
    criterion: Criterion
    value: Decimal | None
    comment: str


@dataclasses.dataclass(frozen=True, slots=True)
class JudgeReview:
    """A judge's counted review, by name: only built once judging has closed."""

    name: str
    total: Decimal | None
    finalized_at: dt.datetime | None
    comment: str
    scores: list[JudgeScore]


@dataclasses.dataclass(frozen=True, slots=True)
class EntryScores:
    context: RoundContext
    submission: Submission
    team: Team
    eligible: bool
    closed: bool
    criteria: list[CriterionSummary]
    judges: int
    mean: float | None  # reviews' totals are floats (reviews.total is a double)
    median: Decimal | None
    spread: float | None
    reviews: list[JudgeReview]  # empty until judging has closed
    drafts: int  # reviews not finalized (never counted)
    conflicts: int  # finalized reviews left out for a conflict of interest


async def entry_scores(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    submission_id: uuid.UUID,
    now: dt.datetime,
) -> EntryScores:
    """The entry's scores for founders (ranking:view); 404 for an entry of another round."""
    context = await founder_round(session, actor, slug, round_id)
    found = (
        await session.execute(
            select(Submission, Team, Screening.decision)
            .join(Team, Team.id == Submission.team_id)
            .outerjoin(Screening, Screening.submission_id == Submission.id)
            .where(Submission.id == submission_id, Submission.round_id == round_id)
        )
    ).one_or_none()
    if found is None:
        raise NotFoundException()
    submission, team, decision = found
    criteria = list(
        await session.scalars(
            select(Criterion).where(Criterion.round_id == round_id).order_by(Criterion.position, Criterion.id)
        )
    )
    reviews = (
        await session.execute(
            select(Review, User.name, in_conflict(Review.user_id, team.id).label("conflicted"))
            .join(User, User.id == Review.user_id)
            .where(Review.submission_id == submission_id, Review.round_id == round_id)
            .order_by(User.name, Review.id)
        )
    ).all()
    counted = [row for row in reviews if row.Review.finalized_at is not None and not row.conflicted]
    scores = await _scores(session, [row.Review.id for row in counted])
    totals = await _totals(session, round_id, submission_id)
    closed = judging_closed(context.settings, context.challenge, now)
    values = [totals[row.Review.id] for row in counted if row.Review.id in totals]
    return EntryScores(
        context=context,
        submission=submission,
        team=team,
        eligible=decision == "eligible" and submission.status == "submitted",
        closed=closed,
        criteria=[_summary(criterion, scores) for criterion in criteria],
        judges=len(values),
        mean=sum(values) / len(values) if values else None,
        median=Decimal(str(statistics.median(values))) if values else None,
        spread=max(values) - min(values) if values else None,
        reviews=[_review(row, criteria, scores, totals) for row in counted] if closed else [],
        drafts=sum(1 for row in reviews if row.Review.finalized_at is None),
        conflicts=sum(1 for row in reviews if row.Review.finalized_at is not None and row.conflicted),
    )


async def _scores(
    session: AsyncSession, review_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[uuid.UUID, Score]]:
    """review id -> criterion id -> score, for the counted reviews."""
    by_review: dict[uuid.UUID, dict[uuid.UUID, Score]] = defaultdict(dict)
    if review_ids:
        for score in await session.scalars(select(Score).where(Score.review_id.in_(review_ids))):
            by_review[score.review_id][score.criterion_id] = score
    return by_review


async def _totals(
    session: AsyncSession, round_id: uuid.UUID, submission_id: uuid.UUID
) -> dict[uuid.UUID, float]:
    """review id -> 0-100 total, computed by the ranking's own query (one definition of a total)."""
    totals = judge_totals(round_id)
    rows = await session.execute(
        select(totals.c.review_id, totals.c.total).where(totals.c.submission_id == submission_id)
    )
    return {row.review_id: row.total for row in rows}


def _summary(criterion: Criterion, scores: dict[uuid.UUID, dict[uuid.UUID, Score]]) -> CriterionSummary:
    values = [
        value
        for by_criterion in scores.values()
        if criterion.id in by_criterion and (value := by_criterion[criterion.id].value) is not None
    ]
    return CriterionSummary(
        criterion=criterion,
        count=len(values),
        mean=sum(values, Decimal(0)) / len(values) if values else None,
        low=min(values) if values else None,
        high=max(values) if values else None,
    )


def _review(row, criteria: list[Criterion], scores, totals) -> JudgeReview:
    review: Review = row.Review
    given = scores.get(review.id, {})
    return JudgeReview(
        name=row.name,
        total=totals.get(review.id),
        finalized_at=review.finalized_at,
        comment=review.comment,
        scores=[
            JudgeScore(
                criterion=criterion,
                value=given[criterion.id].value if criterion.id in given else None,
                comment=given[criterion.id].comment if criterion.id in given else "",
            )
            for criterion in criteria
        ],
    )
