"""The judging exports' contents (scores, ranking, feedback) and their writing as CSV or xlsx.

- scores: one row per judge x entry x criterion, with the judge's name, the value, the comment and
  whether the review counts (finalized, draft, or left out for a conflict of interest);
- ranking: the ranking as on the page, with every aggregate and the discussion flag;
- feedback: per team and criterion, the mean of the counted reviews and the judges' comments without
  their names (what teams will see), plus the overall comments.

Rows are read in batches from a server-side cursor and written as they come, so an 80,000-row export
never sits whole in memory as Python objects. CSV goes through app.platform.csv (formula guard);
xlsx cells are written with explicit types (write_string never makes a formula).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.accounts.models import User
from app.judging.conflicts import in_conflict
from app.judging.models import Criterion, Review, Score
from app.judging.ranking import compute_ranking, eligible_entries, judge_totals
from app.judging.ranking_views import needs_discussion, tied_ranks
from app.platform.csv import BOM, csv_lines
from app.platform.i18n import gettext as _
from app.teams.models import Submission, Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

WHATS = ("ranking", "scores", "feedback")
FORMATS = ("csv", "xlsx")
# Judges' scores by name and their comments stay hidden until judging closes (DESIGN.md).
NEEDS_CLOSE = frozenset({"scores", "feedback"})
BATCH = 2000
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
Cell = str | int | float | Decimal | None
Progress = Callable[[int, int], Awaitable[None]]  # (done, total)


@dataclasses.dataclass(slots=True)
class Table:
    title: str  # the sheet's name
    header: list[str]
    total: int
    batches: AsyncIterator[list[Sequence[Cell]]]


def what_label(what: str) -> str:
    return {
        "ranking": _("Ranking"),
        "scores": _("Scores by judge"),
        "feedback": _("Feedback to teams"),
    }.get(what, what)


async def build(session: AsyncSession, round_id: uuid.UUID, what: str, method: str = "auto") -> Table:
    if what == "scores":
        return await _scores(session, round_id)
    if what == "feedback":
        return await _feedback(session, round_id)
    return await _ranking(session, round_id, method)


# --- contents -----------------------------------------------------------------------------------------


def _number(value: Any, places: int = 4) -> int | float | None:
    if value is None:
        return None
    rounded = round(float(value), places)
    return int(rounded) if rounded.is_integer() else rounded


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


async def _ranking(session: AsyncSession, round_id: uuid.UUID, method: str) -> Table:
    ranking = await compute_ranking(session, round_id, method)  # type: ignore[arg-type]
    tied = tied_ranks(ranking)
    rows: list[Sequence[Cell]] = [
        [
            entry.rank,
            _("yes") if entry.rank in tied else "",
            entry.team_name,
            str(entry.submission_id),
            entry.judges,
            _number(entry.mean),
            _number(entry.median),
            _number(entry.z_mean),
            _number(entry.spread),
            _number(entry.stdev),
            _("yes") if needs_discussion(entry) else "",
        ]
        for entry in ranking.entries
    ]
    header = [
        _("Rank"),
        _("Tied"),
        _("Team"),
        _("Entry id"),
        _("Judges"),
        _("Mean (0-100)"),
        _("Median (0-100)"),
        _("Z-score mean"),
        _("Spread (highest - lowest)"),
        _("Standard deviation"),
        _("To discuss"),
    ]
    return Table(_("Ranking"), header, len(rows), _once(rows))


def _scores_query(round_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Team.name.label("team"),
            Submission.id.label("entry"),
            User.name.label("judge"),
            User.email,
            Criterion.name.label("criterion"),
            Criterion.weight,
            Criterion.scale_min,
            Criterion.scale_max,
            Score.value,
            Score.comment,
            Review.finalized_at,
            in_conflict(Review.user_id, Submission.team_id).label("conflicted"),
        )
        .select_from(Score)
        .join(Review, Review.id == Score.review_id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .join(Submission, Submission.id == Review.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .join(User, User.id == Review.user_id)
        .where(Review.round_id == round_id)
        .order_by(
            func.lower(Team.name),
            Submission.id,
            func.lower(User.name),
            Review.id,
            Criterion.position,
            Criterion.id,
        )
    )


async def _scores(session: AsyncSession, round_id: uuid.UUID) -> Table:
    statement = _scores_query(round_id)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    status = {
        "final": _("counted"),
        "draft": _("draft, not counted"),
        "conflict": _("left out: conflict of interest"),
    }

    def row(record: Any) -> Sequence[Cell]:
        state = "conflict" if record.conflicted else ("final" if record.finalized_at else "draft")
        return [
            record.team,
            str(record.entry),
            record.judge,
            record.email,
            record.criterion,
            _number(record.weight),
            _number(record.value),
            _number(record.scale_min),
            _number(record.scale_max),
            record.comment,
            status[state],
            _when(record.finalized_at),
        ]

    header = [
        _("Team"),
        _("Entry id"),
        _("Judge"),
        _("Judge e-mail"),
        _("Criterion"),
        _("Weight"),
        _("Score"),
        _("Scale minimum"),
        _("Scale maximum"),
        _("Comment"),
        _("Review"),
        _("Finalized at"),
    ]
    return Table(_("Scores"), header, total or 0, _streamed(session, statement, row))


async def _feedback(session: AsyncSession, round_id: uuid.UUID) -> Table:
    """Per team and criterion: mean of counted reviews and anonymous comments; then the overall comments."""
    totals = judge_totals(round_id)
    counted = select(totals.c.review_id).scalar_subquery()
    per_criterion = (
        select(
            Team.name.label("team"),
            Criterion.name.label("criterion"),
            Criterion.position,
            func.avg(Score.value).label("mean"),
            Criterion.scale_min,
            Criterion.scale_max,
            func.count(Score.value).label("judges"),
            _joined(Score.comment).label("comments"),
        )
        .select_from(Score)
        .join(Review, and_(Review.id == Score.review_id, Review.id.in_(counted)))
        .join(Criterion, Criterion.id == Score.criterion_id)
        .join(Submission, Submission.id == Review.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .group_by(Team.id, Team.name, Criterion.id)
    )
    overall = (
        select(_joined(Review.comment))
        .where(Review.submission_id == Submission.id, Review.id.in_(counted))
        .scalar_subquery()
    )
    teams = (
        select(Team.name, overall.label("comments"))
        .join(Submission, Submission.team_id == Team.id)
        .where(*eligible_entries(round_id))
    )
    rows: list[Sequence[Cell]] = [
        [
            r.team,
            r.criterion,
            _number(r.mean, 2),
            f"{_number(r.scale_min)}-{_number(r.scale_max)}",
            r.judges,
            r.comments or "",
        ]
        for r in await session.execute(per_criterion.order_by(func.lower(Team.name), Criterion.position))
    ]
    rows += [
        [r.name, _("Overall"), None, "", None, r.comments or ""]
        for r in await session.execute(teams.order_by(func.lower(Team.name)))
    ]
    rows.sort(key=lambda row: str(row[0]).lower())
    header = [_("Team"), _("Criterion"), _("Mean score"), _("Scale"), _("Judges"), _("Comments (anonymous)")]
    return Table(_("Feedback"), header, len(rows), _once(rows))


def _joined(comment: Any) -> Any:
    """Non-empty comments of a group, separated by a blank line, in review id order (random, so anonymous)."""
    return func.array_to_string(
        func.array_agg(aggregate_order_by(func.nullif(func.btrim(comment), ""), Review.id)), "\n\n"
    )


async def _once(rows: list[Sequence[Cell]]) -> AsyncIterator[list[Sequence[Cell]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


async def _streamed(
    session: AsyncSession, statement: Select[Any], row: Callable[[Any], Sequence[Cell]]
) -> AsyncIterator[list[Sequence[Cell]]]:
    result = await session.stream(statement.execution_options(yield_per=BATCH))
    async for partition in result.partitions():
        yield [row(record) for record in partition]


# --- writing --------------------------------------------------------------------------------------------


async def write(table: Table, fmt: str, progress: Progress) -> bytes:
    """The table as CSV or xlsx bytes, calling `progress(done, total)` after each batch."""
    writer: _CsvWriter | _XlsxWriter = _XlsxWriter(table) if fmt == "xlsx" else _CsvWriter(table)
    done = 0
    async for batch in table.batches:
        writer.rows(batch)
        done += len(batch)
        await progress(done, max(table.total, done))
    return writer.close()


class _CsvWriter:
    def __init__(self, table: Table) -> None:
        self.parts = [BOM, csv_lines([table.header])]

    def rows(self, batch: list[Sequence[Cell]]) -> None:
        self.parts.append(csv_lines(batch))

    def close(self) -> bytes:
        return b"".join(self.parts)


class _XlsxWriter:
    def __init__(self, table: Table) -> None:
        import xlsxwriter

        self.buffer = io.BytesIO()
        # constant_memory: rows go to a temporary file as they are written, whatever the export's size.
        self.book = xlsxwriter.Workbook(self.buffer, {"constant_memory": True})
        self.sheet = self.book.add_worksheet(table.title[:31])
        bold = self.book.add_format({"bold": True})
        for column, title in enumerate(table.header):
            self.sheet.write_string(0, column, title, bold)
        self.sheet.freeze_panes(1, 0)
        self.next_row = 1

    def rows(self, batch: list[Sequence[Cell]]) -> None:
        for values in batch:
            for column, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    self.sheet.write_number(self.next_row, column, float(value))
                else:
                    self.sheet.write_string(self.next_row, column, str(value))
            self.next_row += 1

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()
