"""The steward's board: requests waiting for a decision (oldest first, with how long they waited), active
grants with their expiry, and the access log with filters, exportable as CSV; always scoped to the datasets
the actor stewards.

Each list is paged: requests and grants by page number (one statement each, the total counted in it with a
window), the log by a cursor on (at, id) read backwards on its index, its matches counted up to a cap; so the
page costs the same statements with 10 or 100,000 rows. The CSV export still streams every matching entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, literal, select, tuple_

from app import authz
from app.accounts.models import User
from app.data_sharing.models import (
    AccessLogEntry,
    AccessRequest,
    AccessRequestEvent,
    Dataset,
    DatasetSteward,
    Grant,
)
from app.platform.csv import BOM, csv_lines
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE, Page
from app.teams.models import Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 25  # pending requests and active grants per page
LOG_PAGE = 50  # access log entries per page of the board
LOG_COUNT_CAP = 1000  # the board counts matching log entries up to this ("more than 1,000")
API_LOG_PAGE = 100
API_LOG_MAX = 500
EXPORT_BATCH = 1000
OUTCOMES = ("", "allowed", "refused")


@dataclasses.dataclass(frozen=True, slots=True)
class LogFilters:
    dataset: uuid.UUID | None = None
    team: uuid.UUID | None = None
    member: str = ""  # a part of the person's name or e-mail
    since: dt.date | None = None
    until: dt.date | None = None
    outcome: str = ""

    def query(self) -> str:
        from urllib.parse import urlencode

        values = {key: value for key, value in dataclasses.asdict(self).items() if value not in (None, "")}
        return urlencode(values)


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

    outcome = values.get("outcome", "")
    if outcome not in OUTCOMES:
        errors["outcome"] = _("Choose from the list.")
    filters = LogFilters(as_uuid("dataset"), as_uuid("team"), (values.get("member") or "").strip()[:100],
                         as_date("since"), as_date("until"), outcome if outcome in OUTCOMES else "")  # fmt: skip
    if errors:
        raise InvalidInput(errors)
    return filters


def _stewarded(actor: Actor) -> Any:
    return select(DatasetSteward.dataset_id).where(DatasetSteward.user_id == actor.id)


def _waiting_since() -> Any:
    return (
        select(func.max(AccessRequestEvent.created_at))
        .where(AccessRequestEvent.request_id == AccessRequest.id, AccessRequestEvent.to_state == "submitted")
        .scalar_subquery()
    )


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


def log_query(
    actor: Actor, filters: LogFilters, before: tuple[dt.datetime, int] | None = None
) -> Select[*tuple[Any, ...]]:
    """The access log of the actor's datasets, newest first, as plain rows with the names a reader needs;
    `before` keeps the entries older than a cursor (read backwards on the (at, id) index)."""
    query = (
        select(
            AccessLogEntry.id, AccessLogEntry.at, AccessLogEntry.user_id, AccessLogEntry.dataset_id, AccessLogEntry.team_id,
            AccessLogEntry.file_id, AccessLogEntry.action, AccessLogEntry.outcome, AccessLogEntry.reason, AccessLogEntry.ip,
            User.name.label("person"), User.email.label("email"), Dataset.title.label("dataset"), Team.name.label("team"),
        )
        .join(Dataset, Dataset.id == AccessLogEntry.dataset_id)
        .outerjoin(User, User.id == AccessLogEntry.user_id)
        .outerjoin(Team, Team.id == AccessLogEntry.team_id)
        .where(AccessLogEntry.dataset_id.in_(_stewarded(actor)))
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    )  # fmt: skip
    conditions = []
    if filters.dataset:
        conditions.append(AccessLogEntry.dataset_id == filters.dataset)
    if filters.team:
        conditions.append(AccessLogEntry.team_id == filters.team)
    if filters.member:
        pattern = "%" + filters.member.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(User.name.ilike(pattern) | User.email.ilike(pattern))
    if filters.since:
        conditions.append(AccessLogEntry.at >= dt.datetime.combine(filters.since, dt.time(), dt.UTC))
    if filters.until:
        conditions.append(
            AccessLogEntry.at < dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time(), dt.UTC)
        )
    if filters.outcome:
        conditions.append(AccessLogEntry.outcome == filters.outcome)
    if before is not None:
        conditions.append(
            tuple_(AccessLogEntry.at, AccessLogEntry.id)
            < tuple_(literal(before[0], AccessLogEntry.at.type), literal(before[1], AccessLogEntry.id.type))
        )
    return query.where(and_(*conditions)) if conditions else query


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
    datasets: list[tuple[uuid.UUID, str]]
    teams: list[tuple[uuid.UUID, str]]
    pending: Page[Any] | None
    grants: Page[Any] | None
    log: LogPage | None


def _page_of(rows: list[Any], number: int, size: int) -> Page[Any]:
    """Rows that carry their list's total (count(*) over ()) as their last column."""
    total = rows[0][-1] if rows else 0
    return Page(items=[row[:-1] for row in rows], number=number, size=size, total=total)


async def _windowed(
    session: AsyncSession, statement: Select[*tuple[Any, ...]], number: int, size: int
) -> Page[Any]:
    """One page and the list's total in one statement; a page past the end shows the last one (one more)."""
    number = min(max(number, 1), MAX_PAGE)
    statement = statement.add_columns(func.count().over().label("total"))
    rows = list((await session.execute(statement.limit(size).offset((number - 1) * size))).all())
    if not rows and number > 1:
        total = (
            await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
        )
        number = max(1, math.ceil(total / size))
        rows = list((await session.execute(statement.limit(size).offset((number - 1) * size))).all())
    return _page_of(rows, number, size)


async def log_page(
    session: AsyncSession,
    actor: Actor,
    filters: LogFilters,
    before: tuple[dt.datetime, int] | None,
    size: int,
) -> LogPage:
    """`size` entries older than the cursor and the count of every match (capped): two statements."""
    rows = list((await session.execute(log_query(actor, filters, before).limit(size + 1))).all())
    counted = (
        log_query(actor, filters).with_only_columns(AccessLogEntry.id).order_by(None).limit(LOG_COUNT_CAP + 1)
    )
    total = await session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = cursor_of(rows[-1].at, rows[-1].id) if more else None
    return LogPage(rows, min(total, LOG_COUNT_CAP), total > LOG_COUNT_CAP, next_cursor, before is None)


SECTIONS = ("pending", "grants", "access_log")


async def board(
    session: AsyncSession, actor: Actor, filters: LogFilters, now: dt.datetime,
    pages: BoardPages = BoardPages(), only: str | None = None,
) -> Board:  # fmt: skip
    """The board, or only one of its SECTIONS (what htmx asks for when it loads a section's next page)."""
    authz.require(actor, "steward:board")
    mine = _stewarded(actor)
    datasets: list[Any] = []
    teams: list[Any] = []
    pending = grants = None
    log = None
    if only in (None, "pending"):
        pending = await _windowed(session, (
            select(AccessRequest.id, Team.name, Dataset.title, _waiting_since().label("since"))
            .join(Team, Team.id == AccessRequest.team_id).join(Dataset, Dataset.id == AccessRequest.dataset_id)
            .where(AccessRequest.dataset_id.in_(mine), AccessRequest.state == "submitted")
            .order_by(_waiting_since().asc().nulls_last(), AccessRequest.created_at, AccessRequest.id)
        ), pages.pending, PAGE_SIZE)  # fmt: skip
    if only in (None, "grants"):
        grants = await _windowed(session, (
            select(Grant.id, Team.name, Dataset.title, Grant.expires_at)
            .join(Team, Team.id == Grant.team_id).join(Dataset, Dataset.id == Grant.dataset_id)
            .where(Grant.dataset_id.in_(mine), Grant.revoked_at.is_(None), Grant.expires_at > now)
            .order_by(Grant.expires_at, Grant.id)
        ), pages.grants, PAGE_SIZE)  # fmt: skip
    if only is None:
        datasets = list(
            (
                await session.execute(
                    select(Dataset.id, Dataset.title).where(Dataset.id.in_(mine)).order_by(Dataset.title)
                )
            ).all()
        )
        teams = list((await session.execute(
            select(Team.id, Team.name).where(Team.id.in_(select(Grant.team_id).where(Grant.dataset_id.in_(mine)))).order_by(Team.name)
        )).all())  # fmt: skip
    if only in (None, "access_log"):
        log = await log_page(session, actor, filters, pages.log, LOG_PAGE)
    return Board(datasets, teams, pending, grants, log)


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
    rows = list((await session.execute(log_query(actor, filters, before).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_of(rows[-1].at, rows[-1].id)


CSV_HEADER = ("at", "person", "email", "dataset", "team", "file_id", "action", "outcome", "reason", "ip")


async def log_csv(session: AsyncSession, actor: Actor, filters: LogFilters) -> AsyncIterator[bytes]:
    """The filtered access log as CSV, newest first, read in batches by id so any size streams."""
    authz.require(actor, "steward:board")
    statement = log_query(actor, filters).order_by(None)
    return _csv_stream(session, statement)


async def _csv_stream(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[bytes]:
    yield BOM + csv_lines([CSV_HEADER])
    last_id: int | None = None
    while True:
        batch = statement if last_id is None else statement.where(AccessLogEntry.id < last_id)
        rows = (await session.execute(batch.order_by(AccessLogEntry.id.desc()).limit(EXPORT_BATCH))).all()
        if not rows:
            return
        yield csv_lines([
            (row.at.astimezone(dt.UTC).isoformat(), row.person, row.email, row.dataset, row.team, row.file_id, row.action,
             row.outcome, row.reason, row.ip)
            for row in rows
        ])  # fmt: skip
        last_id = rows[-1].id
