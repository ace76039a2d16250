"""The steward board's and the access log API's reads, as statements compiled once (app/platform/rows.py).

What varies from one request to the next travels as bind parameters. The log's optional filters change the
statement's shape, so a statement is compiled once per set of filters in use (a few dozen at most, each
written only when first asked for): every set keeps its plain conditions, which the planner reads best.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, Select, and_, any_, bindparam, func, select, tuple_

from app.accounts.models import User
from app.data_sharing.models import (
    AccessLogEntry,
    AccessRequest,
    Dataset,
    DatasetSteward,
    Grant,
)
from app.platform.rows import Query
from app.teams.models import Team

# The log's optional conditions, by the name of the parameter each one takes.
LOG_FILTERS = ("dataset", "team", "team_name", "member", "since", "until", "outcome")


def _stewarded() -> Any:
    return select(DatasetSteward.dataset_id).where(DatasetSteward.user_id == bindparam("actor_id"))


def _on_stewarded(column: Any) -> Any:
    """`column` among the actor's datasets as `= ANY(ARRAY(...))`: the planner then reads a (dataset_id, ...)
    index for those datasets only, where `IN (subquery)` had it scan the whole table and hash the stewards."""
    return column == any_(func.array(_stewarded().scalar_subquery()))


def _log_conditions(names: frozenset[str]) -> list[Any]:
    conditions: list[Any] = [AccessLogEntry.dataset_id.in_(_stewarded())]
    if "dataset" in names:
        conditions.append(AccessLogEntry.dataset_id == bindparam("dataset"))
    if "team" in names:
        conditions.append(AccessLogEntry.team_id == bindparam("team"))
    if "team_name" in names:
        named = Team.name.ilike(bindparam("team_name"))
        conditions.append(select(Team.id).where(Team.id == AccessLogEntry.team_id, named).exists())
    if "member" in names:
        member = User.name.ilike(bindparam("member")) | User.email.ilike(bindparam("member"))
        conditions.append(select(User.id).where(User.id == AccessLogEntry.user_id, member).exists())
    if "since" in names:
        conditions.append(AccessLogEntry.at >= bindparam("since"))
    if "until" in names:
        conditions.append(AccessLogEntry.at < bindparam("until"))
    if "outcome" in names:
        conditions.append(AccessLogEntry.outcome == bindparam("outcome"))
    return conditions


def log_statement(names: frozenset[str]) -> Select[*tuple[Any, ...]]:
    """The log of the datasets `actor_id` stewards, newest first, filtered by the conditions `names`; a name
    "before" keeps the entries older than (before_at, before_id), read backwards on the (at, id) index.

    The person, dataset and team of each entry are looked up by key, not joined: with three joins PostgreSQL
    spent longer planning the statement (5 ms, every time, as plans are custom: app/db.py) than running it."""
    conditions = _log_conditions(names)
    if "before" in names:
        conditions.append(
            tuple_(AccessLogEntry.at, AccessLogEntry.id)
            < tuple_(
                bindparam("before_at", type_=AccessLogEntry.at.type),
                bindparam("before_id", type_=AccessLogEntry.id.type),
            )
        )
    return (
        select(
            AccessLogEntry.id, AccessLogEntry.at, AccessLogEntry.user_id, AccessLogEntry.dataset_id,
            AccessLogEntry.team_id, AccessLogEntry.file_id, AccessLogEntry.action, AccessLogEntry.outcome,
            AccessLogEntry.reason,
            # the client's address as text (host() of a stored host address): nothing to convert per row
            func.host(AccessLogEntry.ip).label("ip"),
            _by_key(User.name, User.id, AccessLogEntry.user_id).label("person"),
            _by_key(User.email, User.id, AccessLogEntry.user_id).label("email"),
            _by_key(Dataset.title, Dataset.id, AccessLogEntry.dataset_id).label("dataset"),
            _by_key(Team.name, Team.id, AccessLogEntry.team_id).label("team"),
        )
        .where(and_(*conditions))
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    )  # fmt: skip


def _by_key(column: Any, key: Any, value: Any) -> Any:
    """`column` of the row whose primary key `key` is `value` (NULL when there is none)."""
    return select(column).where(key == value).scalar_subquery()


def _log_count(names: frozenset[str]) -> Any:
    """How many entries match the filters (whatever the cursor), counted up to `cap`."""
    counted = (
        select(AccessLogEntry.id)
        .where(and_(*_log_conditions(names - {"before"})))
        .limit(bindparam("cap", type_=Integer))
    )
    return select(func.count()).select_from(counted.subquery()).scalar_subquery()


@functools.cache
def log_rows(names: frozenset[str]) -> Query:
    """`limit` entries of the log (see log_statement)."""
    return Query(log_statement(names).limit(bindparam("limit", type_=Integer)))


@functools.cache
def counted_log_rows(names: frozenset[str]) -> Query:
    """log_rows with the count of every match (up to `cap`) on each row as `matches`: the board's page of
    the log in one statement."""
    statement = log_statement(names).add_columns(_log_count(names).label("matches"))
    return Query(statement.limit(bindparam("limit", type_=Integer)))


def _window(listed: Select[*tuple[Any, ...]]) -> Any:
    """A page (`limit`, `offset`) of an ordered list, with the list's total on each row as `total`."""
    return (
        listed.add_columns(func.count().over().label("total"))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )


def _count(listed: Select[*tuple[Any, ...]]) -> Query:
    return Query(select(func.count()).select_from(listed.order_by(None).subquery()))


# Both lists are ordered and paged on their own table; the team's name and the dataset's title are joined to the
# page's rows only (they are foreign keys: the joins drop no row), not hashed for the whole list.


def _pending() -> Select[*tuple[Any, ...]]:
    # A request waits since it was last submitted. The database keeps that time in `updated_at`: only an event
    # changes the state, and its trigger stamps `updated_at` with the event's time (migration 0005), while the
    # captain's edits, which stamp it too, are refused once submitted. Read from the row, the order needs no
    # lookup in the history for each of the hundreds of requests waiting.
    return (
        select(AccessRequest.id, AccessRequest.team_id, AccessRequest.dataset_id, AccessRequest.created_at,
               AccessRequest.updated_at.label("since"))
        .where(_on_stewarded(AccessRequest.dataset_id), AccessRequest.state == "submitted")
        .order_by(AccessRequest.updated_at, AccessRequest.created_at, AccessRequest.id)
    )  # fmt: skip


def _active_grants() -> Select[*tuple[Any, ...]]:
    return (
        select(Grant.id, Grant.team_id, Grant.dataset_id, Grant.expires_at)
        .where(Grant.dataset_id.in_(_stewarded()), Grant.revoked_at.is_(None), Grant.expires_at > bindparam("now"))
        .order_by(Grant.expires_at, Grant.id)
    )  # fmt: skip


@functools.cache
def pending_page() -> Query:
    """Requests waiting for a decision on `actor_id`'s datasets, the longest waiting first."""
    page = _window(_pending())
    return Query(
        select(page.c.id, Team.name.label("team"), Dataset.title.label("dataset"), page.c.since, page.c.total)
        .join(Team, Team.id == page.c.team_id).join(Dataset, Dataset.id == page.c.dataset_id)
        .order_by(page.c.since, page.c.created_at, page.c.id)
    )  # fmt: skip


@functools.cache
def pending_count() -> Query:
    return _count(_pending())


@functools.cache
def grants_page() -> Query:
    """Grants in force at `now` on `actor_id`'s datasets, the soonest to expire first."""
    page = _window(_active_grants())
    return Query(
        select(page.c.id, Team.name.label("team"), Dataset.title.label("dataset"), page.c.expires_at, page.c.total)
        .join(Team, Team.id == page.c.team_id).join(Dataset, Dataset.id == page.c.dataset_id)
        .order_by(page.c.expires_at, page.c.id)
    )  # fmt: skip


@functools.cache
def grants_count() -> Query:
    return _count(_active_grants())


@functools.cache
def stewarded_datasets() -> Query:
    """The datasets `actor_id` stewards, by title: the log's dataset filter."""
    return Query(
        select(Dataset.id, Dataset.title).where(Dataset.id.in_(_stewarded())).order_by(Dataset.title)
    )
