"""Reading the audit log, whoever reads it: filters, rows, pages, and the streamed CSV export.

The admin page reads the whole log; a challenge's founders and a dataset's stewards read one scope of it
(app.platform.audit_scopes). The permission checks are the callers'; everything here is about reading.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.accounts.models import User
from app.platform import audit
from app.platform.csv import BOM, csv_lines
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.models import AuditEntry
from app.platform.pagination import Page, paginate

if TYPE_CHECKING:
    from sqlalchemy import CompoundSelect, Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 50
EXPORT_BATCH = 500
# Dates in the filters are days as the operators live them, like the times shown on the page.
TIMEZONE = ZoneInfo("Europe/Paris")
CSV_COLUMNS = ("id", "at", "actor_email", "action", "object_type", "object_id", "details", "ip")
# The IP address is personal data: only admins get it (README, "Audit log").
SCOPED_CSV_COLUMNS = CSV_COLUMNS[:-1]


@dataclasses.dataclass(frozen=True, slots=True)
class AuditFilters:
    action: str = ""
    actor_email: str = ""
    object_type: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def query_string(self) -> str:
        """The filters as URL parameters, for pagination and export links."""
        values = {
            "action": self.action,
            "actor": self.actor_email,
            "object_type": self.object_type,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return urlencode({key: value for key, value in values.items() if value})


@dataclasses.dataclass(frozen=True, slots=True)
class ScopedLog:
    """One scope of the log, opened by a service once its reader may read it: a challenge's, a dataset's."""

    subject: str  # what the log is about, as its page names it
    back_url: str
    base_url: str  # the log's page; its export is base_url + ".csv"
    intro: str
    about: tuple[str, uuid.UUID]  # object type and id that the export's own entry is recorded on
    scope: CompoundSelect


@dataclasses.dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor_email: str | None
    actor_name: str | None
    action: str
    object_type: str
    object_id: str | None
    details: dict[str, Any]
    ip: str | None


def audit_filters(
    action: str = "", actor_email: str = "", object_type: str = "", since: str = "", until: str = ""
) -> AuditFilters:
    """Filters from the form's text fields; InvalidInput names a field that is not valid."""
    errors: dict[str, str] = {}
    texts = {"action": action, "actor": actor_email, "object_type": object_type}
    for field, value in texts.items():
        if "\x00" in value:
            # PostgreSQL refuses NUL in text: say so instead of failing on the query.
            errors[field] = _("This field contains a character that is not allowed.")
    dates: dict[str, dt.date | None] = {}
    for field, value in (("since", since), ("until", until)):
        try:
            dates[field] = dt.date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            errors[field] = _("Enter a date as YYYY-MM-DD.")
    start, end = dates.get("since"), dates.get("until")
    if start and end and start > end:
        errors["until"] = _("The end date must not be before the start date.")
    if errors:
        raise InvalidInput(errors)
    return AuditFilters(action.strip(), actor_email.strip(), object_type.strip(), start, end)


def entries(filters: AuditFilters, scope: CompoundSelect | None = None) -> Select[Any]:
    """The entries matching the filters, within `scope` (a statement of entry ids) when there is one."""
    statement = select(
        AuditEntry.id,
        AuditEntry.at,
        User.email,
        User.name,
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.details,
        AuditEntry.ip,
    ).outerjoin(User, User.id == AuditEntry.actor_id)
    if scope is not None:
        # A join on the scope's ids, not `id IN (...)`: the planner starts from the scope's few rows
        # (found through ix_audit_log_object) instead of walking the whole log newest first.
        ids = scope.subquery()
        statement = statement.join(ids, ids.c.id == AuditEntry.id)
    if filters.action:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.object_type:
        statement = statement.where(AuditEntry.object_type == filters.object_type)
    if filters.actor_email:
        statement = statement.where(User.email.icontains(filters.actor_email, autoescape=True))
    if filters.since:
        statement = statement.where(AuditEntry.at >= _start_of(filters.since))
    if filters.until:
        statement = statement.where(AuditEntry.at < _start_of(filters.until + dt.timedelta(days=1)))
    return statement


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TIMEZONE)


async def page_of(
    session: AsyncSession, filters: AuditFilters, page: int, scope: CompoundSelect | None = None
) -> Page[AuditRow]:
    """A page of entries, newest first: two queries, whatever the number of entries."""
    statement = entries(filters, scope).order_by(AuditEntry.id.desc())
    result = await paginate(session, statement, page, PAGE_SIZE)
    return dataclasses.replace(result, items=[AuditRow(*row) for row in result.items])


async def actions_in(session: AsyncSession, scope: CompoundSelect | None = None) -> list[str]:
    """The actions present (in the scope), for the filter menu."""
    statement = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if scope is not None:
        ids = scope.subquery()
        statement = statement.join(ids, ids.c.id == AuditEntry.id)
    return list(await session.scalars(statement))


async def export(
    session: AsyncSession,
    actor: Actor,
    filters: AuditFilters,
    about: tuple[str, uuid.UUID | None],
    scope: CompoundSelect | None = None,
) -> AsyncIterator[bytes]:
    """The matching entries as CSV, produced batch by batch while the response streams.

    The export is itself audited, on `about` (object type and id), before the first byte; only the
    reading is deferred to the stream. Without a scope (the admins' whole log) the IP column comes too.
    """
    object_type, object_id = about
    details = {"filters": filters.query_string()}
    await audit.record(session, actor, "audit:export", object_type, object_id, details)
    return _csv_stream(session, entries(filters, scope), with_ip=scope is None)


async def _csv_stream(
    session: AsyncSession, statement: Select[Any], *, with_ip: bool
) -> AsyncIterator[bytes]:
    yield BOM + csv_lines([CSV_COLUMNS if with_ip else SCOPED_CSV_COLUMNS])
    last_id: int | None = None
    while True:
        batch = statement if last_id is None else statement.where(AuditEntry.id < last_id)
        rows = (await session.execute(batch.order_by(AuditEntry.id.desc()).limit(EXPORT_BATCH))).all()
        if not rows:
            return
        records = [_csv_record(AuditRow(*row)) for row in rows]
        yield csv_lines(records if with_ip else [record[:-1] for record in records])
        last_id = rows[-1][0]


def _csv_record(row: AuditRow) -> tuple[object, ...]:
    details = json.dumps(row.details, ensure_ascii=False, sort_keys=True)
    return (
        row.id,
        row.at.astimezone(dt.UTC).isoformat(),
        row.actor_email,
        row.action,
        row.object_type,
        row.object_id,
        details,
        row.ip,
    )
