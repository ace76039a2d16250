"""The entry a judge reviews: loading it with its permission and judging clock, and the review page.

Whatever the route (page, htmx fragment, API), an entry is reached through `load_entry`, which answers
404 to anyone who is not an assigned judge free of conflict with the team (`authz.assigned_to`) and who
cannot otherwise see the entry, and 403 to founders and the team, who see the entry but do not judge it.
A criterion's autosave, the most frequent request of all, goes through `load_score_target`: the same
rules (the same authz columns) read as one plain row with the criterion, without ORM objects.
Only the actor's own review and scores are ever loaded here: another judge's are never in reach.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import BindParameter, and_, bindparam, func, select

from app import authz
from app.challenges.models import Challenge, Round, RoundField
from app.judging.models import Criterion, JudgingRound, Review, Score
from app.judging.queue import Clock, Progress, QueueEntry, progress_of, queue_entries, round_clock
from app.judging.rounds import judging_settings
from app.platform.rows import Query
from app.teams.models import StoredFile, Submission, SubmissionVersion, Team
from app.teams.submissions import stored_files

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class EntryScope:
    """An entry the actor may review, its round and challenge, and the judging clock at the request."""

    submission: Submission
    team: Team
    round: Round
    challenge: Challenge
    settings: JudgingRound
    clock: Clock

    @property
    def timezone(self) -> str:
        return self.challenge.timezone


async def load_entry(
    session: AsyncSession, actor: Actor | None, submission_id: uuid.UUID, now: dt.datetime
) -> EntryScope:
    """The entry if the actor may review it (`submission:review`): 404/403 otherwise, as authz.require says."""
    row = (
        await session.execute(
            select(Submission, Team, Round, Challenge)
            .join(Team, Team.id == Submission.team_id)
            .join(Round, Round.id == Submission.round_id)
            .join(Challenge, Challenge.id == Round.challenge_id)
            .where(Submission.id == submission_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    submission, team, round_, challenge = row
    relations = await authz.relations_to_entry(session, actor, submission, team, challenge)
    authz.require(actor, "submission:review", relations)
    settings = await judging_settings(session, round_)
    return EntryScope(
        submission, team, round_, challenge, settings, round_clock(round_, settings, challenge, now)
    )


@dataclasses.dataclass(frozen=True, slots=True)
class CriterionScale:
    """A criterion as a score's check and audit read it (scales.Scale, plus its name)."""

    id: uuid.UUID
    name: str
    scale_min: Decimal
    scale_max: Decimal
    scale_step: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class ScoreTarget:
    """An entry the actor may review and one criterion of its round (None when it is not one), as the
    autosave of a score needs them: plain values, no ORM object."""

    submission_id: uuid.UUID
    round_id: uuid.UUID
    team_name: str
    timezone: str
    clock: Clock
    criterion: CriterionScale | None


@functools.cache
def _score_target() -> Query:
    """Everything `load_entry` decides on (the entry, its round's clock, the actor's relations to the team,
    the challenge and the entry) and the criterion, in one plain row: the autosave runs on every change a
    judge makes. Parameters: actor_id, submission_id, criterion_id."""
    actor_id: BindParameter[Any] = bindparam("actor_id")
    return Query(
        select(
            Submission.id,
            Round.id.label("round_id"),
            Round.deadline,
            Team.name.label("team_name"),
            Challenge.timezone,
            Challenge.published_at,
            Challenge.visibility,
            # No settings row yet means the defaults: no closing date of the round's own (judging_closes_at).
            func.coalesce(JudgingRound.closes_at, Challenge.judging_ends_at).label("closes_at"),
            *authz.labelled_challenge_relation_columns(actor_id, Challenge.id),
            authz.team_role_column(actor_id, Team.id).label("team_role"),
            authz.assigned_to(actor_id, submission_id=Submission.id).label("is_assigned"),
            Criterion.id.label("criterion_id"),
            Criterion.name.label("criterion_name"),
            Criterion.scale_min,
            Criterion.scale_max,
            Criterion.scale_step,
        )
        .join(Team, Team.id == Submission.team_id)
        .join(Round, Round.id == Submission.round_id)
        .join(Challenge, Challenge.id == Round.challenge_id)
        .outerjoin(JudgingRound, JudgingRound.round_id == Round.id)
        .outerjoin(Criterion, and_(Criterion.id == bindparam("criterion_id"), Criterion.round_id == Round.id))
        .where(Submission.id == bindparam("submission_id"))
    )


async def load_score_target(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, criterion_id: uuid.UUID, now: dt.datetime
) -> ScoreTarget:
    """`load_entry` for one criterion's autosave, in one read: 404/403 exactly as `load_entry` answers."""
    row = await _score_target().one_or_none(
        session, actor_id=actor.id, submission_id=submission_id, criterion_id=criterion_id
    )
    if row is None:
        raise NotFoundException()
    relations = authz.add_team_relations(authz.challenge_relations_of_row(row), row["team_role"])
    # As relations_to_entry: an assignment counts only for a current judge of the challenge.
    if "judge" in relations and row["is_assigned"]:
        relations.add("assigned_judge")
    authz.require(actor, "submission:review", relations)
    criterion = None
    if row["criterion_id"] is not None:
        criterion = CriterionScale(
            row["criterion_id"], row["criterion_name"], row["scale_min"], row["scale_max"], row["scale_step"]
        )
    return ScoreTarget(
        submission_id=row["id"],
        round_id=row["round_id"],
        team_name=row["team_name"],
        timezone=row["timezone"],
        clock=Clock(row["deadline"], row["closes_at"], now),
        criterion=criterion,
    )


async def round_criteria(session: AsyncSession, round_id: uuid.UUID) -> list[Criterion]:
    return list(
        await session.scalars(
            select(Criterion).where(Criterion.round_id == round_id).order_by(Criterion.position, Criterion.id)
        )
    )


async def own_review(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID
) -> tuple[Review | None, dict[uuid.UUID, Score]]:
    """The actor's review of the entry and its scores by criterion, in one query (never anyone else's)."""
    rows = (
        await session.execute(
            select(Review, Score)
            .outerjoin(Score, Score.review_id == Review.id)
            .where(Review.submission_id == submission_id, Review.user_id == actor.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    if not rows:
        return None, {}
    return rows[0][0], {score.criterion_id: score for _review, score in rows if score is not None}


@dataclasses.dataclass(frozen=True, slots=True)
class ReviewPage:
    """Everything the review page shows: the entry as submitted, the rubric, the judge's own review, and
    where the entry sits in the judge's queue."""

    scope: EntryScope
    criteria: list[Criterion]
    review: Review | None
    scores: dict[uuid.UUID, Score]
    version: SubmissionVersion | None
    fields: list[RoundField]
    files: dict[str, StoredFile]
    queue: list[QueueEntry]

    @property
    def answers(self) -> dict[str, Any]:
        return self.version.answers if self.version is not None else {}

    @property
    def status(self) -> str:
        if self.review is None:
            return "not_started"
        return "finalized" if self.review.finalized_at else "draft"

    @property
    def position(self) -> int:
        """1-based place of the entry in the judge's queue."""
        ids = [entry.submission_id for entry in self.queue]
        return ids.index(self.scope.submission.id) + 1 if self.scope.submission.id in ids else 0

    @property
    def previous(self) -> QueueEntry | None:
        return self.queue[self.position - 2] if self.position > 1 else None

    @property
    def next(self) -> QueueEntry | None:
        return self.queue[self.position] if 0 < self.position < len(self.queue) else None

    @property
    def progress(self) -> Progress:
        return progress_of(self.queue)


async def review_page(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, now: dt.datetime
) -> ReviewPage:
    """The review page's content in a fixed number of queries, whatever the size of the rubric or queue."""
    scope = await load_entry(session, actor, submission_id, now)
    submission = scope.submission
    version = await session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number == submission.version
        )
    )
    answers = version.answers if version is not None else {}
    file_ids = version.files if version is not None else {}
    all_fields = await session.scalars(
        select(RoundField)
        .where(RoundField.round_id == scope.round.id)
        .order_by(RoundField.retired_at.is_not(None), RoundField.position, RoundField.id)
    )
    # Questions withdrawn since keep showing when this version answered them.
    fields = [f for f in all_fields if f.retired_at is None or f.key in answers or f.key in file_ids]
    review, scores = await own_review(session, actor, submission.id)
    return ReviewPage(
        scope=scope,
        criteria=await round_criteria(session, scope.round.id),
        review=review,
        scores=scores,
        version=version,
        fields=fields,
        files=await stored_files(session, file_ids),
        queue=await queue_entries(session, actor.id, scope.round.id),
    )
