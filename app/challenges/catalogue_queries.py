"""The catalogue's SQL: a page of cards with its total, and the filters' options, each one statement.

Each statement is built and compiled once per shape of request (which filters are set, the order, the
kind of viewer) and then run as plain rows (app/platform/rows.py): the catalogue is the most visited
page, and SQLAlchemy's per-execution work cost more than the query itself. What varies inside a shape
(the clock, the search words, the slugs, the viewer's id, the page) travels as parameters, so PostgreSQL
still plans each run for its values (plan_cache_mode, app/db.py).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, aggregate_order_by

from app import authz
from app.challenges.lifecycle import next_deadline_sql, phase_sql, registration_open_sql
from app.challenges.models import Challenge, ChallengeOrganizer, Prize, Program, Round
from app.organizations.models import Organization
from app.platform.rows import Query

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy import ColumnElement, SQLColumnExpression

    from app.accounts.sessions import Actor
    from app.challenges.catalogue import CatalogueFilters

NOW = bindparam("now", type_=DateTime(timezone=True))
ACTOR = bindparam("actor_id", type_=Uuid)
SEARCH = bindparam("q", type_=String)


def viewer(actor: Actor | None) -> str:
    """The kinds of viewer whose visibility rules are written differently in SQL."""
    if actor is None:
        return "anonymous"
    return "admin" if actor.is_admin else "user"


@dataclasses.dataclass(frozen=True, slots=True)
class Shape:
    """What decides the text of the page's statement; one compiled statement per shape."""

    viewer: str
    search: bool
    program: bool
    kind: bool
    phase: bool
    organizer: bool
    open_now: bool
    order: str

    @classmethod
    def of(cls, actor: Actor | None, filters: CatalogueFilters) -> Shape:
        return cls(
            viewer=viewer(actor),
            search=bool(filters.q),
            program=bool(filters.program),
            kind=bool(filters.kind),
            phase=bool(filters.phase),
            organizer=bool(filters.organizer),
            open_now=filters.open_now,
            order=filters.order,
        )


def arguments(actor: Actor | None, filters: CatalogueFilters, now: dt.datetime) -> dict[str, Any]:
    """The values of a shape's parameters (a statement ignores those it does not have)."""
    return {
        "now": now,
        "actor_id": actor.id if actor is not None else None,
        "q": filters.q,
        "program": filters.program,
        "kind": filters.kind,
        "phase": filters.phase,
        "organizer": filters.organizer,
    }


@functools.cache
def page_query(shape: Shape) -> Query:
    """The cards of one page (parameters `limit` and `offset`) and the total of the search.

    The total comes from its own subquery joined to the page, so that a page past the end still answers
    it: one row with the total and NULL cards."""
    next_at = next_deadline_sql(NOW)
    rank = func.ts_rank(Challenge.search, _tsquery(), type_=Float) if shape.search else literal(None, Float)
    conditions = _conditions(shape)
    cards = (
        select(*_card_columns(next_at), rank.label("rank"))
        .outerjoin(Program, Program.id == Challenge.program_id)
        .where(*conditions)
        .order_by(*_order(shape.order, next_at, rank, Challenge.published_at, Challenge.id))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("cards")
    )
    totals = (
        select(func.count().label("total"))
        .select_from(Challenge)
        .outerjoin(Program, Program.id == Challenge.program_id)
        .where(*conditions)
        .subquery("totals")
    )
    # A join's output has no order of its own: the page's order again, on its twelve rows.
    again = _order(shape.order, cards.c.next_at, cards.c.rank, cards.c.published_at, cards.c.id)
    return Query(select(totals.c.total, cards).select_from(totals.outerjoin(cards, true())).order_by(*again))


@functools.cache
def choices_query(viewer: str) -> Query:
    """Programs and organizer organizations of the challenges the viewer may find: one row, two JSON lists
    of [slug, title or name] pairs.

    The visibility rules are evaluated once, in a CTE both lists read: written in each list, they were
    planned and run twice (the full page's main cost in the database)."""
    listed = select(Challenge.id, Challenge.program_id).where(_listed(viewer)).cte("listed")
    # [slug, label] pairs: what an <option> needs, and cheaper to decode than objects.
    program = func.json_build_array(Program.slug, Program.title)
    programs = (
        select(_json_list(program, Program.starts_on.desc(), Program.title))
        .where(Program.id.in_(select(listed.c.program_id)))
        .scalar_subquery()
    )
    organizer = func.json_build_array(Organization.slug, Organization.name)
    organized = select(ChallengeOrganizer.organization_id).where(
        ChallengeOrganizer.challenge_id.in_(select(listed.c.id))
    )
    organizers = (
        select(_json_list(organizer, func.lower(Organization.name)))
        .where(Organization.id.in_(organized))
        .scalar_subquery()
    )
    return Query(select(programs.label("programs"), organizers.label("organizers")))


def _json_list(item: ColumnElement[Any], *order: Any) -> ColumnElement[Any]:
    """A JSON array of `item` in `order` ("[]" when there is none)."""
    return func.coalesce(
        func.json_agg(aggregate_order_by(item, *order)), literal_column("'[]'::json"), type_=JSON
    )


def _listed(viewer: str) -> ColumnElement[bool]:
    # Published only, whoever asks: the catalogue is a window on what is out, not a founder's desk.
    actor_id = None if viewer == "anonymous" else ACTOR
    visible = authz.visible_challenges_of(actor_id, admin=viewer == "admin")
    return and_(Challenge.published_at.is_not(None), visible)


def _card_columns(next_at: ColumnElement[Any]) -> list[SQLColumnExpression[Any]]:
    """What a card shows, each related fact as a correlated subquery so that a page is one query."""
    next_kind = case(
        (Challenge.registration_closes_at == next_at, "registration_closes"), else_="round_deadline"
    )
    return [
        Challenge.id,
        Challenge.slug,
        Challenge.title,
        Challenge.summary,
        Challenge.visibility,
        Challenge.timezone,
        Challenge.published_at,
        phase_sql(NOW).label("phase"),
        Program.slug.label("program_slug"),
        Program.title.label("program_title"),
        Program.kind.label("program_kind"),
        _organizers().label("organizers"),
        next_at.label("next_at"),
        next_kind.label("next_kind"),
        _next_round_name().label("next_round_name"),
        _first_prize(Prize.title).label("prize_title"),
        _first_prize(Prize.reward).label("prize_reward"),
    ]


def _conditions(shape: Shape) -> list[ColumnElement[bool]]:
    conditions = [_listed(shape.viewer)]
    if shape.search:
        conditions.append(Challenge.search.bool_op("@@")(_tsquery()))
    if shape.program:
        conditions.append(Program.slug == bindparam("program", type_=String))
    if shape.kind:
        conditions.append(Program.kind == bindparam("kind", type_=String))
    if shape.phase:
        conditions.append(phase_sql(NOW) == bindparam("phase", type_=String))
    if shape.organizer:
        conditions.append(
            select(ChallengeOrganizer.challenge_id)
            .join(Organization, Organization.id == ChallengeOrganizer.organization_id)
            .where(
                ChallengeOrganizer.challenge_id == Challenge.id,
                Organization.slug == bindparam("organizer", type_=String),
            )
            .exists()
        )
    if shape.open_now:
        conditions.append(registration_open_sql(NOW))
    return conditions


def _tsquery() -> ColumnElement[Any]:
    """Web-search syntax ("quoted phrases", or, -excluded) in English or in French, either matching."""
    english = func.websearch_to_tsquery(literal("english", REGCONFIG), SEARCH, type_=TSQUERY)
    french = func.websearch_to_tsquery(literal("french", REGCONFIG), SEARCH, type_=TSQUERY)
    return english.op("||", return_type=TSQUERY)(french)


def _order(
    order: str, next_at: Any, rank: Any, published_at: Any, id_: Any
) -> list[SQLColumnExpression[Any]]:
    newest = [published_at.desc(), id_]
    if order == "newest":
        return newest
    if order == "relevance":
        return [rank.desc(), next_at.asc().nulls_last(), *newest]
    # Challenges with nothing left to meet come last, newest first among them.
    return [next_at.asc().nulls_last(), *newest]


def _organizers() -> ColumnElement[Any]:
    pair = func.json_build_object("slug", Organization.slug, "name", Organization.name)
    names = func.json_agg(aggregate_order_by(pair, func.lower(Organization.name)))
    return (
        select(func.coalesce(names, literal_column("'[]'::json"), type_=JSON))
        .select_from(ChallengeOrganizer)
        .join(Organization, Organization.id == ChallengeOrganizer.organization_id)
        .where(ChallengeOrganizer.challenge_id == Challenge.id)
        .correlate(Challenge)
        .scalar_subquery()
    )


def _next_round_name() -> ColumnElement[Any]:
    return (
        select(Round.name)
        .where(Round.challenge_id == Challenge.id, Round.deadline > NOW)
        .order_by(Round.deadline, Round.position)
        .limit(1)
        .correlate(Challenge)
        .scalar_subquery()
    )


def _first_prize(column: Any) -> ColumnElement[Any]:
    return (
        select(column)
        .where(Prize.challenge_id == Challenge.id)
        .order_by(Prize.position, Prize.id)
        .limit(1)
        .correlate(Challenge)
        .scalar_subquery()
    )
