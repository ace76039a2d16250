"""Pages of the administration: dashboard, organizations to verify, users and admin rights, audit log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, Parameter, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.admin import audit, services
from app.organizations import services as organizations
from app.organizations.choices import country_name, kind_label
from app.platform.audit_log import audit_filters
from app.platform.audit_pages import csv_response
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE
from app.web import flash, redirect, render

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
SearchText = Annotated[str, Parameter(max_length=200)]
REVIEW_STATUSES = ("unverified", "verified", "all")


@get("/admin", name="admin:dashboard")
async def dashboard(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> Response[str]:
    figures = await services.dashboard(db, actor)
    return render(request, "admin/dashboard.html", {"figures": figures, "section": "dashboard"})


# --- organizations to verify ---------------------------------------------------------------------------


@get("/admin/organizations", name="admin:organizations")
async def review_organizations(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    status: FromQuery[str] = "unverified",
    q: SearchText = "",
    page: PageNumber = 1,
) -> Response[str]:
    result = await organizations.organizations_for_review(db, actor, status=status, query=q, page=page)
    context = {
        "page": result,
        "status": status,
        "statuses": REVIEW_STATUSES,
        "q": q,
        "params": urlencode({"status": status, **({"q": q} if q else {})}),
        "kind_label": kind_label,
        "country_name": country_name,
        "section": "organizations",
    }
    return render(request, "admin/organizations.html", context, block="review_results")


@post("/admin/organizations/{slug:str}/verify", name="admin:verify_organization")
async def verify_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    organization = await organizations.set_verified(db, actor, slug, True)
    flash(request, "success", _("%(name)s is now verified.", name=organization.name))
    return redirect(request, _back_to_review(data))


@post("/admin/organizations/{slug:str}/unverify", name="admin:unverify_organization")
async def unverify_organization(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    organization = await organizations.set_verified(db, actor, slug, False)
    flash(request, "success", _("%(name)s is no longer verified.", name=organization.name))
    return redirect(request, _back_to_review(data))


def _back_to_review(data: dict[str, str]) -> str:
    status = data.get("status", "unverified")
    return (
        f"/admin/organizations?{urlencode({'status': status if status in REVIEW_STATUSES else 'unverified'})}"
    )


# --- users and admin rights ----------------------------------------------------------------------------


async def _users_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    q: str,
    page: int,
    status_code: int = 200,
    error: str | None = None,
) -> Response[str]:
    result = await services.list_users(db, actor, query=q, page=page)
    context = {
        "page": result,
        "q": q,
        "params": urlencode({"q": q} if q else {}),
        "error": error,
        "section": "users",
    }
    return render(request, "admin/users.html", context, block="user_results", status_code=status_code)


@get("/admin/users", name="admin:users")
async def list_users(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    q: SearchText = "",
    page: PageNumber = 1,
) -> Response[str]:
    return await _users_page(request, db, actor, q, page)


@post("/admin/users/{user_id:uuid}/grant-admin", name="admin:grant_admin")
async def grant_admin(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:
    user = await services.grant_admin(db, actor, user_id)
    flash(request, "success", _("%(name)s is now an administrator.", name=user.name))
    return redirect(request, "/admin/users")


@post("/admin/users/{user_id:uuid}/revoke-admin", name="admin:revoke_admin")
async def revoke_admin(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        user = await services.revoke_admin(db, actor, user_id)
    except Conflict as exc:
        return await _users_page(request, db, actor, "", 1, status_code=409, error=exc.detail)
    flash(request, "success", _("%(name)s is no longer an administrator.", name=user.name))
    return redirect(request, "/admin/users")


# --- audit log -----------------------------------------------------------------------------------------


@get("/admin/audit", name="admin:audit")
async def audit_log(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    action: SearchText = "",
    actor_email: Annotated[str, QueryParameter(name="actor", max_length=200)] = "",
    object_type: SearchText = "",
    since: SearchText = "",
    until: SearchText = "",
    page: PageNumber = 1,
) -> Response[str]:
    values = {
        "action": action,
        "actor": actor_email,
        "object_type": object_type,
        "since": since,
        "until": until,
    }
    actions, object_types = await audit.filter_choices(db, actor)
    context: dict[str, Any] = {
        "values": values,
        "actions": actions,
        "object_types": object_types,
        "errors": {},
        "section": "audit",
    }
    try:
        filters = audit_filters(action, actor_email, object_type, since, until)
    except InvalidInput as exc:
        context.update(errors=exc.errors, page=None, params="")
        return render(request, "admin/audit.html", context, block="audit_results", status_code=422)
    context.update(page=await audit.search_audit(db, actor, filters, page), params=filters.query_string())
    return render(request, "admin/audit.html", context, block="audit_results")


@get("/admin/audit.csv", name="admin:audit_export")
async def export_audit_log(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    action: SearchText = "",
    actor_email: Annotated[str, QueryParameter(name="actor", max_length=200)] = "",
    object_type: SearchText = "",
    since: SearchText = "",
    until: SearchText = "",
) -> Stream:
    filters = audit_filters(action, actor_email, object_type, since, until)
    return csv_response(await audit.export_audit(db, actor, filters))


ROUTES = [
    dashboard,
    review_organizations,
    verify_organization,
    unverify_organization,
    list_users,
    grant_admin,
    revoke_admin,
    audit_log,
    export_audit_log,
]
