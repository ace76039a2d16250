"""Pages of organizations: the directory, creating and editing, members and invitations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath, FromQuery, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.organizations import invitations, members, services
from app.organizations.api import ROUTES as API_ROUTES
from app.organizations.choices import (
    country_choices,
    country_name,
    kind_choices,
    kind_label,
    role_choices,
    role_label,
)
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE
from app.web import flash, redirect, render

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
SearchText = Annotated[str, Parameter(max_length=200)]
ORGANIZATION_FIELDS = ("name", "kind", "country", "website")


def _helpers() -> dict[str, Any]:
    return {"kind_label": kind_label, "role_label": role_label, "country_name": country_name}


# --- directory -----------------------------------------------------------------------------------------


@get("/organizations", name="organizations:list")
async def list_organizations(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    q: SearchText = "",
    kind: FromQuery[str] = "",
    page: PageNumber = 1,
) -> Response[str]:
    result = await services.list_organizations(db, actor, query=q, kind=kind, page=page)
    context = {
        "page": result,
        "q": q,
        "kind": kind,
        "kinds": kind_choices(),
        "params": urlencode({key: value for key, value in (("q", q), ("kind", kind)) if value}),
        **_helpers(),
    }
    return render(request, "organizations/directory.html", context, block="directory_results")


# --- create and edit -----------------------------------------------------------------------------------


def _form_context(values: dict[str, str], errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"values": values, "errors": errors or {}, "kinds": kind_choices(), "countries": country_choices()}


@get("/organizations/new", name="organizations:new")
async def new_organization(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "organizations/new.html", _form_context({}))


@post("/organizations", name="organizations:create")
async def create_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    data: Form,
) -> Response[Any]:
    values = {field: data.get(field, "") for field in ORGANIZATION_FIELDS}
    try:
        organization = await services.create_organization(db, actor, **values)
    except InvalidInput as exc:
        return render(
            request,
            "organizations/new.html",
            _form_context(values, exc.errors),
            block="organization_form",
            status_code=422,
        )
    flash(request, "success", _("%(name)s has been created. You are its owner.", name=organization.name))
    return redirect(request, f"/organizations/{organization.slug}")


@get("/organizations/{slug:str}/edit", name="organizations:edit")
async def edit_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    organization, _relations = await services.authorized_organization(db, actor, slug, "organization:edit")
    values = {field: getattr(organization, field) or "" for field in ORGANIZATION_FIELDS}
    return render(request, "organizations/edit.html", {"organization": organization, **_form_context(values)})


@post("/organizations/{slug:str}/edit", name="organizations:update")
async def update_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = {field: data.get(field, "") for field in ORGANIZATION_FIELDS}
    try:
        organization = await services.update_organization(db, actor, slug, **values)
    except InvalidInput as exc:
        organization, _relations = await services.authorized_organization(
            db, actor, slug, "organization:edit"
        )
        context = {"organization": organization, **_form_context(values, exc.errors)}
        return render(request, "organizations/edit.html", context, block="organization_form", status_code=422)
    flash(request, "success", _("The details have been saved."))
    return redirect(request, f"/organizations/{organization.slug}")


# --- one organization, its members and invitations -----------------------------------------------------


async def _organization_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    invite_values: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
) -> Response[str]:
    """The organization's page; refused actions re-render it with their status and message."""
    detail = await services.organization_detail(db, actor, slug)
    context = {
        "detail": detail,
        "organization": detail.organization,
        "relations": detail.relations,
        "error": error,
        "invite_values": invite_values or {"role": "member"},
        "invite_errors": invite_errors or {},
        "roles": role_choices(),
        "is_expired": invitations.is_expired,
        **_helpers(),
    }
    return render(request, "organizations/show.html", context, status_code=status_code)


@get("/organizations/{slug:str}", name="organizations:show")
async def show_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await _organization_page(request, db, actor, slug)


@post("/organizations/{slug:str}/invitations", name="organizations:invite")
async def invite_member(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = {"email": data.get("email", ""), "role": data.get("role", "member")}
    settings = get_context(request.scope).settings
    try:
        invitation = await invitations.invite_member(db, actor, settings, slug, **values)
    except InvalidInput as exc:
        return await _organization_page(
            request, db, actor, slug, status_code=422, invite_values=values, invite_errors=exc.errors
        )
    flash(request, "success", _("An invitation has been sent to %(email)s.", email=invitation.email))
    return redirect(request, f"/organizations/{slug}#invitations")


@post(
    "/organizations/{slug:str}/invitations/{invitation_id:uuid}/revoke",
    name="organizations:revoke_invitation",
)
async def revoke_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    invitation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        await invitations.revoke_invitation(db, actor, slug, invitation_id)
    except Conflict as exc:
        return await _organization_page(request, db, actor, slug, status_code=409, error=exc.detail)
    flash(request, "success", _("The invitation has been withdrawn."))
    return redirect(request, f"/organizations/{slug}#invitations")


@post("/organizations/{slug:str}/members/{user_id:uuid}/role", name="organizations:change_role")
async def change_member_role(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    user_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    try:
        await members.change_member_role(db, actor, slug, user_id, data.get("role", ""))
    except (Conflict, InvalidInput) as exc:
        return await _organization_page(
            request, db, actor, slug, status_code=exc.status_code, error=_refusal(exc)
        )
    flash(request, "success", _("The role has been changed."))
    return redirect(request, f"/organizations/{slug}#members")


@post("/organizations/{slug:str}/members/{user_id:uuid}/remove", name="organizations:remove_member")
async def remove_member(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        await members.remove_member(db, actor, slug, user_id)
    except Conflict as exc:
        return await _organization_page(request, db, actor, slug, status_code=409, error=exc.detail)
    flash(request, "success", _("The member has been removed."))
    return redirect(request, f"/organizations/{slug}#members")


@post("/organizations/{slug:str}/leave", name="organizations:leave")
async def leave_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[Any]:
    try:
        organization = await members.leave_organization(db, actor, slug)
    except Conflict as exc:
        return await _organization_page(request, db, actor, slug, status_code=409, error=exc.detail)
    flash(request, "success", _("You have left %(name)s.", name=organization.name))
    return redirect(request, "/organizations")


def _refusal(exc: Conflict | InvalidInput) -> str:
    if isinstance(exc, InvalidInput):
        return " ".join(exc.errors.values())
    return exc.detail


# --- invitation links ----------------------------------------------------------------------------------


async def _invitation_page(
    request: Request[Any, Any, Any], db: AsyncSession, actor: Actor | None, token: str, status_code: int = 200
) -> Response[str]:
    detail = await invitations.invitation_detail(db, actor, get_context(request.scope).settings, token)
    next_query = urlencode({"next": request.url.path})
    context = {
        "detail": detail,
        "organization": detail.organization,
        "invitation": detail.invitation,
        "unavailable": invitations.unavailable_message(detail.state) if detail.state != "open" else None,
        "login_url": f"/login?{next_query}",
        "signup_url": f"/signup?{next_query}",
        **_helpers(),
    }
    return render(request, "organizations/invitation.html", context, status_code=status_code)


@get("/invitations/organization/{token:str}", name="invitations:show", opt={"public": True})
async def show_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    token: FromPath[str],
) -> Response[str]:
    """Public, so that someone without an account learns what they are invited to and can sign up first."""
    return await _invitation_page(request, db, actor, token)


@post("/invitations/organization/{token:str}", name="invitations:accept")
async def accept_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    token: FromPath[str],
) -> Response[Any]:
    try:
        organization = await invitations.accept_invitation(
            db, actor, get_context(request.scope).settings, token
        )
    except (invitations.InvitationUnavailable, PermissionDeniedException) as exc:
        return await _invitation_page(request, db, actor, token, status_code=exc.status_code)
    flash(request, "success", _("Welcome to %(name)s!", name=organization.name))
    return redirect(request, f"/organizations/{organization.slug}")


PAGE_ROUTES = [
    list_organizations,
    new_organization,
    create_organization,
    show_organization,
    edit_organization,
    update_organization,
    invite_member,
    revoke_invitation,
    change_member_role,
    remove_member,
    leave_organization,
    show_invitation,
    accept_invitation,
]
ROUTES = [*PAGE_ROUTES, *API_ROUTES]
