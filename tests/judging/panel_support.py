"""The cast of the panel tests: a round being judged (app's make_judged_round) plus everyone else who may knock.

Round 1 of a published public challenge: founder Fiona, three teams with submitted, eligible entries,
two accepted judges (not assigned unless asked), and around them a pending invitee, an outsider,
an admin and the founder of another challenge. Helpers build organizations for automatic conflicts
and reviews with scores.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from app.judging.models import Assignment, Judge, Review, Score
from tests.factories import make_challenge, make_founder, make_judged_round, make_user

ROLES = ("visitor", "outsider", "captain", "judge", "invitee", "admin", "other_founder", "founder")


async def make_panel_cast(
    db: Any, *, teams: int = 3, judges: int = 2, assign: bool = False
) -> SimpleNamespace:
    cast = await make_judged_round(db, teams=teams, judges=judges, assign=assign)
    invitee = await make_user(db, name="Ines Invitee")
    db.add(
        Judge(
            round_id=cast.round.id,
            challenge_id=cast.challenge.id,
            email=invitee.email,
            invited_by_id=cast.founder.id,
        )
    )
    other = await make_challenge(db, title="Another challenge")
    other_founder = await make_founder(db, other, name="Otto Other")
    outsider = await make_user(db, name="Oscar Outsider")
    admin = await make_user(db, name="Ada Admin", admin=True)
    await db.flush()
    return SimpleNamespace(
        **vars(cast),
        judge=cast.judges[0] if cast.judges else None,
        captain=cast.captains[0],
        invitee=invitee,
        outsider=outsider,
        admin=admin,
        other_founder=other_founder,
        base=f"/challenges/{cast.challenge.slug}/rounds/{cast.round.id}/judging/panel",
    )


def person(cast: SimpleNamespace, role: str) -> Any:
    return None if role == "visitor" else getattr(cast, role)


async def judge_row(db: Any, round_id: Any, user: Any) -> Judge:
    return await db.scalar(
        select(Judge)
        .where(Judge.round_id == round_id, Judge.email == user.email)
        .execution_options(populate_existing=True)
    )


async def assigned_pairs(db: Any, round_id: Any) -> set[tuple[Any, Any]]:
    """(judge, entry) pairs assigned in the round, as the database holds them now."""
    rows = await db.execute(
        select(Assignment.user_id, Assignment.submission_id).where(Assignment.round_id == round_id)
    )
    return set(rows.all())


async def give_review(
    db: Any,
    cast: SimpleNamespace,
    judge: Any,
    entry: Any,
    values: list[float],
    *,
    final: bool = True,
    now: Any = None,
) -> Review:
    """A review by `judge` of `entry` with one score per criterion (finalized unless told)."""
    now = now or cast.now
    review = Review(
        submission_id=entry.id,
        user_id=judge.id,
        round_id=cast.round.id,
        finalized_at=now - dt.timedelta(hours=1) if final else None,
    )
    db.add(review)
    await db.flush()
    for criterion, value in zip(cast.criteria, values, strict=True):
        db.add(Score(review_id=review.id, criterion_id=criterion.id, value=value))
    await db.flush()
    return review
