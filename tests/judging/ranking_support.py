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
        submission_id=entry.id,
        user_id=judge.id,
        round_id=judged.round.id,
        comment=comment,
        finalized_at=when if final else None,
        updated_at=when,
    )
    db.add(review)
    await db.flush()
    for index, (criterion, value) in enumerate(zip(judged.criteria, values, strict=True)):
        text = comments[index] if index < len(comments) else ""
        db.add(
            Score(review_id=review.id, criterion_id=criterion.id, value=value, comment=text, updated_at=when)
        )
    await db.flush()
    return review


async def score_all(db: Any, judged: Any, table: dict[int, Sequence[Sequence[float] | None]]) -> None:
    """Finalized reviews from a table: judge index -> one row of criterion values per entry (None: no review)."""
    for judge_index, rows in table.items():
        for entry, values in zip(judged.entries, rows, strict=True):
            if values is not None:
                await give_review(db, judged, judged.judges[judge_index], entry, values)


async def add_scored_entries(db: Any, judged: Any, count: int) -> None:
    """`count` more eligible entries, each with a finalized review by every judge of `judged`, inserted in
    bulk (a few statements whatever `count`): for query-count tests on large rounds."""
    import uuid

    from sqlalchemy import insert

    from app.judging.models import Screening
    from app.teams.models import Submission, Team

    now = utcnow()
    teams = [
        {
            "id": uuid.uuid4(),
            "challenge_id": judged.challenge.id,
            "name": f"Bulk {index} {uuid.uuid4().hex[:6]}",
            "captain_id": judged.captains[0].id if judged.captains else judged.founder.id,
        }
        for index in range(count)
    ]
    entries = [
        {
            "id": uuid.uuid4(),
            "team_id": team["id"],
            "round_id": judged.round.id,
            "status": "submitted",
            "version": 1,
            "submitted_at": now,
        }
        for team in teams
    ]
    await db.execute(insert(Team), teams)
    await db.execute(insert(Submission), entries)
    await db.execute(
        insert(Screening),
        [
            {"submission_id": entry["id"], "round_id": judged.round.id, "decision": "eligible"}
            for entry in entries
        ],
    )
    reviews, scores = [], []
    for position, entry in enumerate(entries):
        for judge_index, judge in enumerate(judged.judges):
            review_id = uuid.uuid4()
            reviews.append(
                {
                    "id": review_id,
                    "submission_id": entry["id"],
                    "user_id": judge.id,
                    "round_id": judged.round.id,
                    "finalized_at": now,
                }
            )
            for criterion in judged.criteria:
                scores.append(
                    {
                        "review_id": review_id,
                        "criterion_id": criterion.id,
                        "value": (position * 7 + judge_index * 3) % 11,
                    }
                )
    await db.execute(insert(Review), reviews)
    await db.execute(insert(Score), scores)
