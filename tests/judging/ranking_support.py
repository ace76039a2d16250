"""Helpers for ranking tests: judges' reviews written straight into the tables (scoring has its own tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from app.db import utcnow
from app.judging.models import Review, Score


async def give_review(
    db: Any,
    judged: Any,
    judge: Any,
    entry: Any,
    values: Sequence[float | None],
    *,
    final: bool = True,
    comments: Sequence[str] = (),
    comment: str = "",
    at: dt.datetime | None = None,
) -> Review:
    """`judge`'s review of `entry`: one value per criterion of the round (in order), finalized unless told."""
    when = at or utcnow()
    review = Review(
        submission_id=entry.id, user_id=judge.id, round_id=judged.round.id, comment=comment,
        finalized_at=when if final else None, updated_at=when,
    )
    db.add(review)
    await db.flush()
    for index, (criterion, value) in enumerate(zip(judged.criteria, values, strict=True)):
        text = comments[index] if index < len(comments) else ""
        db.add(Score(review_id=review.id, criterion_id=criterion.id, value=value, comment=text, updated_at=when))
    await db.flush()
    return review


async def score_all(db: Any, judged: Any, table: dict[int, Sequence[Sequence[float] | None]]) -> None:
    """Finalized reviews from a table: judge index -> one row of criterion values per entry (None: no review)."""
    for judge_index, rows in table.items():
        for entry, values in zip(judged.entries, rows, strict=True):
            if values is not None:
                await give_review(db, judged, judged.judges[judge_index], entry, values)
