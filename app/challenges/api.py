"""JSON API of programs, challenges, rounds and announcements under /api/v1: the pages' services and
permissions. (The list of challenges, GET /api/v1/challenges, belongs to the catalogue.)

Refusals are problem+json: 422 with `errors` (one per field, `prizes[1].title` for an item of a
list) or with `problems` (what keeps a challenge from being complete), 409 for a conflicting state.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges import announcements, forms, programs, rounds, services
from app.challenges.choices import program_kind_label
from app.challenges.completeness import Incomplete
from app.challenges.schemas import (
    AnnouncementCreate,
    AnnouncementView,
    ChallengeCreate,
    ChallengeLink,
    ChallengeUpdate,
    ChallengeView,
    Extension,
    FieldCreate,
    FieldView,
    MilestoneView,
    OrganizerView,
    PrizeView,
    ProgramCreate,
    ProgramList,
    ProgramUpdate,
    ProgramView,
    RoundCreate,
    RoundUpdate,
    RoundView,
    body_values,
)
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.web import problem

PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


def invalid_input(_request: Request[Any, Any, Any], exc: InvalidInput) -> Response[Any]:
    errors = [{"key": field, "message": message, "source": "body"} for field, message in exc.errors.items()]
    return problem(422, exc.detail, errors=errors)


def incomplete(_request: Request[Any, Any, Any], exc: Incomplete) -> Response[Any]:
    return problem(422, exc.detail, problems=exc.problems)


API: dict[str, Any] = {
    "cache_control": CacheControlHeader(no_store=True),
    "exception_handlers": {InvalidInput: invalid_input, Incomplete: incomplete},
}
PUBLIC_API: dict[str, Any] = {**API, "opt": {"public": True}}


# --- views ---------------------------------------------------------------------------------------------------


def _organizer(organization: Any) -> OrganizerView:
    return OrganizerView(
        slug=organization.slug, name=organization.name, verified=organization.verified_at is not None
    )


def _program(program: Any, **extra: Any) -> ProgramView:
    return ProgramView(
        slug=program.slug,
        title=program.title,
        kind=program.kind,
        kind_label=program_kind_label(program.kind),
        starts_on=program.starts_on,
        ends_on=program.ends_on,
        description=program.description,
        **extra,
    )


def _program_detail(page: programs.ProgramPage) -> ProgramView:
    return _program(
        page.program,
        organizations=[_organizer(o) for o in page.organizations],
        challenges=[ChallengeLink(slug=c.slug, title=c.title, summary=c.summary) for c in page.challenges],
    )


def _field(field: Any) -> FieldView:
    return FieldView(
        id=field.id,
        key=field.key,
        label=field.label,
        kind=field.kind,
        required=field.required,
        help_text=field.help_text,
        choices=list(field.choices),
        allowed_types=list(field.allowed_types),
        max_size_mb=field.max_size_mb,
        retired_at=field.retired_at,
    )


def _round(round_: Any, fields: list[Any]) -> RoundView:
    return RoundView(
        id=round_.id,
        position=round_.position,
        name=round_.name,
        description=round_.description,
        opens_at=round_.opens_at,
        deadline=round_.deadline,
        rubric_planned=round_.rubric_planned,
        fields=[_field(field) for field in fields],
    )


def _challenge(page: services.ChallengePage) -> ChallengeView:
    c = page.challenge
    upcoming = page.next_deadline
    return ChallengeView(
        slug=c.slug,
        title=c.title,
        summary=c.summary,
        description=c.description,
        rules=c.rules,
        rules_version=c.rules_version,
        program=page.program.slug if page.program else None,
        visibility=c.visibility,
        contact_email=c.contact_email,
        timezone=c.timezone,
        allowed_kinds=list(c.allowed_kinds),
        allowed_countries=list(c.allowed_countries),
        team_min=c.team_min,
        team_max=c.team_max,
        approval_mode=c.approval_mode,
        approval_domains=list(c.approval_domains),
        registration_questions=list(c.registration_questions),
        registration_opens_at=c.registration_opens_at,
        registration_closes_at=c.registration_closes_at,
        judging_ends_at=c.judging_ends_at,
        results_at=c.results_at,
        published_at=c.published_at,
        phase=str(page.phase),
        registration_open=page.registration_open,
        next_deadline=MilestoneView(kind=upcoming.kind, at=upcoming.at, label=upcoming.label)
        if upcoming
        else None,
        organizers=[_organizer(o) for o in page.organizers],
        prizes=[PrizeView(title=p.title, description=p.description, reward=p.reward) for p in page.prizes],
        rounds=[_round(r, page.fields.get(r.id, [])) for r in page.rounds],
    )


def _announcement(item: Any) -> AnnouncementView:
    return AnnouncementView(id=item.id, title=item.title, body=item.body, created_at=item.created_at)


# --- programs -------------------------------------------------------------------------------------------------


@get("/api/v1/programs", name="programs:api_list", **PUBLIC_API)
async def api_list_programs(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None], page: PageNumber = 1
) -> ProgramList:
    """Every program, newest first, with how many published challenges the caller may see in each."""
    result = await programs.list_programs(db, actor, page)
    return ProgramList(
        items=[_program(program, challenge_count=count) for program, count in result.items],
        page=result.number,
        per_page=result.size,
        total=result.total,
        pages=result.pages,
    )


@post("/api/v1/programs", name="programs:api_create", **API)
async def api_create_program(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], data: JSONBody[ProgramCreate]
) -> Response[ProgramView]:
    """Create a program co-founded by some of the caller's organizations (`organizations`: their slugs)."""
    values = body_values(data)
    program = await programs.create_program(db, actor, values, values.pop("organizations"))
    view = _program_detail(await programs.program_page(db, actor, program.slug))
    return Response(view, status_code=201, headers={"location": f"/api/v1/programs/{program.slug}"})


@get("/api/v1/programs/{slug:str}", name="programs:api_show", **PUBLIC_API)
async def api_show_program(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None], slug: FromPath[str]
) -> ProgramView:
    return _program_detail(await programs.program_page(db, actor, slug))


@patch("/api/v1/programs/{slug:str}", name="programs:api_update", **API)
async def api_update_program(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[ProgramUpdate],
) -> ProgramView:
    """Change the fields sent; for the program's founders."""
    values = body_values(data)
    await programs.update_program(db, actor, slug, values, values.pop("add_organizations", []))
    return _program_detail(await programs.program_page(db, actor, slug))


# --- challenges ------------------------------------------------------------------------------------------------


@post("/api/v1/challenges", name="challenges:api_create", **API)
async def api_create_challenge(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    data: JSONBody[ChallengeCreate],
    now: NamedDependency[dt.datetime],
) -> Response[ChallengeView]:
    """Create a draft organized by some of the caller's organizations; the slug comes from the title."""
    values = body_values(data)
    challenge = await services.create_challenge(db, actor, values, values.pop("organizations"))
    view = _challenge(await services.challenge_page(db, actor, challenge.slug, now))
    return Response(view, status_code=201, headers={"location": f"/api/v1/challenges/{challenge.slug}"})


@get("/api/v1/challenges/{slug:str}", name="challenges:api_show", **PUBLIC_API)
async def api_show_challenge(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
    now: NamedDependency[dt.datetime],
) -> ChallengeView:
    """A challenge the caller may see (drafts for their founders), with rounds, forms and prizes."""
    return _challenge(await services.challenge_page(db, actor, slug, now))


@patch("/api/v1/challenges/{slug:str}", name="challenges:api_update", **API)
async def api_update_challenge(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[ChallengeUpdate],
    now: NamedDependency[dt.datetime],
) -> ChallengeView:
    """Change the fields sent; `prizes` and `registration_questions` replace the whole list."""
    challenge = await services.update_challenge(db, actor, slug, body_values(data))
    return _challenge(await services.challenge_page(db, actor, challenge.slug, now))


@post("/api/v1/challenges/{slug:str}/publish", name="challenges:api_publish", status_code=200, **API)
async def api_publish_challenge(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    now: NamedDependency[dt.datetime],
) -> ChallengeView:
    """Publish a complete draft; otherwise 422 listing the `problems`."""
    await services.publish_challenge(db, actor, slug, now)
    return _challenge(await services.challenge_page(db, actor, slug, now))


@post(
    "/api/v1/challenges/{slug:str}/registration/extend",
    name="challenges:api_extend_registration",
    status_code=200,
    **API,
)
async def api_extend_registration(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[Extension],
    now: NamedDependency[dt.datetime],
) -> ChallengeView:
    """Move registration's close later (never earlier, never into the past); registered people are told."""
    await rounds.extend_deadline(db, actor, slug, "registration", data.until, now)
    return _challenge(await services.challenge_page(db, actor, slug, now))


# --- rounds ---------------------------------------------------------------------------------------------------


@get("/api/v1/challenges/{slug:str}/rounds", name="challenges:api_rounds", **PUBLIC_API)
async def api_list_rounds(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
    now: NamedDependency[dt.datetime],
) -> list[RoundView]:
    page = await services.challenge_page(db, actor, slug, now)
    return [_round(r, page.fields.get(r.id, [])) for r in page.rounds]


async def _round_view(db: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID) -> RoundView:
    editor = await forms.round_editor(db, actor, slug, round_id)
    return _round(editor.round, editor.fields)


@post("/api/v1/challenges/{slug:str}/rounds", name="challenges:api_add_round", **API)
async def api_add_round(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[RoundCreate],
) -> Response[RoundView]:
    round_ = await rounds.add_round(db, actor, slug, body_values(data))
    view = await _round_view(db, actor, slug, round_.id)
    return Response(
        view, status_code=201, headers={"location": f"/api/v1/challenges/{slug}/rounds/{round_.id}"}
    )


@patch("/api/v1/challenges/{slug:str}/rounds/{round_id:uuid}", name="challenges:api_update_round", **API)
async def api_update_round(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[RoundUpdate],
) -> RoundView:
    """Change the fields sent; once published, the deadline moves only through .../extend."""
    await rounds.update_round(db, actor, slug, round_id, body_values(data), partial=True)
    return await _round_view(db, actor, slug, round_id)


@post(
    "/api/v1/challenges/{slug:str}/rounds/{round_id:uuid}/extend",
    name="challenges:api_extend_round",
    status_code=200,
    **API,
)
async def api_extend_round(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[Extension],
    now: NamedDependency[dt.datetime],
) -> RoundView:
    """Move the round's deadline later (never earlier, never into the past); registered people are told."""
    await rounds.extend_deadline(db, actor, slug, str(round_id), data.until, now)
    return await _round_view(db, actor, slug, round_id)


@post("/api/v1/challenges/{slug:str}/rounds/{round_id:uuid}/fields", name="challenges:api_add_field", **API)
async def api_add_field(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[FieldCreate],
) -> Response[RoundView]:
    """Add a question to the round's submission form."""
    await forms.add_field(db, actor, slug, round_id, body_values(data))
    return Response(await _round_view(db, actor, slug, round_id), status_code=201)


@delete(
    "/api/v1/challenges/{slug:str}/rounds/{round_id:uuid}/fields/{field_id:uuid}",
    name="challenges:api_remove_field",
    status_code=200,
    **API,
)
async def api_remove_field(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    field_id: FromPath[uuid.UUID],
    now: NamedDependency[dt.datetime],
) -> RoundView:
    """Remove a field of a draft's form; once published it is retired instead, its answers kept."""
    await forms.remove_field(db, actor, slug, round_id, field_id, now)
    return await _round_view(db, actor, slug, round_id)


# --- announcements ------------------------------------------------------------------------------------------------


@get("/api/v1/challenges/{slug:str}/announcements", name="challenges:api_announcements", **PUBLIC_API)
async def api_list_announcements(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None], slug: FromPath[str]
) -> list[AnnouncementView]:
    return [_announcement(item) for item in await announcements.list_announcements(db, actor, slug)]


@post("/api/v1/challenges/{slug:str}/announcements", name="challenges:api_announce", **API)
async def api_announce(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[AnnouncementCreate],
    now: NamedDependency[dt.datetime],
) -> Response[AnnouncementView]:
    """Post an announcement (Markdown body); everyone registered is notified."""
    item = await announcements.post_announcement(db, actor, slug, body_values(data), now)
    return Response(_announcement(item), status_code=201)


ROUTES = [
    api_list_programs,
    api_create_program,
    api_show_program,
    api_update_program,
    api_create_challenge,
    api_show_challenge,
    api_update_challenge,
    api_publish_challenge,
    api_extend_registration,
    api_list_rounds,
    api_add_round,
    api_update_round,
    api_extend_round,
    api_add_field,
    api_remove_field,
    api_list_announcements,
    api_announce,
]
