"""Reading the audit log for operators: filters, pages, and the streamed CSV export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import authz
from app.accounts.models import User
from app.platform import audit
from app.platform.csv import BOM, csv_lines
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.models import AuditEntry
from app.platform.pagination import Page, paginate

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 50
EXPORT_BATCH = 500
# Dates in the filters are days as the operators live them, like the times shown on the page.
TIMEZONE = ZoneInfo("Europe/Paris")
CSV_COLUMNS = ("id", "at", "actor_email", "action", "object_type", "object_id", "details", "ip")


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


def audit_filters(action: str, actor_email: str, object_type: str, since: str, until: str) -> AuditFilters:
    """Filters from the form's text fields; InvalidInput names a date that is not one."""
    errors: dict[str, str] = {}
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


def _statement(filters: AuditFilters) -> Select[Any]:
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


async def search_audit(
    session: AsyncSession, actor: Actor, filters: AuditFilters, page: int = 1
) -> Page[AuditRow]:
    """A page of entries matching the filters, newest first."""
    authz.require(actor, "audit:view_all")
    result = await paginate(session, _statement(filters).order_by(AuditEntry.id.desc()), page, PAGE_SIZE)
    return dataclasses.replace(result, items=[AuditRow(*row) for row in result.items])


async def latest_entries(session: AsyncSession, actor: Actor, limit: int = 10) -> list[AuditRow]:
    authz.require(actor, "audit:view_all")
    rows = await session.execute(_statement(AuditFilters()).order_by(AuditEntry.id.desc()).limit(limit))
    return [AuditRow(*row) for row in rows]


async def filter_choices(session: AsyncSession, actor: Actor) -> tuple[list[str], list[str]]:
    """The actions and object types present in the log, for the filter menus."""
    authz.require(actor, "audit:view_all")
    actions = await session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    types = await session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    return list(actions), list(types)


async def export_audit(session: AsyncSession, actor: Actor, filters: AuditFilters) -> AsyncIterator[bytes]:
    """The matching entries as CSV, produced batch by batch while the response streams.

    The permission check and the audit entry of the export itself happen now, before the first
    byte; only the reading is deferred to the stream.
    """
    authz.require(actor, "audit:view_all")
    await audit.record(session, actor, "audit:export", "audit_log", None, {"filters": filters.query_string()})
    return _csv_stream(session, _statement(filters))


async def _csv_stream(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[bytes]:
    yield BOM + csv_lines([CSV_COLUMNS])
    last_id: int | None = None
    while True:
        batch = statement if last_id is None else statement.where(AuditEntry.id < last_id)
        rows = (await session.execute(batch.order_by(AuditEntry.id.desc()).limit(EXPORT_BATCH))).all()
        if not rows:
            return
        yield csv_lines([_csv_record(AuditRow(*row)) for row in rows])
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
