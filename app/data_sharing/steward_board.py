"""The steward's board: requests waiting for a decision (oldest first, with how long they waited), active
grants with their expiry, and the access log with filters, exportable as CSV; always scoped to the datasets
the actor stewards.

Each list is one query, so the page costs the same number of queries with 10 or 1,000 grants; lists are
capped (the log is filtered and exported rather than paged through).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, select

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
from app.teams.models import Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

LIST_LIMIT = 200
LOG_LIMIT = 100
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


def log_query(actor: Actor, filters: LogFilters) -> Select[*tuple[Any, ...]]:
    """The access log of the actor's datasets, newest first, with the names a reader needs."""
    query = (
        select(AccessLogEntry, User.name, User.email, Dataset.title, Team.name)
        .join(Dataset, Dataset.id == AccessLogEntry.dataset_id)
        .outerjoin(User, User.id == AccessLogEntry.user_id)
        .outerjoin(Team, Team.id == AccessLogEntry.team_id)
        .where(AccessLogEntry.dataset_id.in_(_stewarded(actor)))
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    )
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
        conditions.append(AccessLogEntry.at < dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time(), dt.UTC))
    if filters.outcome:
        conditions.append(AccessLogEntry.outcome == filters.outcome)
    return query.where(and_(*conditions)) if conditions else query


@dataclasses.dataclass(frozen=True, slots=True)
class Board:
    datasets: list[tuple[uuid.UUID, str]]
    teams: list[tuple[uuid.UUID, str]]
    pending: list[Any]
    grants: list[Any]
    log: list[Any]


async def board(session: AsyncSession, actor: Actor, filters: LogFilters, now: dt.datetime) -> Board:
    authz.require(actor, "steward:board")
    mine = _stewarded(actor)
    datasets = (await session.execute(select(Dataset.id, Dataset.title).where(Dataset.id.in_(mine)).order_by(Dataset.title))).all()
    pending = (await session.execute(
        select(AccessRequest, Team.name, Dataset.title, _waiting_since().label("since"))
        .join(Team, Team.id == AccessRequest.team_id).join(Dataset, Dataset.id == AccessRequest.dataset_id)
        .where(AccessRequest.dataset_id.in_(mine), AccessRequest.state == "submitted")
        .order_by(_waiting_since().asc().nulls_last(), AccessRequest.created_at).limit(LIST_LIMIT)
    )).all()  # fmt: skip
    grants = (await session.execute(
        select(Grant, Team.name, Dataset.title)
        .join(Team, Team.id == Grant.team_id).join(Dataset, Dataset.id == Grant.dataset_id)
        .where(Grant.dataset_id.in_(mine), Grant.revoked_at.is_(None), Grant.expires_at > now)
        .order_by(Grant.expires_at).limit(LIST_LIMIT)
    )).all()  # fmt: skip
    teams = (await session.execute(
        select(Team.id, Team.name).where(Team.id.in_(select(Grant.team_id).where(Grant.dataset_id.in_(mine)))).order_by(Team.name)
    )).all()  # fmt: skip
    log = (await session.execute(log_query(actor, filters).limit(LOG_LIMIT))).all()
    return Board(list(datasets), list(teams), list(pending), list(grants), list(log))


async def access_log(session: AsyncSession, actor: Actor, filters: LogFilters, limit: int = LOG_LIMIT) -> list[Any]:
    """The newest entries of the actor's datasets' access log matching the filters."""
    authz.require(actor, "steward:board")
    return list((await session.execute(log_query(actor, filters).limit(limit))).all())


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
            (entry.at.astimezone(dt.UTC).isoformat(), name, email, dataset, team, entry.file_id, entry.action,
             entry.outcome, entry.reason, entry.ip)
            for entry, name, email, dataset, team in rows
        ])  # fmt: skip
        last_id = rows[-1][0].id
