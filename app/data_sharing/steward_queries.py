"""The steward board's and the access log API's reads, as statements compiled once (app/platform/rows.py).

What varies from one request to the next travels as bind parameters. The log's optional filters change the
statement's shape, so a statement is compiled once per set of filters in use (a few dozen at most, each
written only when first asked for): every set keeps its plain conditions, which the planner reads best.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, select, tuple_

from app.accounts.models import User
from app.data_sharing.models import (
    AccessLogEntry,
    AccessRequest,
    AccessRequestEvent,
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


def _log_conditions(names: frozenset[str]) -> list[Any]:
    conditions: list[Any] = [AccessLogEntry.dataset_id.in_(_stewarded())]
    if "dataset" in names:
        conditions.append(AccessLogEntry.dataset_id == bindparam("dataset"))
    if "team" in names:
        conditions.append(AccessLogEntry.team_id == bindparam("team"))
    if "team_name" in names:
        conditions.append(Team.name.ilike(bindparam("team_name")))
    if "member" in names:
        conditions.append(User.name.ilike(bindparam("member")) | User.email.ilike(bindparam("member")))
    if "since" in names:
        conditions.append(AccessLogEntry.at >= bindparam("since"))
    if "until" in names:
        conditions.append(AccessLogEntry.at < bindparam("until"))
    if "outcome" in names:
        conditions.append(AccessLogEntry.outcome == bindparam("outcome"))
    return conditions


def log_statement(names: frozenset[str]) -> Select[*tuple[Any, ...]]:
    """The log of the datasets `actor_id` stewards, newest first, filtered by the conditions `names`; a name
    "before" keeps the entries older than (before_at, before_id), read backwards on the (at, id) index."""
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
            User.name.label("person"), User.email.label("email"), Dataset.title.label("dataset"), Team.name.label("team"),
        )
        .join(Dataset, Dataset.id == AccessLogEntry.dataset_id)
        .outerjoin(User, User.id == AccessLogEntry.user_id)
        .outerjoin(Team, Team.id == AccessLogEntry.team_id)
        .where(and_(*conditions))
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    )  # fmt: skip


def _log_count(names: frozenset[str]) -> Any:
    """How many entries match the filters (whatever the cursor), counted up to `cap`. Only the joins a filter
    needs: the stewarded datasets exist (their stewards go with them), the person and the team are outer joins."""
    matching = select(AccessLogEntry.id).select_from(AccessLogEntry)
    if "member" in names:
        matching = matching.outerjoin(User, User.id == AccessLogEntry.user_id)
    if "team_name" in names:
        matching = matching.outerjoin(Team, Team.id == AccessLogEntry.team_id)
    counted = matching.where(and_(*_log_conditions(names - {"before"}))).limit(
        bindparam("cap", type_=Integer)
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


def _waiting_since() -> Any:
    return (
        select(func.max(AccessRequestEvent.created_at))
        .where(AccessRequestEvent.request_id == AccessRequest.id, AccessRequestEvent.to_state == "submitted")
        .scalar_subquery()
    )


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
    return (
        select(AccessRequest.id, AccessRequest.team_id, AccessRequest.dataset_id, AccessRequest.created_at,
               _waiting_since().label("since"))
        .where(AccessRequest.dataset_id.in_(_stewarded()), AccessRequest.state == "submitted")
        .order_by(_waiting_since().asc().nulls_last(), AccessRequest.created_at, AccessRequest.id)
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
        .order_by(page.c.since.asc().nulls_last(), page.c.created_at, page.c.id)
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
