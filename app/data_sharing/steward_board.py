"""The steward's board: requests waiting for a decision (oldest first, with how long they waited), active
grants with their expiry, and the access log with filters, exportable as CSV; always scoped to the datasets
the actor stewards.

Each list is paged: requests and grants by page number (one statement each, the total counted in it with a
window), the log by a cursor on (at, id) read backwards on its index, its matches counted up to a cap in the
same statement; so the page costs the same statements with 10 or 100,000 rows. They are plain rows of
statements compiled once (app.data_sharing.steward_queries). The CSV export still streams every matching entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from app import authz
from app.data_sharing import steward_queries as queries
from app.data_sharing.models import AccessLogEntry
from app.platform.csv import BOM, csv_lines
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE, Page

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.platform.rows import Query

PAGE_SIZE = 25  # pending requests and active grants per page
LOG_PAGE = 50  # access log entries per page of the board
LOG_COUNT_CAP = 1000  # the board counts matching log entries up to this ("more than 1,000")
API_LOG_PAGE = 100
API_LOG_MAX = 500
EXPORT_BATCH = 1000
OUTCOMES = ("", "allowed", "refused")
# The API's filters: the team by id or by a part of its name
API_FILTERS = ("dataset", "team", "team_name", "member", "since", "until", "outcome")


@dataclasses.dataclass(frozen=True, slots=True)
class LogFilters:
    dataset: uuid.UUID | None = None
    team: uuid.UUID | None = None
    team_name: str = ""  # a part of the team's name
    member: str = ""  # a part of the person's name or e-mail
    since: dt.date | None = None
    until: dt.date | None = None
    outcome: str = ""

    def query(self) -> str:
        from urllib.parse import urlencode

        values = {key: value for key, value in dataclasses.asdict(self).items() if value not in (None, "")}
        return urlencode(values)

    def parameters(self) -> dict[str, Any]:
        """The filters in use as the log statement's parameters (app.data_sharing.steward_queries)."""
        values: dict[str, Any] = {
            "dataset": self.dataset, "team": self.team, "outcome": self.outcome,
            "team_name": _containing(self.team_name), "member": _containing(self.member),
            "since": dt.datetime.combine(self.since, dt.time(), dt.UTC) if self.since else None,
            "until": dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), dt.UTC) if self.until else None,
        }  # fmt: skip
        return {name: value for name, value in values.items() if value}


def _containing(text: str) -> str:
    """An ILIKE pattern for `text` anywhere, its wildcards taken literally."""
    # NUL is refused by PostgreSQL in text: dropped, as a search never means it.
    text = text.replace("\x00", "")
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" if text else ""


def parse_filters(values: dict[str, str]) -> LogFilters:
    """Filters from a query string; anything malformed is a clear 422, never a server error."""
    errors: dict[str, str] = {}

    def as_uuid(name: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(values[name]) if values.get(name) else None
        except ValueError:
            errors[name] = _("Choose from the list.")
            return None

    def as_date(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(values[name]) if values.get(name) else None
        except ValueError:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
            return None

    def as_text(name: str) -> str:
        return (values.get(name) or "").strip()[:100]

    outcome = values.get("outcome", "")
    if outcome not in OUTCOMES:
        errors["outcome"] = _("Choose from the list.")
    filters = LogFilters(as_uuid("dataset"), as_uuid("team"), as_text("team_name"), as_text("member"),
                         as_date("since"), as_date("until"), outcome if outcome in OUTCOMES else "")  # fmt: skip
    if errors:
        raise InvalidInput(errors)
    return filters


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CURSOR = re.compile(r"\d{1,17}\.\d{1,18}")


def cursor_of(at: dt.datetime, entry_id: int) -> str:
    """Where the next page of the log starts: the last entry shown, as microseconds since 1970 and its id."""
    return f"{(at - _EPOCH) // dt.timedelta(microseconds=1)}.{entry_id}"


def parse_cursor(value: str) -> tuple[dt.datetime, int] | None:
    """A cursor from a link or the API (None when absent); anything else is a clear 422."""
    value = value.strip()
    if not value:
        return None
    if not _CURSOR.fullmatch(value):
        raise InvalidInput({"cursor": _("This cursor is not valid: start again from the first page.")})
    micros, entry_id = value.split(".")
    return _EPOCH + dt.timedelta(microseconds=int(micros)), int(entry_id)


def _log_parameters(
    actor: Actor, filters: LogFilters, before: tuple[dt.datetime, int] | None
) -> tuple[frozenset[str], dict[str, Any]]:
    """Which of the log's conditions apply (the statement's shape) and their parameters."""
    parameters = filters.parameters()
    if before is not None:
        parameters |= {"before": True, "before_at": before[0], "before_id": before[1]}
    shape = frozenset(parameters)
    parameters.pop("before", None)
    return shape, {"actor_id": actor.id, **parameters}


@dataclasses.dataclass(frozen=True, slots=True)
class LogPage:
    """One page of the log: its rows, how many match (counted up to LOG_COUNT_CAP) and where the next starts."""

    rows: list[Any]
    total: int
    more_than: bool  # the count stopped at LOG_COUNT_CAP
    next_cursor: str | None
    first: bool  # the newest entries (no cursor)


@dataclasses.dataclass(frozen=True, slots=True)
class BoardPages:
    pending: int = 1
    grants: int = 1
    log: tuple[dt.datetime, int] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Board:
    datasets: list[Any]  # rows of id, title
    pending: Page[Any] | None
    grants: Page[Any] | None
    log: LogPage | None


async def _windowed(
    session: AsyncSession, rows: Query, count: Query, number: int, size: int, **params: Any
) -> Page[Any]:
    """One page and the list's total (each row's `total`) in one statement; a page past the end shows the
    last one (two more)."""
    number = min(max(number, 1), MAX_PAGE)
    page = await rows.all(session, limit=size, offset=(number - 1) * size, **params)
    if not page and number > 1:
        total = await count.scalar(session, **params) or 0
        number = max(1, math.ceil(total / size))
        page = await rows.all(session, limit=size, offset=(number - 1) * size, **params)
    return Page(items=page, number=number, size=size, total=page[0]["total"] if page else 0)


async def log_page(
    session: AsyncSession,
    actor: Actor,
    filters: LogFilters,
    before: tuple[dt.datetime, int] | None,
    size: int,
) -> LogPage:
    """`size` entries older than the cursor and the count of every match (capped), in one statement."""
    shape, params = _log_parameters(actor, filters, before)
    rows = await queries.counted_log_rows(shape).all(session, limit=size + 1, cap=LOG_COUNT_CAP + 1, **params)
    # the count rides on each row: an empty page (a cursor past the end) shows no count
    total = rows[0]["matches"] if rows else 0
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = cursor_of(rows[-1]["at"], rows[-1]["id"]) if more else None
    return LogPage(rows, min(total, LOG_COUNT_CAP), total > LOG_COUNT_CAP, next_cursor, before is None)


SECTIONS = ("pending", "grants", "access_log")


async def board(
    session: AsyncSession, actor: Actor, filters: LogFilters, now: dt.datetime,
    pages: BoardPages = BoardPages(), only: str | None = None,
) -> Board:  # fmt: skip
    """The board, or only one of its SECTIONS (what htmx asks for when it loads a section's next page)."""
    authz.require(actor, "steward:board")
    datasets: list[Any] = []
    pending = grants = None
    log = None
    if only in (None, "pending"):
        pending = await _windowed(
            session,
            queries.pending_page(),
            queries.pending_count(),
            pages.pending,
            PAGE_SIZE,
            actor_id=actor.id,
        )
    if only in (None, "grants"):
        grants = await _windowed(
            session, queries.grants_page(), queries.grants_count(), pages.grants, PAGE_SIZE,
            actor_id=actor.id, now=now,
        )  # fmt: skip
    if only is None:
        datasets = await queries.stewarded_datasets().all(session, actor_id=actor.id)
    if only in (None, "access_log"):
        log = await log_page(session, actor, filters, pages.log, LOG_PAGE)
    return Board(datasets, pending, grants, log)


async def access_log(
    session: AsyncSession,
    actor: Actor,
    filters: LogFilters,
    before: tuple[dt.datetime, int] | None = None,
    limit: int = API_LOG_PAGE,
) -> tuple[list[Any], str | None]:
    """`limit` entries of the actor's datasets' access log matching the filters, older than the cursor, and
    the cursor of the next ones (None at the end)."""
    authz.require(actor, "steward:board")
    shape, params = _log_parameters(actor, filters, before)
    rows = await queries.log_rows(shape).all(session, limit=limit + 1, **params)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_of(rows[-1]["at"], rows[-1]["id"])


CSV_HEADER = ("at", "person", "email", "dataset", "team", "file_id", "action", "outcome", "reason", "ip")


async def log_csv(session: AsyncSession, actor: Actor, filters: LogFilters) -> AsyncIterator[bytes]:
    """The filtered access log as CSV, newest first, read in batches by id so any size streams."""
    authz.require(actor, "steward:board")
    shape, params = _log_parameters(actor, filters, None)
    return _csv_stream(session, queries.log_statement(shape).order_by(None), params)


async def _csv_stream(
    session: AsyncSession, statement: Select[Any], params: dict[str, Any]
) -> AsyncIterator[bytes]:
    yield BOM + csv_lines([CSV_HEADER])
    last_id: int | None = None
    while True:
        batch = statement if last_id is None else statement.where(AccessLogEntry.id < last_id)
        rows = (
            await session.execute(batch.order_by(AccessLogEntry.id.desc()).limit(EXPORT_BATCH), params)
        ).all()
        if not rows:
            return
        yield csv_lines([
            (row.at.astimezone(dt.UTC).isoformat(), row.person, row.email, row.dataset, row.team, row.file_id, row.action,
             row.outcome, row.reason, row.ip)
            for row in rows
        ])  # fmt: skip
        last_id = rows[-1].id
