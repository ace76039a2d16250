"""The catalogue of challenges: the public page /challenges and its JSON twin GET /api/v1/challenges."""

from __future__ import annotations

import datetime as dt
import uuid
from html import escape
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import Parameter, QueryParameter
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges import catalogue
from app.challenges.lifecycle import PUBLIC_PHASES
from app.challenges.models import PROGRAM_KINDS
from app.web import is_htmx, render

PRIVATE = CacheControlHeader(no_store=True)

Search = Annotated[
    str,
    Parameter(
        description="Words to look for in the title, summary and description (web-search syntax, English or French)."
    ),
]
ProgramSlug = Annotated[str, Parameter(description="Slug of a program.")]
ProgramKind = Annotated[str, Parameter(description="Kind of program: " + ", ".join(PROGRAM_KINDS) + ".")]
PhaseName = Annotated[str, Parameter(description="Phase: " + ", ".join(p.value for p in PUBLIC_PHASES) + ".")]
OrganizerSlug = Annotated[str, Parameter(description="Slug of an organizer organization.")]
OpenNow = Annotated[
    str, QueryParameter(name="open", description="1 for challenges open for registration now.")
]
Sort = Annotated[
    str, Parameter(description="deadline (default), newest, or relevance (the default when searching).")
]
PageNumber = Annotated[str, Parameter(description="Page number, from 1.")]


def _filters(**params: str) -> catalogue.CatalogueFilters:
    return catalogue.parse_filters(params)


# --- page ---------------------------------------------------------------------------------------------


@get("/challenges", name="challenges:catalogue", opt={"public": True}, include_in_schema=False)
async def show_catalogue(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    now: NamedDependency[dt.datetime],
    q: Search = "",
    program: ProgramSlug = "",
    kind: ProgramKind = "",
    phase: PhaseName = "",
    organizer: OrganizerSlug = "",
    open_now: OpenNow = "",
    sort: Sort = "",
    page: PageNumber = "1",
) -> Response[str]:
    """Published challenges to browse; htmx asks for the results block alone as the filters change."""
    filters = _filters(
        q=q, program=program, kind=kind, phase=phase, organizer=organizer, open=open_now, sort=sort, page=page
    )
    results = await catalogue.list_challenges(db, actor, filters, now)
    context = {
        "filters": filters,
        "page": results,
        "params": filters.query_string(),
        **catalogue.labels(),
        "local_time": catalogue.local_time,
    }
    # htmx asks for the results block alone, which does not show the filter form's options.
    if not is_htmx(request):
        choices = await catalogue.filter_choices(db, actor)
        context["program_options"] = _options(choices.programs, filters.program)
        context["organizer_options"] = _options(choices.organizers, filters.organizer)
    return render(request, "challenges/catalogue.html", context, block="catalogue_results")


def _options(pairs: list[tuple[str, str]], selected: str) -> Markup:
    """A filter's <option>s in one pass: hundreds of organizers cost several times more as a template loop.
    The standard library's escape, as it returns plain strings, is about three times cheaper here."""
    options = "".join([
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>'
        for value, label in pairs
    ])  # fmt: skip
    return Markup(options)  # noqa: S704 - every value in it is escaped just above


# --- JSON API -----------------------------------------------------------------------------------------


class ProgramRefView(msgspec.Struct):
    slug: str
    title: str
    kind: str
    kind_label: str


class OrganizerRefView(msgspec.Struct):
    slug: str
    name: str


class DeadlineView(msgspec.Struct):
    at: dt.datetime
    kind: str
    label: str
    round_name: str | None


class PrizeHeadlineView(msgspec.Struct):
    title: str
    reward: str


class CatalogueItem(msgspec.Struct):
    """A challenge as the catalogue lists it; /api/v1/challenges/{slug} has the rest."""

    id: uuid.UUID
    slug: str
    url: str
    title: str
    summary: str
    visibility: str
    phase: str
    phase_label: str
    timezone: str
    published_at: dt.datetime
    program: ProgramRefView | None
    organizers: list[OrganizerRefView]
    next_deadline: DeadlineView | None
    prize: PrizeHeadlineView | None
    # ts_rank of the search, when searching.
    rank: float | None


class CatalogueList(msgspec.Struct):
    items: list[CatalogueItem]
    page: int
    per_page: int
    total: int
    pages: int


def _item(entry: catalogue.CatalogueEntry) -> CatalogueItem:
    program = entry.program
    deadline = entry.next_deadline
    return CatalogueItem(
        id=entry.id,
        slug=entry.slug,
        url=f"/challenges/{entry.slug}",
        title=entry.title,
        summary=entry.summary,
        visibility=entry.visibility,
        phase=entry.phase,
        phase_label=catalogue.phase_label(entry.phase),
        timezone=entry.timezone,
        published_at=entry.published_at,
        program=ProgramRefView(program.slug, program.title, program.kind, catalogue.kind_label(program.kind))
        if program
        else None,
        organizers=[OrganizerRefView(o.slug, o.name) for o in entry.organizers],
        next_deadline=DeadlineView(
            deadline.at, deadline.kind, catalogue.deadline_label(deadline.kind), deadline.round_name
        )
        if deadline
        else None,
        prize=PrizeHeadlineView(entry.prize.title, entry.prize.reward) if entry.prize else None,
        rank=entry.rank,
    )


@get("/api/v1/challenges", name="challenges:api_list", opt={"public": True}, cache_control=PRIVATE)
async def api_list_challenges(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    now: NamedDependency[dt.datetime],
    q: Search = "",
    program: ProgramSlug = "",
    kind: ProgramKind = "",
    phase: PhaseName = "",
    organizer: OrganizerSlug = "",
    open_now: OpenNow = "",
    sort: Sort = "",
    page: PageNumber = "1",
    per_page: Annotated[
        str, Parameter(description=f"Items per page, 1 to {catalogue.API_MAX_PER_PAGE}.")
    ] = "",
) -> CatalogueList:
    """Published challenges the caller may see, with the catalogue's filters, search, order and pages."""
    filters = _filters(
        q=q, program=program, kind=kind, phase=phase, organizer=organizer, open=open_now, sort=sort, page=page
    )
    size = catalogue.parse_per_page(per_page)
    result = await catalogue.list_challenges(db, actor, filters, now, size=size)
    return CatalogueList(
        items=[_item(entry) for entry in result.items],
        page=result.number,
        per_page=result.size,
        total=result.total,
        pages=result.pages,
    )


ROUTES = [show_catalogue, api_list_challenges]
