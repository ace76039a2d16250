"""Founders adjusting a round's assignment by hand: one judge to one entry, or one entry from one judge.

The same rules as a run (app.judging.assignment_service): only eligible entries and accepted, current
judges, never a conflicted pair (409 with the reason); the round's settings row is locked, and nothing
changes while an assignment job runs. A pair added by hand is kept by later runs; removing one keeps any
review already written. Both are audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app.judging.assignment_service import ensure_idle, round_data
from app.judging.models import Assignment, Review
from app.judging.rounds import RoundContext, load_round
from app.platform import audit
from app.platform.errors import Conflict as ConflictError
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def _manual_context(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, now: dt.datetime
) -> RoundContext:
    ctx = await load_round(session, actor, round_id, "judging:manage", for_update=True)
    await ensure_idle(session, ctx, now)
    return ctx


async def add_assignment(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    submission_id: object,
    user_id: object,
    now: dt.datetime,
) -> Assignment:
    """Founders assign one judge to one entry by hand. 409 with the reason for an entry that is not
    eligible, someone not on the panel, a conflict, or a pair already assigned."""
    ctx = await _manual_context(session, actor, round_id, now)
    data = await round_data(session, ctx)
    entry, judge = _uuid(submission_id, "submission_id"), _uuid(user_id, "user_id")
    if entry not in data.entries:
        raise ConflictError(detail=_("Only eligible entries of this round can be assigned."))
    if judge not in data.judges:
        raise ConflictError(
            detail=_("Only judges who accepted their seat on this round’s panel can be assigned.")
        )
    if (judge, entry) in data.conflicts:
        raise ConflictError(detail=_("This judge is in conflict with this entry’s team."))
    if (judge, entry) in data.rows:
        raise ConflictError(detail=_("This judge is already assigned to this entry."))
    row = Assignment(submission_id=entry, user_id=judge, round_id=round_id, manual=True, created_at=now)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "assignment:add",
        "submission",
        entry,
        {"challenge": ctx.challenge.slug, "round": str(round_id), "judge_id": str(judge)},
    )
    return row


async def remove_assignment(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    submission_id: uuid.UUID,
    user_id: uuid.UUID,
    now: dt.datetime,
) -> None:
    """Founders take one entry from one judge. A review the judge wrote stays (and is reachable again
    if the judge is assigned again); 404 for a pair that is not assigned."""
    ctx = await _manual_context(session, actor, round_id, now)
    row = await session.scalar(
        select(Assignment).where(
            Assignment.round_id == round_id,
            Assignment.submission_id == submission_id,
            Assignment.user_id == user_id,
        )
    )
    if row is None:
        raise NotFoundException()
    had_review = bool(
        await session.scalar(
            select(
                select(Review.id)
                .where(Review.submission_id == submission_id, Review.user_id == user_id)
                .exists()
            )
        )
    )
    await session.delete(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "assignment:remove",
        "submission",
        submission_id,
        {
            "challenge": ctx.challenge.slug,
            "round": str(round_id),
            "judge_id": str(user_id),
            "had_review": had_review,
        },
    )


def _uuid(value: object, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput({field: _("Choose from the list.")}) from None
