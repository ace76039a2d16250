"""What the founders' panel and assignment pages show, each in a constant number of queries."""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import and_, func, select

from app.accounts.models import User
from app.challenges.models import Challenge, Round
from app.judging.assignment_service import eligible_entries
from app.judging.conflict_service import ConflictRow, conflicted_pairs, panel_user_ids, round_conflicts
from app.judging.models import Assignment, Judge, JudgingJob, Review
from app.judging.panel_links import status_of
from app.judging.rounds import RoundContext, load_round
from app.platform.pagination import Page, paginate
from app.teams.models import Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PER_PAGE = 50
# Up to this many judges, the assignments page is a matrix of entries by judges.
MATRIX_MAX = 15


async def check_round_path(session: AsyncSession, slug: str, round_id: uuid.UUID) -> None:
    """404 unless the round belongs to the challenge named in the address (before any permission check,
    which load_round makes: a wrong pair says nothing either way)."""
    found = await session.scalar(
        select(Round.id)
        .join(Challenge, Challenge.id == Round.challenge_id)
        .where(Round.id == round_id, Challenge.slug == slug)
    )
    if found is None:
        raise NotFoundException()


@dataclasses.dataclass(frozen=True, slots=True)
class JudgeRow:
    judge: Judge
    name: str | None  # of the account that accepted, else None
    status: str
    assigned: int
    reviewed: int
    finalized: int


@dataclasses.dataclass(frozen=True, slots=True)
class Coverage:
    """How far the round's eligible entries are covered by current judges."""

    entries: int
    assignments: int
    below_k: int  # entries with fewer than k current judges (for "k_per_entry"), else with none


@dataclasses.dataclass(frozen=True, slots=True)
class PanelPage:
    ctx: RoundContext
    judges: list[JudgeRow]
    conflicts: list[ConflictRow]
    coverage: Coverage
    job: JudgingJob | None


def _counted(column: Any, *where: Any) -> Any:
    return select(func.count(column)).where(*where).correlate(Judge).scalar_subquery()


async def judge_rows(session: AsyncSession, round_id: uuid.UUID) -> list[JudgeRow]:
    """The round's panel, accepted first then invited then removed, each with their load: one query."""
    assigned = _counted(
        Assignment.submission_id, Assignment.round_id == round_id, Assignment.user_id == Judge.user_id
    )
    reviewed = _counted(Review.id, Review.round_id == round_id, Review.user_id == Judge.user_id)
    finalized = _counted(
        Review.id,
        Review.round_id == round_id,
        Review.user_id == Judge.user_id,
        Review.finalized_at.is_not(None),
    )
    rows = await session.execute(
        select(Judge, User.name, assigned, reviewed, finalized)
        .outerjoin(User, User.id == Judge.user_id)
        .where(Judge.round_id == round_id)
        .order_by(Judge.removed_at.is_not(None), Judge.accepted_at.is_(None), func.lower(Judge.email))
    )
    return [JudgeRow(judge, name, status_of(judge), a, r, f) for judge, name, a, r, f in rows]


async def coverage(session: AsyncSession, ctx: RoundContext) -> Coverage:
    entries = eligible_entries(ctx.round.id).subquery()
    per_entry = (
        select(entries.c.id, func.count(Assignment.user_id).label("judges"))
        .outerjoin(
            Assignment,
            and_(
                Assignment.submission_id == entries.c.id, Assignment.user_id.in_(panel_user_ids(ctx.round.id))
            ),
        )
        .group_by(entries.c.id)
        .subquery()
    )
    needed = ctx.settings.judges_per_entry if ctx.settings.policy == "k_per_entry" else 1
    row = (
        await session.execute(
            select(
                func.count(per_entry.c.id),
                func.coalesce(func.sum(per_entry.c.judges), 0),
                func.count(per_entry.c.id).filter(per_entry.c.judges < needed),
            )
        )
    ).one()
    return Coverage(*row)


async def latest_job(
    session: AsyncSession, round_id: uuid.UUID, job_id: uuid.UUID | None = None
) -> JudgingJob | None:
    statement = select(JudgingJob).where(JudgingJob.round_id == round_id, JudgingJob.kind == "assign")
    if job_id is not None:
        statement = statement.where(JudgingJob.id == job_id)
    return await session.scalar(
        statement.order_by(JudgingJob.created_at.desc()).limit(1).execution_options(populate_existing=True)
    )


async def list_judges(session: AsyncSession, actor: Actor, round_id: uuid.UUID) -> list[JudgeRow]:
    """The round's panel with each judge's load, for founders."""
    await load_round(session, actor, round_id, "judging:manage")
    return await judge_rows(session, round_id)


async def panel_page(session: AsyncSession, actor: Actor, round_id: uuid.UUID) -> PanelPage:
    """The founders' panel page: judges with their loads, conflicts, coverage and the last assignment job."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    job = await latest_job(session, round_id)
    if job is not None and job.status == "done" and job.created_at < ctx.settings.updated_at:
        job = None  # a later run (inline) or settings change made its result stale
    return PanelPage(
        ctx,
        await judge_rows(session, round_id),
        await round_conflicts(session, ctx),
        await coverage(session, ctx),
        job,
    )


async def job_progress(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, job_id: uuid.UUID
) -> tuple[RoundContext, JudgingJob]:
    """One assignment job of the round, for the polling fragment; 404 for another round's job."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    job = await latest_job(session, round_id, job_id)
    if job is None:
        raise NotFoundException()
    return ctx, job


# --- the assignments page ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Seat:
    user_id: uuid.UUID
    name: str
    manual: bool
    reviewed: bool
    finalized: bool
    current: bool  # still an accepted, current judge


@dataclasses.dataclass(frozen=True, slots=True)
class EntryRow:
    submission_id: uuid.UUID
    team_name: str
    seats: list[Seat]
    conflicted: frozenset[uuid.UUID]  # judges (of the page's columns) in conflict with the team

    def seat_of(self, user_id: uuid.UUID) -> Seat | None:
        return next((seat for seat in self.seats if seat.user_id == user_id), None)


@dataclasses.dataclass(frozen=True, slots=True)
class AssignmentsPage:
    ctx: RoundContext
    entries: Page[Any]  # rows of EntryRow
    judges: list[JudgeRow]  # accepted, current ones, with their loads
    options: list[tuple[uuid.UUID, str]]  # every eligible entry, for the form adding an assignment

    @property
    def matrix(self) -> bool:
        """Few enough judges for one column each (else a list of judges per entry)."""
        return 0 < len(self.judges) <= MATRIX_MAX


async def assignments_page(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, page: int
) -> AssignmentsPage:
    """Eligible entries by team name, PER_PAGE at a time, each with its judges and conflicts; the judges'
    loads; the entries for the form: a constant number of queries."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    entries = eligible_entries(round_id).subquery()
    listing = (
        select(entries.c.id, Team.name, Team.id)
        .join(Team, Team.id == entries.c.team_id)
        .order_by(func.lower(Team.name), entries.c.id)
    )
    rows = await paginate(session, listing, page, PER_PAGE)
    ids = [row[0] for row in rows.items]
    seats: dict[uuid.UUID, list[Seat]] = {entry: [] for entry in ids}
    if ids:
        for seat_row in await session.execute(_seats_query(round_id, ids)):
            submission_id, *values = seat_row
            seats[submission_id].append(Seat(*values))
    judges = [row for row in await judge_rows(session, round_id) if row.status == "accepted"]
    judge_ids = [row.judge.user_id for row in judges if row.judge.user_id is not None]
    pairs = await conflicted_pairs(session, ctx.challenge.id, list({row[2] for row in rows.items}), judge_ids)
    options = [(entry, name) for entry, name, _team in (await session.execute(listing))]
    items = [
        EntryRow(entry, name, seats[entry], frozenset(j for j, t in pairs if t == team))
        for entry, name, team in rows.items
    ]
    return AssignmentsPage(ctx, Page(items, rows.number, rows.size, rows.total), judges, options)


def _seats_query(round_id: uuid.UUID, ids: list[uuid.UUID]) -> Any:
    review = select(Review.id).where(
        Review.submission_id == Assignment.submission_id, Review.user_id == Assignment.user_id
    )
    current = select(Judge.id).where(
        Judge.round_id == round_id,
        Judge.user_id == Assignment.user_id,
        Judge.accepted_at.is_not(None),
        Judge.removed_at.is_(None),
    )
    return (
        select(
            Assignment.submission_id,
            Assignment.user_id,
            User.name,
            Assignment.manual,
            review.exists(),
            review.where(Review.finalized_at.is_not(None)).exists(),
            current.exists(),
        )
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.round_id == round_id, Assignment.submission_id.in_(ids))
        .order_by(func.lower(User.name))
    )


def progress_percent(job: JudgingJob) -> int:
    return 100 if job.status == "done" else int(100 * job.done / job.total) if job.total else 0
