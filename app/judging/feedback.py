"""A team's feedback: what the judges said about its entries, without saying which judge said what.

For the team's members only (`feedback:view`; founders and judges have their own pages), and only once
the results are published: before, the page says when it will be. For each round where the team's
entry has at least one counted review (finalized, by a judge not in conflict with the team: the same
reviews the ranking counts, app.judging.ranking):

- per criterion, the mean of the judges' values, with the criterion's scale;
- the mean of the judges' weighted totals on 0-100 (as the ranking computes them), and how many judges;
- every comment, per criterion and overall, sorted by its text: an order that tells nothing about who
  wrote which (never by judge, never by time). Drafts never show.

No judge's name, id or review order leaves this module. Three queries whatever the number of judges,
criteria or teams.
"""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from app.challenges.models import Round
from app.judging.conflicts import not_in_conflict
from app.judging.models import Criterion, Review, Score
from app.teams.models import Submission
from app.teams.teams import TeamContext, load_team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionFeedback:
    name: str
    description: str
    scale_min: Decimal
    scale_max: Decimal
    mean: Decimal
    judges: int
    comments: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class RoundFeedback:
    round: Round
    overall: Decimal | None  # mean of the judges' 0-100 totals
    judges: int
    criteria: list[CriterionFeedback]
    comments: list[str]  # overall comments


@dataclasses.dataclass(frozen=True, slots=True)
class Feedback:
    ctx: TeamContext
    # False until the results are published: the page then says when it will be available.
    available: bool
    rounds: list[RoundFeedback]


def _reviews(team_id: uuid.UUID, *columns: Any) -> Any:
    """SELECT `columns` over the team's reviews that count: finalized, by a judge not in conflict with the
    team (the reviews the ranking counts)."""
    return (
        select(*columns)
        .select_from(Submission)
        .join(Review, Review.submission_id == Submission.id)
        .where(
            Submission.team_id == team_id,
            Review.finalized_at.is_not(None),
            not_in_conflict(Review.user_id, Submission.team_id),
        )
    )


def _scored(team_id: uuid.UUID, *columns: Any) -> Any:
    """The same over the values those reviews gave, with their criteria."""
    return (
        _reviews(team_id, *columns)
        .join(Score, Score.review_id == Review.id)
        .join(Criterion, Criterion.id == Score.criterion_id)
    )


async def _criteria_means(session: AsyncSession, team_id: uuid.UUID) -> list[Any]:
    columns = (Submission.round_id, Criterion.id, Criterion.name, Criterion.description)
    statement = (
        _scored(
            team_id,
            *columns,
            Criterion.scale_min,
            Criterion.scale_max,
            func.avg(Score.value),
            func.count(Score.value),
        )
        .where(Score.value.is_not(None))
        .group_by(Submission.round_id, Criterion.id)
        .order_by(Criterion.position, Criterion.id)
    )
    return list(await session.execute(statement))


async def _overall(session: AsyncSession, team_id: uuid.UUID) -> dict[uuid.UUID, tuple[Decimal | None, int]]:
    """Per round, the mean of the judges' 0-100 weighted totals (as app.judging.ranking computes them) and
    the number of judges."""
    weighed = aliased(Criterion)
    weights = (
        select(func.sum(weighed.weight))
        .where(weighed.round_id == Submission.round_id)
        .correlate(Submission)
        .scalar_subquery()
    )
    normalized = (Score.value - Criterion.scale_min) / (Criterion.scale_max - Criterion.scale_min)
    total = literal(100) * func.sum(Criterion.weight * normalized) / weights
    totals = (
        _scored(team_id, Submission.round_id.label("round_id"), total.label("total"))
        .where(Score.value.is_not(None))
        .group_by(Submission.round_id, Review.id)
        .subquery("totals")
    )
    rows = await session.execute(
        select(totals.c.round_id, func.avg(totals.c.total), func.count()).group_by(totals.c.round_id)
    )
    return {round_id: (mean, judges) for round_id, mean, judges in rows}


async def _comments(
    session: AsyncSession, team_id: uuid.UUID
) -> dict[tuple[uuid.UUID, uuid.UUID | None], list[str]]:
    """Non-empty comments by (round, criterion or None for overall), each list sorted by its text."""
    per_criterion = _scored(
        team_id, Submission.round_id, Score.criterion_id, Score.comment.label("text")
    ).where(func.btrim(Score.comment) != "")
    overall = _reviews(
        team_id, Submission.round_id, null().label("criterion_id"), Review.comment.label("text")
    ).where(func.btrim(Review.comment) != "")
    found: dict[tuple[uuid.UUID, uuid.UUID | None], list[str]] = {}
    for round_id, criterion_id, text in await session.execute(union_all(per_criterion, overall)):
        found.setdefault((round_id, criterion_id), []).append(text.strip())
    for texts in found.values():
        texts.sort(key=lambda text: (text.casefold(), text))
    return found


async def team_feedback(session: AsyncSession, actor: Actor | None, team_id: uuid.UUID) -> Feedback:
    """The team's feedback for its members (others: 404, founders: 403), empty until results are published."""
    ctx = await load_team(session, actor, team_id, "feedback:view")
    if ctx.challenge.results_published_at is None:
        return Feedback(ctx, False, [])
    means = await _criteria_means(session, team_id)
    overall = await _overall(session, team_id)
    comments = await _comments(session, team_id)
    rounds = []
    for round_ in ctx.rounds:
        if round_.id not in overall:
            continue
        criteria = [
            CriterionFeedback(
                name, description, low, high, mean, judges, comments.get((round_.id, criterion_id), [])
            )
            for round_id, criterion_id, name, description, low, high, mean, judges in means
            if round_id == round_.id
        ]
        mean, judges = overall[round_.id]
        rounds.append(RoundFeedback(round_, mean, judges, criteria, comments.get((round_.id, None), [])))
    return Feedback(ctx, True, rounds)
