"""A judge's work: the rounds they judge (/judge) and their queue in one round, each in one query.

A judge's queue is the set of entries `authz.assigned_to` gives them: assigned, in a round where they
are an accepted, current judge, still under judgement (submitted, screened eligible), and not in
conflict with the team (declared or automatic). An entry
they are in conflict with is never listed, so it cannot be counted, opened or scored. "Scored" means
finalized: a draft review is work in progress.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import TYPE_CHECKING, Any, Literal

from litestar.exceptions import NotFoundException
from sqlalchemy import BindParameter, Select, and_, bindparam, func, select

from app import authz
from app.authz import judged_entry
from app.challenges.models import Challenge, Round
from app.judging.conflicts import conflicted_teams
from app.judging.models import Assignment, Judge, JudgingRound, Review, Score
from app.judging.rounds import judging_closes_at
from app.platform.i18n import format_datetime, lazy
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE, Page
from app.platform.rows import Query
from app.teams.models import Submission, Team

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PER_PAGE = 50  # entries per page of the queue (the API's default too)
ClockState = Literal["not_open", "open", "closed"]
ReviewStatus = Literal["not_started", "draft", "finalized"]
STATUS_LABELS = {"not_started": lazy("Not started"), "draft": lazy("Draft"), "finalized": lazy("Finalized")}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


@dataclasses.dataclass(frozen=True, slots=True)
class Clock:
    """The judging clock of a round as of the request: judges score from `opens_at` (the round's deadline)
    until `closes_at` (none: until the founders close it), half-open like every deadline."""

    opens_at: dt.datetime
    closes_at: dt.datetime | None
    now: dt.datetime

    @property
    def state(self) -> ClockState:
        if self.now < self.opens_at:
            return "not_open"
        if self.closes_at is not None and self.now >= self.closes_at:
            return "closed"
        return "open"

    @property
    def open(self) -> bool:
        return self.state == "open"

    def message(self, timezone: str) -> str:
        """What the judge reads about the clock: open until when, closed since when, opening when."""
        if self.state == "not_open":
            return _("Judging opens on %(date)s.", date=format_datetime(self.opens_at, timezone))
        if self.state == "closed":
            assert self.closes_at is not None
            return _("Judging closed on %(date)s.", date=format_datetime(self.closes_at, timezone))
        if self.closes_at is None:
            return _("Judging is open until the founders close it.")
        return _("Judging is open until %(date)s.", date=format_datetime(self.closes_at, timezone))

    def refusal(self, timezone: str) -> str | None:
        """Why scores cannot change now (409 for writes), or None while judging is open."""
        if self.state == "not_open":
            return _(
                "Judging of this round opens on %(date)s: nothing can be scored yet.",
                date=format_datetime(self.opens_at, timezone),
            )
        if self.state == "closed":
            assert self.closes_at is not None
            return _(
                "Judging of this round closed on %(date)s: scores and comments can no longer change.",
                date=format_datetime(self.closes_at, timezone),
            )
        return None


def round_clock(round_: Round, settings: JudgingRound, challenge: Challenge, now: dt.datetime) -> Clock:
    return Clock(round_.deadline, judging_closes_at(settings, challenge), now)


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    scored: int
    total: int

    @property
    def text(self) -> str:
        return _("%(scored)s of %(total)s scored", scored=self.scored, total=self.total)


@dataclasses.dataclass(frozen=True, slots=True)
class JudgedRound:
    """One row of /judge: a round the person judges, with their progress and the clock."""

    challenge: Challenge
    round: Round
    clock: Clock
    progress: Progress


@dataclasses.dataclass(frozen=True, slots=True)
class QueueEntry:
    submission_id: uuid.UUID
    team_name: str
    status: ReviewStatus
    scored_criteria: int
    updated_at: dt.datetime | None

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclasses.dataclass(frozen=True, slots=True)
class Queue:
    """One page of the judge's queue in a round, with the progress over all of it. `round` is a plain row
    (`_queue_round`): the round's id and name, its challenge's slug, title and timezone."""

    round: asyncpg.Record
    clock: Clock
    entries: Page[QueueEntry]
    scored: int

    @property
    def progress(self) -> Progress:
        return Progress(self.scored, self.entries.total)


def progress_of(entries: list[QueueEntry]) -> Progress:
    return Progress(sum(entry.status == "finalized" for entry in entries), len(entries))


def _queue_of(user_id: Any, round_id: Any) -> list[Any]:
    """Conditions on Assignment (joined to Submission) for the judge's non-conflicted entries of a round."""
    return [
        Assignment.user_id == user_id,
        Assignment.round_id == round_id,
        Submission.id == Assignment.submission_id,
        # Computed once (hashed), where not_in_conflict would check each entry with two subplans.
        Submission.team_id.not_in(conflicted_teams(user_id)),
        *judged_entry(),
    ]


async def judged_rounds(session: AsyncSession, actor: Actor, now: dt.datetime) -> list[JudgedRound]:
    """Every round where `actor` is an accepted, current judge, across challenges, with their progress.

    One query: the counts are correlated subqueries. Open rounds come first, then the ones not yet
    open, then closed ones; within each, the soonest closing first.
    """
    total = (
        select(func.count()).select_from(Assignment).join(Submission, Submission.id == Assignment.submission_id)
        .where(*_queue_of(actor.id, Judge.round_id))
        .scalar_subquery()
    )  # fmt: skip
    scored = (
        select(func.count())
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Review, and_(Review.submission_id == Assignment.submission_id, Review.user_id == actor.id))
        .where(*_queue_of(actor.id, Judge.round_id), Review.finalized_at.is_not(None))
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Round, Challenge, JudgingRound.closes_at, total, scored)
        .select_from(Judge)
        .join(Round, Round.id == Judge.round_id)
        .join(Challenge, Challenge.id == Round.challenge_id)
        .outerjoin(JudgingRound, JudgingRound.round_id == Round.id)
        .where(Judge.user_id == actor.id, Judge.accepted_at.is_not(None), Judge.removed_at.is_(None))
    )
    found = [
        JudgedRound(
            challenge,
            round_,
            Clock(round_.deadline, closes_at or challenge.judging_ends_at, now),
            Progress(done, count),
        )
        for round_, challenge, closes_at, count, done in rows
    ]
    order = {"open": 0, "not_open": 1, "closed": 2}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(
        found,
        key=lambda r: (order[r.clock.state], r.clock.closes_at or far, r.challenge.title, r.round.position),
    )


def _queue_statement(user_id: Any, round_id: Any) -> Select[*tuple[Any, ...]]:
    """The judge's entries of the round, each with the state of their review (not ordered)."""
    scored_criteria = func.count(Score.value)
    return (
        select(Submission.id, Team.name, Review.id, Review.finalized_at, Review.updated_at, scored_criteria)
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .outerjoin(Review, and_(Review.submission_id == Submission.id, Review.user_id == user_id))
        .outerjoin(Score, Score.review_id == Review.id)
        .where(*_queue_of(user_id, round_id))
        .group_by(Submission.id, Team.name, Review.id)
    )


async def queue_entries(session: AsyncSession, user_id: uuid.UUID, round_id: uuid.UUID) -> list[QueueEntry]:
    """All the judge's entries of the round in name order (the review page's previous/next)."""
    rows = await session.execute(
        _queue_statement(user_id, round_id).order_by(func.lower(Team.name), Submission.id)
    )
    return [_entry(*row) for row in rows]


def _entry(
    submission_id: uuid.UUID, name: str, review_id: Any, finalized_at: Any, updated_at: Any, count: int
) -> QueueEntry:
    status: ReviewStatus = "not_started" if review_id is None else "finalized" if finalized_at else "draft"
    return QueueEntry(
        submission_id=submission_id,
        team_name=name,
        status=status,
        scored_criteria=count,
        updated_at=updated_at,
    )


# The queue page and its API are read on every visit of a judge: their statements are compiled once and
# run as plain rows (app/platform/rows.py), parameters `actor_id`, `round_id` (and `limit`, `offset`).


@functools.cache
def _queue_round() -> Query:
    """The round as the queue shows it, the actor's relations to its challenge and whether they sit on the
    round's panel: everything 404/403 is decided on, in one row."""
    actor_id: BindParameter[Any] = bindparam("actor_id")
    round_id: BindParameter[Any] = bindparam("round_id")
    on_panel = (
        select(Judge.id)
        .where(
            Judge.round_id == Round.id,
            Judge.user_id == actor_id,
            Judge.accepted_at.is_not(None),
            Judge.removed_at.is_(None),
        )
        .exists()
    )
    return Query(
        select(
            Round.id,
            Round.name,
            Round.deadline,
            Challenge.slug.label("challenge_slug"),
            Challenge.title.label("challenge_title"),
            Challenge.timezone,
            Challenge.published_at,
            Challenge.visibility,
            # No settings row yet means the defaults: no closing date of the round's own (judging_closes_at).
            func.coalesce(JudgingRound.closes_at, Challenge.judging_ends_at).label("closes_at"),
            *authz.labelled_challenge_relation_columns(actor_id, Challenge.id),
            on_panel.label("on_panel"),
        )
        .join(Challenge, Challenge.id == Round.challenge_id)
        .outerjoin(JudgingRound, JudgingRound.round_id == Round.id)
        .where(Round.id == round_id)
    )


def _queue_ordered() -> Select[*tuple[Any, ...]]:
    """The judge's queue, entries still to finalize first (then by team name), each row with its review's
    state and the number of entries and of finalized ones over the whole queue (window functions). One row
    per assignment: a judge has at most one review of an entry."""
    user_id: BindParameter[Any] = bindparam("actor_id")
    round_id: BindParameter[Any] = bindparam("round_id")
    return (
        select(
            Submission.id,
            Team.name,
            Review.id.label("review_id"),
            Review.finalized_at,
            Review.updated_at,
            func.count().over().label("total"),
            func.count(Review.finalized_at).over().label("finalized"),
        )
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .outerjoin(Review, and_(Review.submission_id == Submission.id, Review.user_id == user_id))
        .where(*_queue_of(user_id, round_id))
        .order_by(Review.finalized_at.is_not(None), func.lower(Team.name), Submission.id)
    )


@functools.cache
def _queue_rows() -> Query:
    # The criteria scored are counted for the page's entries only, after LIMIT: counting them for the whole
    # queue before sorting joined every score of the judge's round (16,000 rows for 50 shown).
    page = _queue_ordered().limit(bindparam("limit")).offset(bindparam("offset")).subquery("page")
    scored = select(func.count(Score.value)).where(Score.review_id == page.c.review_id).scalar_subquery()
    return Query(
        select(
            page.c.id,
            page.c.name,
            page.c.review_id,
            page.c.finalized_at,
            page.c.updated_at,
            scored.label("scored_criteria"),
            page.c.total,
            page.c.finalized,
        ).order_by(page.c.finalized_at.is_not(None), func.lower(page.c.name), page.c.id)
    )


@functools.cache
def _queue_size() -> Query:
    return Query(select(func.count()).select_from(_queue_ordered().order_by(None).subquery()))


async def queue_page(
    session: AsyncSession, user_id: uuid.UUID, round_id: uuid.UUID, page: int, per_page: int
) -> tuple[Page[QueueEntry], int]:
    """One page of the judge's queue, entries still to finalize first (then by team name), with the number
    of entries and of finalized ones over the whole queue: one statement, a second only for a page past
    the end (then the last page is given)."""
    number = min(max(page, 1), MAX_PAGE)
    params = {"actor_id": user_id, "round_id": round_id, "limit": per_page}
    rows = await _queue_rows().all(session, **params, offset=(number - 1) * per_page)
    if not rows and number > 1:
        total = await _queue_size().scalar(session, actor_id=user_id, round_id=round_id) or 0
        number = max(1, -(-total // per_page))
        rows = await _queue_rows().all(session, **params, offset=(number - 1) * per_page)
    total, finalized = (rows[0]["total"], rows[0]["finalized"]) if rows else (0, 0)
    entries = [_entry(*row[:6]) for row in rows]
    return Page(items=entries, number=number, size=per_page, total=total), finalized


async def round_queue(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    now: dt.datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Queue:
    """The actor's queue in the round: 404 unless they sit on this round's panel (a judge of another round
    of the same challenge has no queue here), 403 for people who see the challenge but do not judge it."""
    round_ = await _queue_round().one_or_none(session, actor_id=actor.id, round_id=round_id)
    if round_ is None:
        raise NotFoundException()
    authz.require(actor, "judging:queue", authz.challenge_relations_of_row(round_))
    if not round_["on_panel"]:
        raise NotFoundException()
    clock = Clock(round_["deadline"], round_["closes_at"], now)
    entries, scored = await queue_page(session, actor.id, round_id, page, per_page)
    return Queue(round_, clock, entries, scored)
