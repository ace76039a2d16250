"""Judges' progress in a round (assigned, finalized, drafts, last activity) and reminding the late ones.

What a judge has to do is their assignments to eligible, submitted entries they are not in conflict
with (a conflicted entry is nobody's work). A judge is late while one of those has no finalized review.
Reminders go at most once every REMIND_AGAIN_AFTER per judge: the guard is a conditional UPDATE, so two
founders pressing the button at once remind each judge once (the second update finds the row changed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, and_, bindparam, exists, func, or_, select, update

from app.accounts.models import User
from app.judging.access import founder_round
from app.judging.conflicts import conflicted_pairs
from app.judging.models import Assignment, Judge, Review
from app.judging.ranking import eligible_entries
from app.judging.rounds import RoundContext, judging_closes_at
from app.notifications.services import notify
from app.platform import audit
from app.platform.errors import Conflict
from app.platform.i18n import format_datetime, in_locale
from app.platform.i18n import gettext as _
from app.platform.rows import Query
from app.settings import LOCALES
from app.teams.models import Submission

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

REMIND_AGAIN_AFTER = dt.timedelta(hours=12)


@dataclasses.dataclass(frozen=True, slots=True)
class JudgeProgress:
    judge_id: uuid.UUID  # the panel seat (judges.id)
    user_id: uuid.UUID | None  # None while the invitation is not accepted
    name: str  # the person's name, or the invited address
    accepted: bool
    assigned: int
    finalized: int
    drafts: int
    last_activity: dt.datetime | None
    reminded_at: dt.datetime | None

    @property
    def not_started(self) -> int:
        return max(self.assigned - self.finalized - self.drafts, 0)

    @property
    def late(self) -> bool:
        return self.accepted and self.finalized < self.assigned

    @property
    def percent(self) -> int:
        return round(100 * self.finalized / self.assigned) if self.assigned else 100


@dataclasses.dataclass(frozen=True, slots=True)
class Reminded:
    reminded: int  # judges notified now
    skipped: int  # late judges left alone: reminded less than REMIND_AGAIN_AFTER ago


def _work(round_id: Any) -> Any:
    """Subquery: every assignment that is real work (eligible entry, no conflict) with its review, if any."""
    # The round's conflicted (judge, team) pairs once, anti-joined, rather than checked per assignment.
    conflicted = conflicted_pairs(
        select(Assignment.user_id).where(Assignment.round_id == round_id),
        select(Submission.team_id).where(Submission.round_id == round_id),
        name="work_conflicted",
    )
    return (
        select(
            Assignment.user_id,
            Assignment.submission_id,
            Review.id.label("review_id"),
            Review.finalized_at,
        )
        .join(Submission, Submission.id == Assignment.submission_id)
        .outerjoin(
            Review,
            and_(Review.submission_id == Assignment.submission_id, Review.user_id == Assignment.user_id),
        )
        .where(
            Assignment.round_id == round_id,
            *eligible_entries(round_id),
            ~exists().where(
                conflicted.c.judge_id == Assignment.user_id, conflicted.c.team_id == Submission.team_id
            ),
        )
        .subquery("work")
    )


@functools.cache
def _progress_query() -> Query:
    """Every current seat of the panel with its progress, as a plain-row read compiled once (the ranking
    page shows it on every visit). Parameter: round_id."""
    round_id: BindParameter[Any] = bindparam("round_id")
    work = _work(round_id)
    # Each judge's last change, grouped once for the round. (A subquery correlated per judge made the
    # planner expect hundreds of scans of `scores`, and PostgreSQL then spent most of a second JIT-compiling.)
    # The review's time is enough: every write of a score first touches its review's `updated_at`
    # (scoring.locked_review, in the same transaction, at the same time), so no score is ever later than
    # its review, and the round's scores need not be read at all.
    last_review = (
        select(Review.user_id, func.max(Review.updated_at).label("at"))
        .where(Review.round_id == round_id)
        .group_by(Review.user_id)
        .subquery("last_review")
    )
    return Query(
        select(
            Judge.id,
            Judge.user_id,
            func.coalesce(User.name, Judge.email).label("name"),
            Judge.accepted_at,
            Judge.reminded_at,
            func.count(work.c.submission_id).label("assigned"),
            func.count(work.c.finalized_at).label("finalized"),
            (func.count(work.c.review_id) - func.count(work.c.finalized_at)).label("drafts"),
            func.max(last_review.c.at).label("last_activity"),
        )
        .outerjoin(User, User.id == Judge.user_id)
        .outerjoin(work, work.c.user_id == Judge.user_id)
        .outerjoin(last_review, last_review.c.user_id == Judge.user_id)
        .where(Judge.round_id == round_id, Judge.removed_at.is_(None))
        .group_by(Judge.id, User.name)
        .order_by(func.lower(func.coalesce(User.name, Judge.email)), Judge.id)
    )


async def judge_progress(session: AsyncSession, round_id: uuid.UUID) -> list[JudgeProgress]:
    """Every current seat of the panel with its progress, in one query whatever the number of judges."""
    # A plain-row read does not autoflush: the caller's pending changes are written first (see compute_ranking).
    await session.flush()
    rows = await _progress_query().all(session, round_id=round_id)
    return [
        JudgeProgress(
            judge_id=row["id"],
            user_id=row["user_id"],
            name=row["name"],
            accepted=row["user_id"] is not None and row["accepted_at"] is not None,
            assigned=row["assigned"],
            finalized=row["finalized"],
            drafts=row["drafts"],
            last_activity=row["last_activity"],
            reminded_at=row["reminded_at"],
        )
        for row in rows
    ]


def _late(round_id: uuid.UUID) -> Any:
    """SQL truth value on `judges`: the judge has work without a finalized review."""
    work = _work(round_id)
    return exists(
        select(work.c.user_id).where(work.c.user_id == Judge.user_id, work.c.finalized_at.is_(None))
    )


async def remind_late_judges(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, now: dt.datetime
) -> Reminded:
    """Notify every late judge not reminded in the last REMIND_AGAIN_AFTER; Conflict (409) when nobody is
    left to remind, saying why. Sets judges.reminded_at and records the reminder in the audit log."""
    context = await founder_round(session, actor, slug, round_id)
    late = [
        Judge.round_id == round_id,
        Judge.removed_at.is_(None),
        Judge.user_id.is_not(None),
        Judge.accepted_at.is_not(None),
        _late(round_id),
    ]
    due = or_(Judge.reminded_at.is_(None), Judge.reminded_at <= now - REMIND_AGAIN_AFTER)
    # Counted first: the update below makes the judges it reminds "recently reminded" too.
    waiting = await session.execute(
        select(func.count(), func.min(Judge.reminded_at)).select_from(Judge).where(*late, ~due)
    )
    skipped, earliest = waiting.one()
    reminded = await session.scalars(
        update(Judge).where(*late, due).values(reminded_at=now).returning(Judge.user_id)
    )
    user_ids = [user_id for user_id in reminded if user_id is not None]  # `late` keeps judges with an account
    if not user_ids:
        raise Conflict(_refusal(context, skipped, earliest))
    params = _reminder_params(context)
    link = f"/judge/rounds/{round_id}"
    for user_id in user_ids:
        await notify(session, user_id, "judging_reminder", params, link=link)
    await audit.record(
        session,
        actor,
        "judging.judges_reminded",
        "round",
        round_id,
        {"judges": [str(user_id) for user_id in user_ids], "skipped": skipped},
    )
    return Reminded(reminded=len(user_ids), skipped=skipped)


def _refusal(context: RoundContext, skipped: int, earliest: dt.datetime | None) -> str:
    if not skipped or earliest is None:
        return _("No judge is late: every assigned entry has a finalized review.")
    again = format_datetime(earliest + REMIND_AGAIN_AFTER, context.challenge.timezone)
    return _(
        "The late judges were reminded less than 12 hours ago. You can remind them again from %(when)s.",
        when=again,
    )


def _reminder_params(context: RoundContext) -> dict[str, Any]:
    """Notification parameters; the closing time is written in each language, as readers differ."""
    closes = judging_closes_at(context.settings, context.challenge)
    closing: dict[str, str] = {}
    for locale in LOCALES:
        with in_locale(locale):
            closing[locale] = (
                _("Judging closes on %(when)s.", when=format_datetime(closes, context.challenge.timezone))
                if closes
                else _("The founders will close judging once every review is in.")
            )
    return {"challenge": context.challenge.title, "round": context.round.name, "closing": closing}
