"""The cast of the shortlist, results, feedback and vote tests: a judged round (tests.factories.make_judged_round)
with scores given, a member besides each captain, a judge of the challenge, an outsider and an admin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.judging.models import JudgingRound, Review, Score
from app.notifications.models import Notification
from app.platform.models import AuditEntry
from app.teams.models import TeamMember
from tests.factories import make_judged_round, make_registration, make_user, sign_in

# Two judges give each team these values for (criterion 1, criterion 2), weights 1 and 2, scale 0-10.
# Totals on 0-100: team 1 = 90 and 80 (mean 85), team 2 = 60 and 70 (65), team 3 = 30 and 40 (35).
DEFAULT_SCORES = [[(9, 9), (8, 8)], [(6, 6), (7, 7)], [(3, 3), (4, 4)]]


async def as_user(client: Any, db: Any, user: User | None) -> Any:
    """Make the test client act as `user` (signed out for None)."""
    client.cookies.clear()
    if user is not None:
        await sign_in(client, db, user)
    return client


async def give_score(
    db: Any,
    cast: Any,
    entry: Any,
    judge: User,
    values: Sequence[int | None],
    *,
    comments: Sequence[str] = (),
    overall: str = "",
    finalized: bool = True,
) -> Review:
    review = Review(
        submission_id=entry.id,
        user_id=judge.id,
        round_id=cast.round.id,
        comment=overall,
        finalized_at=cast.now - dt.timedelta(hours=1) if finalized else None,
    )
    db.add(review)
    await db.flush()
    for index, (criterion, value) in enumerate(zip(cast.criteria, values, strict=True)):
        comment = comments[index] if index < len(comments) else ""
        db.add(Score(review_id=review.id, criterion_id=criterion.id, value=value, comment=comment))
    await db.flush()
    return review


async def judged(
    db: Any,
    *,
    teams: int = 3,
    rounds: int = 2,
    scores: Sequence[Sequence[Sequence[int]]] | None = None,
    **options: Any,
) -> Any:
    """A judged round with two judges' finalized scores (DEFAULT_SCORES, or the given ones per team and judge),
    a member besides each captain, a judge's user, an outsider and an admin."""
    cast = await make_judged_round(db, teams=teams, rounds=rounds, **options)
    cast.members = []
    for index, team in enumerate(cast.teams):
        member = await make_user(db, name=f"Member {index + 1}")
        await make_registration(db, cast.challenge, member)
        db.add(TeamMember(team_id=team.id, user_id=member.id, challenge_id=cast.challenge.id, role="member"))
        team.member_count = 2
        cast.members.append(member)
    await db.flush()
    given = scores if scores is not None else DEFAULT_SCORES
    for team_index, per_judge in enumerate(given[: len(cast.entries)]):
        for judge, values in zip(cast.judges, per_judge, strict=False):
            await give_score(db, cast, cast.entries[team_index], judge, values)
    cast.outsider = await make_user(db, name="Oscar Outsider")
    cast.admin = await make_user(db, name="Ada Admin", admin=True)
    return cast


async def close_judging(db: Any, cast: Any, round_: Any = None) -> None:
    """Judging of the round (the judged one by default) closed an hour ago."""
    round_ = round_ or cast.round
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == round_.id))
    if settings is None:
        settings = JudgingRound(round_id=round_.id, challenge_id=cast.challenge.id)
        db.add(settings)
    settings.closes_at = cast.now - dt.timedelta(hours=1)
    await db.flush()


async def notifications(db: Any, kind: str) -> list[Notification]:
    return list(
        await db.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.created_at)
        )
    )


async def audit_entries(db: Any, action: str) -> list[AuditEntry]:
    return list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


async def count(db: Any, model: Any, *where: Any) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where)) or 0
