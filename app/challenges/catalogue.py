"""The public catalogue of challenges: filters, full-text search, sorting and pages, all in SQL.

What a person sees is what `challenge:view` allows them (app.authz.visible_challenges), and only
once published: drafts never appear, not even to their founders or admins, and invitation-only
challenges only to the people invited (and their founders, and admins for support). Phases and
the next deadline are computed in SQL by the expressions kept beside app.challenges.lifecycle's
rules, so filtering and sorting agree with what each challenge's page says. A page of the catalogue
costs the same few queries whatever the number of challenges.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from babel import dates
from litestar.exceptions import ClientException

from app import authz
from app.challenges import catalogue_queries
from app.challenges.lifecycle import PUBLIC_PHASES, Phase
from app.challenges.models import PROGRAM_KINDS
from app.platform.i18n import get_locale, lazy
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE, Page

if TYPE_CHECKING:
    from asyncpg import Record  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 12
API_PER_PAGE = 20
API_MAX_PER_PAGE = 100
QUERY_MAX = 200
SORTS = ("deadline", "newest", "relevance")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"", "0", "false", "off", "no"})

PHASE_LABELS = {
    Phase.DRAFT: lazy("Draft"),
    Phase.UPCOMING: lazy("Upcoming"),
    Phase.REGISTRATION_OPEN: lazy("Registration open"),
    Phase.IN_PROGRESS: lazy("In progress"),
    Phase.JUDGING: lazy("Judging"),
    Phase.RESULTS: lazy("Results published"),
    Phase.ARCHIVED: lazy("Archived"),
}
PROGRAM_KIND_LABELS = {
    "technology": lazy("Technology"),
    "pathology": lazy("Pathology"),
    "patient_population": lazy("Patient population"),
    "public_health": lazy("Public health"),
}
DEADLINE_LABELS = {
    "registration_closes": lazy("Registration closes"),
    "round_deadline": lazy("Submission deadline"),
}
SORT_LABELS = {
    "deadline": lazy("Next deadline first"),
    "newest": lazy("Newest first"),
    "relevance": lazy("Best match first"),
}


def phase_label(phase: str) -> str:
    return _(PHASE_LABELS[Phase(phase)]) if phase in PHASE_LABELS else phase


def kind_label(kind: str) -> str:
    return _(PROGRAM_KIND_LABELS[kind]) if kind in PROGRAM_KIND_LABELS else kind


def deadline_label(kind: str) -> str:
    return _(DEADLINE_LABELS[kind]) if kind in DEADLINE_LABELS else kind


def labels() -> dict[str, dict[str, str]]:
    """The catalogue's words in the reader's language: the filter form lists them, the cards look them up."""
    return _labels(get_locale())


@functools.cache
def _labels(locale: str) -> dict[str, dict[str, str]]:
    # Once per language, not once per card: a page of cards repeats the same few dozen labels.
    return {
        "phase_names": {p.value: phase_label(p) for p in PUBLIC_PHASES},
        "kind_names": {k: kind_label(k) for k in PROGRAM_KINDS},
        "deadline_names": {k: deadline_label(k) for k in DEADLINE_LABELS},
        "sort_names": {s: _(SORT_LABELS[s]) for s in SORTS},
    }


def local_time(value: dt.datetime | None, timezone: str) -> str:
    """A deadline as the challenge's own clock shows it ("12 mars 2027, 18:00 (Europe/Paris)")."""
    if value is None:
        return ""
    return _local_time(value, timezone, get_locale())


@functools.lru_cache(maxsize=4096)
def _local_time(value: dt.datetime, timezone: str, locale: str) -> str:
    # Cards show the same few deadlines to everyone, and Babel's formatting costs more than the page's SQL.
    try:
        zone = dates.get_timezone(timezone)
    except LookupError:
        timezone, zone = "Europe/Paris", dates.get_timezone("Europe/Paris")
    day = dates.format_date(value.astimezone(zone), "medium", locale=locale)
    time = dates.format_time(value, "short", tzinfo=zone, locale=locale)
    return f"{day}, {time} ({timezone})"


# --- what is asked --------------------------------------------------------------------------------------


class BadFilter(ClientException):
    """A catalogue parameter that cannot be understood: 400 with a message saying which and why."""

    status_code = 400


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogueFilters:
    """What the catalogue is asked for, checked. Empty strings mean "any"."""

    q: str = ""
    program: str = ""  # program slug
    kind: str = ""  # program kind
    phase: str = ""
    organizer: str = ""  # organization slug
    open_now: bool = False
    sort: str = ""
    page: int = 1

    @property
    def order(self) -> str:
        """The sort in effect: relevance only means something when searching."""
        if self.sort == "relevance" and not self.q:
            return "deadline"
        return self.sort or ("relevance" if self.q else "deadline")

    def query_string(self) -> str:
        """The filters as URL parameters, without the page (pagination links add theirs)."""
        pairs = [
            ("q", self.q),
            ("program", self.program),
            ("kind", self.kind),
            ("phase", self.phase),
            ("organizer", self.organizer),
            ("open", "1" if self.open_now else ""),
            ("sort", self.sort),
        ]
        return urlencode([(key, value) for key, value in pairs if value])


def parse_filters(params: Mapping[str, str | None]) -> CatalogueFilters:
    """Check the catalogue's parameters; raise BadFilter (400) with a message on the first bad one.

    Unknown slugs are not errors: they match no challenge. The search text loses its control
    characters rather than being refused (PostgreSQL text cannot hold some of them).
    """
    q = " ".join(_CONTROL.sub(" ", params.get("q") or "").split())
    if len(q) > QUERY_MAX:
        raise BadFilter(_("The search text is too long (at most %(num)s characters).", num=QUERY_MAX))
    program = _slug(params.get("program"), _("Choose a program from the list."))
    organizer = _slug(params.get("organizer"), _("Choose an organizer from the list."))
    kind = (params.get("kind") or "").strip()
    if kind and kind not in PROGRAM_KINDS:
        raise BadFilter(_("Choose a kind of program from the list."))
    phase = (params.get("phase") or "").strip()
    if phase and phase not in {p.value for p in PUBLIC_PHASES}:
        raise BadFilter(_("Choose a phase from the list."))
    sort = (params.get("sort") or "").strip()
    if sort and sort not in SORTS:
        raise BadFilter(_("Choose an order from the list."))
    open_now = (params.get("open") or "").strip().lower()
    if open_now not in _TRUE | _FALSE:
        raise BadFilter(_("“Open for registration now” is either on or off."))
    return CatalogueFilters(
        q=q,
        program=program,
        kind=kind,
        phase=phase,
        organizer=organizer,
        open_now=open_now in _TRUE,
        sort=sort,
        page=parse_page(params.get("page")),
    )


def parse_page(value: str | None) -> int:
    raw = (value or "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadFilter(_("The page number must be a whole number from 1 to %(max)s.", max=MAX_PAGE))
    return int(raw)


def parse_per_page(value: str | None) -> int:
    raw = (value or "").strip() or str(API_PER_PAGE)
    if not raw.isdigit() or not 1 <= int(raw) <= API_MAX_PER_PAGE:
        raise BadFilter(_("per_page must be a whole number from 1 to %(max)s.", max=API_MAX_PER_PAGE))
    return int(raw)


def _slug(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if value and not _SLUG.match(value):
        raise BadFilter(message)
    return value


# --- what is shown --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ProgramRef:
    slug: str
    title: str
    kind: str


@dataclasses.dataclass(frozen=True, slots=True)
class OrganizerRef:
    slug: str
    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class NextDeadline:
    at: dt.datetime
    kind: str  # "registration_closes" or "round_deadline"
    round_name: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class PrizeHeadline:
    title: str
    reward: str


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One card of the catalogue: everything it shows comes from the page's single query."""

    id: uuid.UUID
    slug: str
    title: str
    summary: str
    visibility: str
    timezone: str
    published_at: dt.datetime
    phase: str
    program: ProgramRef | None
    organizers: list[OrganizerRef]
    next_deadline: NextDeadline | None
    prize: PrizeHeadline | None
    rank: float | None

    @property
    def organizer_names(self) -> str:
        return ", ".join(organizer.name for organizer in self.organizers)


@dataclasses.dataclass(frozen=True, slots=True)
class FilterChoices:
    """Options of the filter form, as (slug, label) pairs: only programs and organizers that have a challenge
    to show."""

    programs: list[tuple[str, str]]
    organizers: list[tuple[str, str]]


async def list_challenges(
    session: AsyncSession,
    actor: Actor | None,
    filters: CatalogueFilters,
    now: dt.datetime,
    *,
    size: int = PAGE_SIZE,
) -> Page[CatalogueEntry]:
    """One page of the published challenges the actor may see, filtered, searched and sorted.

    One query (the rows and their total), whatever the number of challenges on the page.
    """
    authz.require(actor, "challenge:list")
    query = catalogue_queries.page_query(catalogue_queries.Shape.of(actor, filters))
    arguments = catalogue_queries.arguments(actor, filters, now)
    rows = await query.all(session, **arguments, limit=size, offset=(filters.page - 1) * size)
    # A page past the end is one row with the total and no card.
    items = [_entry(row) for row in rows if row["id"] is not None]
    return Page(items=items, number=filters.page, size=size, total=rows[0]["total"])


async def filter_choices(session: AsyncSession, actor: Actor | None) -> FilterChoices:
    """Programs and organizer organizations of the challenges the actor may find (one query)."""
    authz.require(actor, "challenge:list")
    query = catalogue_queries.choices_query(catalogue_queries.viewer(actor))
    found = await query.one_or_none(session, actor_id=actor.id if actor is not None else None)
    assert found is not None  # a select without FROM has its one row
    return FilterChoices(
        programs=[(slug, title) for slug, title in found["programs"]],
        organizers=[(slug, name) for slug, name in found["organizers"]],
    )


def _entry(row: Record) -> CatalogueEntry:
    program = None
    if row["program_slug"]:
        program = ProgramRef(row["program_slug"], row["program_title"], row["program_kind"])
    deadline = None
    if row["next_at"] is not None:
        round_name = row["next_round_name"] if row["next_kind"] == "round_deadline" else None
        deadline = NextDeadline(at=row["next_at"], kind=row["next_kind"], round_name=round_name)
    prize = PrizeHeadline(row["prize_title"], row["prize_reward"] or "") if row["prize_title"] else None
    return CatalogueEntry(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        summary=row["summary"],
        visibility=row["visibility"],
        timezone=row["timezone"],
        published_at=row["published_at"],
        phase=row["phase"],
        program=program,
        organizers=[OrganizerRef(item["slug"], item["name"]) for item in row["organizers"] or []],
        next_deadline=deadline,
        prize=prize,
        rank=row["rank"],
    )
