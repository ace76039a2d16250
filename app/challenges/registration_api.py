"""JSON API of registrations under /api/v1: the same services and permissions as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Response, delete, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges import registration_review, registrations
from app.challenges.models import Challenge, Registration
from app.challenges.registration_schemas import (
    DecisionItem,
    DecisionResult,
    OrganizationSummary,
    PersonSummary,
    RegistrationCreate,
    RegistrationView,
    ReviewItem,
    ReviewList,
    RulesAcceptance,
)
from app.organizations.models import Organization
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.web import problem

PRIVATE = CacheControlHeader(no_store=True)
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
StatusFilter = Annotated[str, Parameter(pattern=r"^(|pending|approved|rejected|withdrawn)$")]


def _organization(organization: Organization | None) -> OrganizationSummary | None:
    if organization is None:
        return None
    return OrganizationSummary(
        id=organization.id,
        slug=organization.slug,
        name=organization.name,
        kind=organization.kind,
        country=organization.country,
        verified=organization.verified_at is not None,
    )


def _view(
    registration: Registration, organization: Organization | None, challenge: Challenge
) -> RegistrationView:
    return RegistrationView(
        id=registration.id,
        challenge=challenge.slug,
        status=registration.status,
        organization=_organization(organization),
        answers=dict(registration.answers),
        rules_version=registration.rules_version,
        rules_accepted_at=registration.rules_accepted_at,
        current_rules_version=challenge.rules_version,
        created_at=registration.created_at,
        decided_at=registration.decided_at,
        reason=registration.reason,
    )


def _invalid(exc: InvalidInput) -> Response[Any]:
    errors = [{"key": field, "message": message, "source": "body"} for field, message in exc.errors.items()]
    return problem(422, exc.detail, errors=errors)


async def _mine(db: AsyncSession, actor: Actor, slug: str, now: dt.datetime) -> RegistrationView:
    own = await registrations.own_registration(db, actor, slug, now)
    return _view(own.registration, own.organization, own.visible.challenge)


@get("/api/v1/challenges/{slug:str}/registration", name="registrations:api_mine", cache_control=PRIVATE)
async def api_show_registration(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> RegistrationView:
    """The caller's own registration to the challenge (403 when they have none)."""
    return await _mine(db, actor, slug, now)


@post("/api/v1/challenges/{slug:str}/registration", name="registrations:api_create", cache_control=PRIVATE)
async def api_register(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: JSONBody[RegistrationCreate],
) -> Response[Any]:
    """Register, accepting the rules version in force; the status follows the challenge's approval mode."""
    try:
        await registrations.register(
            db,
            actor,
            slug,
            now,
            organization_id=data.organization_id,
            accepted_version=data.accept_rules_version,
            answers=data.answers,
        )
    except InvalidInput as exc:
        return _invalid(exc)
    view = await _mine(db, actor, slug, now)
    return Response(view, status_code=201, headers={"location": f"/api/v1/challenges/{slug}/registration"})


@delete(
    "/api/v1/challenges/{slug:str}/registration",
    name="registrations:api_withdraw",
    cache_control=PRIVATE,
    status_code=200,
)
async def api_withdraw(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> RegistrationView:
    """Withdraw one's registration, until the challenge has ended."""
    await registrations.withdraw(db, actor, slug, now)
    return await _mine(db, actor, slug, now)


@post(
    "/api/v1/challenges/{slug:str}/registration/rules",
    name="registrations:api_accept_rules",
    cache_control=PRIVATE,
)
async def api_accept_rules(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: JSONBody[RulesAcceptance],
) -> Response[Any]:
    """Accept the rules now in force after the founders changed them."""
    try:
        await registrations.accept_rules(db, actor, slug, data.accept_rules_version, now)
    except InvalidInput as exc:
        return _invalid(exc)
    return Response(await _mine(db, actor, slug, now), status_code=200)


@get("/api/v1/challenges/{slug:str}/registrations", name="registrations:api_review", cache_control=PRIVATE)
async def api_list_registrations(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    status: StatusFilter = "",
    page: PageNumber = 1,
) -> ReviewList:
    """Registrations of a challenge, pending first; for its founders (admins read)."""
    review = await registration_review.review_registrations(db, actor, slug, status=status, page=page)
    items = [
        ReviewItem(
            id=row.registration.id,
            status=row.registration.status,
            person=PersonSummary(id=row.person.id, name=row.person.name, email=row.person.email),
            organization=_organization(row.organization),
            answers=dict(row.registration.answers),
            rules_version=row.registration.rules_version,
            created_at=row.registration.created_at,
            decided_at=row.registration.decided_at,
            reason=row.registration.reason,
        )
        for row in review.rows.items
    ]
    rows = review.rows
    return ReviewList(items=items, page=rows.number, per_page=rows.size, total=rows.total, pages=rows.pages)


@post(
    "/api/v1/challenges/{slug:str}/registrations/decisions",
    name="registrations:api_decide",
    cache_control=PRIVATE,
    status_code=200,
)
async def api_decide(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: JSONBody[list[DecisionItem]],
) -> Response[Any]:
    """Approve or reject registrations (a rejection needs its reason); all or none when an item is invalid."""
    try:
        items = [(item.id, item.decision, item.reason) for item in data]
        outcomes = await registration_review.decide_registrations(db, actor, slug, items, now)
    except InvalidInput as exc:
        return _invalid(exc)
    results = [DecisionResult(id=o.registration_id, result=o.result, status=o.status) for o in outcomes]
    return Response(results, status_code=200)


ROUTES = [
    api_show_registration,
    api_register,
    api_withdraw,
    api_accept_rules,
    api_list_registrations,
    api_decide,
]
