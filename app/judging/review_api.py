"""Judges' JSON API under /api/v1: their queue, their own review of an entry, saving and finalizing it.

The same services as the pages, hence the same rules: 404 for an entry the caller is not assigned to
or is in conflict with, 409 outside the judging period, 422 with the problems by `scores.<criterion id>`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Response, get, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import queue as queues
from app.judging import reviews, scales, scoring
from app.judging.review_schemas import (
    CriterionView,
    JudgingClockView,
    LevelView,
    QueueEntryView,
    QueueView,
    ReviewUpdate,
    ReviewView,
    ScoreView,
)
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.teams.models import StoredFile
from app.teams.submission_schemas import FileView
from app.web import problem

PRIVATE = CacheControlHeader(no_store=True)
ENTRY = "/api/v1/entries/{submission_id:uuid}/review"

PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
PerPage = Annotated[int, Parameter(ge=1, le=200, description="Entries per page, up to 200.")]


def _clock(clock: queues.Clock) -> JudgingClockView:
    return JudgingClockView(state=clock.state, opens_at=clock.opens_at, closes_at=clock.closes_at)


def _file(stored: StoredFile) -> FileView:
    return FileView(
        id=stored.id, name=stored.original_name, size=stored.size, content_type=stored.content_type,
        sha256=stored.sha256, url=f"/files/{stored.id}",
    )  # fmt: skip


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _review_view(page: reviews.ReviewPage) -> ReviewView:
    scope, review = page.scope, page.review
    criteria = [
        CriterionView(
            id=c.id,
            name=c.name,
            description=c.description,
            weight=float(c.weight),
            scale_min=float(c.scale_min),
            scale_max=float(c.scale_max),
            scale_step=float(c.scale_step),
            levels=[
                LevelView(value=float(level.value), descriptor=level.descriptor) for level in scales.levels(c)
            ],
        )
        for c in page.criteria
    ]
    return ReviewView(
        submission_id=scope.submission.id,
        round_id=scope.round.id,
        team=scope.team.name,
        status=page.status,
        judging=_clock(scope.clock),
        comment=review.comment if review is not None else "",
        finalized_at=review.finalized_at if review is not None else None,
        updated_at=review.updated_at if review is not None else None,
        criteria=criteria,
        scores={
            cid: ScoreView(value=_float(score.value), comment=score.comment, updated_at=score.updated_at)
            for cid, score in page.scores.items()
        },
        answers=dict(page.answers),
        files={key: _file(stored) for key, stored in page.files.items()},
    )


async def _current(
    db: AsyncSession, actor: Actor, submission_id: uuid.UUID, now: dt.datetime
) -> Response[Any]:
    page = await reviews.review_page(db, actor, submission_id, now)
    return Response(_review_view(page), headers={"cache-control": "no-store"})


def _refused(exc: InvalidInput) -> Response[Any]:
    errors = [{"key": key, "message": message, "source": "body"} for key, message in exc.errors.items()]
    return problem(422, str(exc.detail), errors=errors)


@get("/api/v1/judge/rounds/{round_id:uuid}/queue", name="judging:api_queue", cache_control=PRIVATE)
async def api_queue(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    page: PageNumber = 1,
    per_page: PerPage = queues.PER_PAGE,
) -> QueueView:
    """The caller's queue in a round they judge, one page of entries (never conflicted ones; those still to
    finalize first) with their progress over the whole queue: `total` entries, `scored` of them finalized."""
    queue = await queues.round_queue(db, actor, round_id, now, page, per_page)
    return QueueView(
        round_id=queue.round["id"],
        round=queue.round["name"],
        challenge=queue.round["challenge_title"],
        judging=_clock(queue.clock),
        scored=queue.progress.scored,
        total=queue.progress.total,
        entries=[
            QueueEntryView(
                submission_id=entry.submission_id,
                team=entry.team_name,
                status=entry.status,
                scored_criteria=entry.scored_criteria,
                updated_at=entry.updated_at,
                url=f"/api/v1/entries/{entry.submission_id}/review",
            )
            for entry in queue.entries.items
        ],
        page=queue.entries.number,
        per_page=queue.entries.size,
        pages=queue.entries.pages,
    )


@get(ENTRY, name="judging:api_review", cache_control=PRIVATE)
async def api_review(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The caller's own review of the entry (never another judge's), the rubric and the entry as submitted."""
    return await _current(db, actor, submission_id, now)


@put(ENTRY, name="judging:api_save_review", cache_control=PRIVATE)
async def api_save_review(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
    data: JSONBody[ReviewUpdate],
) -> Response[Any]:
    """Save scores {criterion id: {value, comment}} and the overall comment, all or nothing, while judging
    is open. A finalized review stays finalized; clearing one of its values is refused."""
    given = {cid: scoring.ScoreInput(item.value, item.comment) for cid, item in data.scores.items()}
    try:
        await scoring.save_review(db, actor, submission_id, now, scores=given, comment=data.comment)
    except InvalidInput as exc:
        return _refused(exc)
    return await _current(db, actor, submission_id, now)


@post(ENTRY + "/finalize", name="judging:api_finalize", cache_control=PRIVATE, status_code=200)
async def api_finalize(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Finalize the caller's review: 422 listing the criteria still without a value."""
    try:
        await scoring.finalize(db, actor, submission_id, now)
    except InvalidInput as exc:
        return _refused(exc)
    return await _current(db, actor, submission_id, now)


ROUTES: list[Any] = [api_queue, api_review, api_save_review, api_finalize]
