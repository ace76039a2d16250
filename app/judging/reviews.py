"""The entry a judge reviews: loading it with its permission and judging clock, and the review page.

Whatever the route (page, htmx fragment, API), an entry is reached through `load_entry`, which answers
404 to anyone who is not an assigned judge free of conflict with the team (`authz.assigned_to`) and who
cannot otherwise see the entry, and 403 to founders and the team, who see the entry but do not judge it.
Only the actor's own review and scores are ever loaded here: another judge's are never in reach.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app import authz
from app.challenges.models import Challenge, Round, RoundField
from app.judging.models import Criterion, JudgingRound, Review, Score
from app.judging.queue import Clock, Progress, QueueEntry, progress_of, queue_entries, round_clock
from app.judging.rounds import judging_settings
from app.teams.models import StoredFile, Submission, SubmissionVersion, Team
from app.teams.submissions import stored_files

if TYPE_CHECKING:
    import datetime as dt

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
