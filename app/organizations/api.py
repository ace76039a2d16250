"""JSON API of organizations under /api/v1: the same services and permissions as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.organizations import services
from app.organizations.choices import country_name, kind_label
from app.organizations.schemas import MemberView, OrganizationCreate, OrganizationList, OrganizationView
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.web import problem

PRIVATE = CacheControlHeader(no_store=True)
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
SearchText = Annotated[str, Parameter(max_length=200)]


def _view(row: services.OrganizationRow) -> OrganizationView:
    organization = row.organization
    return OrganizationView(
        slug=organization.slug,
        name=organization.name,
        kind=organization.kind,
        kind_label=kind_label(organization.kind),
        country=organization.country,
        country_name=country_name(organization.country),
        website=organization.website,
        verified=organization.verified_at is not None,
        member_count=row.member_count,
        created_at=organization.created_at,
    )


@get("/api/v1/organizations", name="organizations:api_list", cache_control=PRIVATE)
async def api_list_organizations(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    q: SearchText = "",
    kind: FromQuery[str] = "",
    page: PageNumber = 1,
) -> OrganizationList:
    """The directory of organizations, searched by name (`q`) and filtered by `kind`."""
    result = await services.list_organizations(db, actor, query=q, kind=kind, page=page)
    return OrganizationList(
        items=[_view(row) for row in result.items],
        page=result.number,
        per_page=result.size,
        total=result.total,
        pages=result.pages,
    )


@post("/api/v1/organizations", name="organizations:api_create", cache_control=PRIVATE)
async def api_create_organization(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], data: JSONBody[OrganizationCreate]
) -> Response[Any]:
    """Create an organization, owned by the caller. The slug is generated, never read from the body."""
    try:
        organization = await services.create_organization(
            db, actor, name=data.name, kind=data.kind, country=data.country, website=data.website
        )
    except InvalidInput as exc:
        errors = [
            {"key": field, "message": message, "source": "body"} for field, message in exc.errors.items()
        ]
        return problem(422, exc.detail, errors=errors)
    view = _view(await services.get_organization(db, actor, organization.slug))
    return Response(view, status_code=201, headers={"location": f"/api/v1/organizations/{organization.slug}"})


@get("/api/v1/organizations/{slug:str}", name="organizations:api_show", cache_control=PRIVATE)
async def api_show_organization(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], slug: FromPath[str]
) -> OrganizationView:
    return _view(await services.get_organization(db, actor, slug))


@get("/api/v1/organizations/{slug:str}/members", name="organizations:api_members", cache_control=PRIVATE)
async def api_list_members(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], slug: FromPath[str]
) -> list[MemberView]:
    """Members and their roles; for members of the organization (and admins)."""
    members = await services.list_members(db, actor, slug)
    return [
        MemberView(user_id=m.user_id, name=m.name, email=m.email, role=m.role, since=m.since) for m in members
    ]


ROUTES = [api_list_organizations, api_create_organization, api_show_organization, api_list_members]
