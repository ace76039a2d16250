"""Pages by which a participant finds, creates or joins a team (the teams of a challenge, join requests, the
invitation link), and their dashboard across challenges."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.registration_schemas import status_label as registration_label
from app.organizations.choices import country_name, kind_label
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE
from app.teams import invitations, join_requests, overview, teams
from app.teams.schemas import role_label, submission_label
from app.web import flash, form_fields, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
SearchText = Annotated[str, Parameter(max_length=200)]


def template_helpers() -> dict[str, Any]:
    return {
        "kind_label": kind_label,
        "country_name": country_name,
        "role_label": role_label,
        "submission_label": submission_label,
        "registration_label": registration_label,
    }


# Refusals the pages show with their status and message, rather than as an error page.
REFUSALS = (Conflict, InvalidInput, teams.NotParticipant)


def message_of(exc: ClientException) -> str:
    if isinstance(exc, InvalidInput):
        return " ".join(exc.errors.values())
    return str(exc.detail)


# --- the teams of a challenge -------------------------------------------------------------------------------
# --- the teams of a challenge -------------------------------------------------------------------------------


async def _list_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    *,
    q: str = "",
    page: int = 1,
    error: str | None = None,
    error_for: str = "",
    status_code: int = 200,
) -> Response[Any]:
    try:
        listing = await overview.list_teams(db, actor, slug, now, query=q, page=page)
    except teams.NotParticipant as exc:
        return _not_participant(request, slug, exc)
    context = {
        "listing": listing,
        "challenge": listing.challenge,
        "q": q,
        "params": urlencode({"q": q}) if q else "",
        "error": error,
        "error_for": error_for,
        **template_helpers(),
    }
    return render(request, "teams/list.html", context, block="team_results", status_code=status_code)


def _not_participant(request: Request[Any, Any, Any], slug: str, exc: teams.NotParticipant) -> Response[Any]:
    """A page saying why the person may not take part in teams, with the way forward when there is one."""
    register_url = None
    if exc.register:
        register_url = f"/challenges/{slug}/register?{urlencode({'next': request.url.path})}"
    context = {"message": exc.detail, "register_url": register_url, "slug": slug}
    return render(request, "teams/not_participant.html", context, status_code=exc.status_code)


@get("/challenges/{slug:str}/teams/find", name="teams:list", **PAGE)
async def list_teams(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    q: SearchText = "",
    page: PageNumber = 1,
) -> Response[Any]:
    return await _list_page(request, db, actor, now, slug, q=q, page=page)


@post("/teams/{team_id:uuid}/join-requests", name="teams:request_join", **PAGE)
async def request_to_join(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    ctx = await teams.load_team(db, actor, team_id, "team:request_join")
    slug = ctx.challenge.slug
    try:
        await join_requests.request_to_join(db, actor, team_id, fields.get("message"), now)
    except REFUSALS as exc:
        return await _list_page(
            request,
            db,
            actor,
            now,
            slug,
            error=message_of(exc),
            error_for=str(team_id),
            status_code=exc.status_code,
        )
    flash(request, "success", _("Your request is sent to the captain of %(team)s.", team=ctx.team.name))
    return redirect(request, f"/challenges/{slug}/teams/find")


@post(
    "/teams/{team_id:uuid}/join-requests/{request_id:uuid}/cancel", name="teams:cancel_join_request", **PAGE
)
async def cancel_join_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    ctx = await teams.load_team(db, actor, team_id, "team:request_join")
    try:
        await join_requests.cancel_request(db, actor, team_id, request_id, now)
    except Conflict as exc:
        return await _list_page(
            request,
            db,
            actor,
            now,
            ctx.challenge.slug,
            error=exc.detail,
            error_for=str(team_id),
            status_code=409,
        )
    flash(request, "success", _("Your request is cancelled."))
    return redirect(request, f"/challenges/{ctx.challenge.slug}/teams/find")


# --- creating a team --------------------------------------------------------------------------------------


async def _new_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    try:
        form = await teams.new_team_form(db, actor, slug, now)
    except teams.NotParticipant as exc:
        return _not_participant(request, slug, exc)
    if form.refusal is not None and status_code == 200:
        status_code = form.refusal.status_code
    context = {
        "form": form,
        "challenge": form.challenge,
        "refusal": form.refusal.detail if form.refusal else None,
        "values": values or {},
        "errors": errors or {},
        **template_helpers(),
    }
    return render(request, "teams/new.html", context, block="team_form", status_code=status_code)


@get("/challenges/{slug:str}/teams/new", name="teams:new", **PAGE)
async def new_team(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    return await _new_page(request, db, actor, now, slug)


@post("/challenges/{slug:str}/teams/new", name="teams:create", **PAGE)
async def create_team(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        team = await teams.create_team(
            db, actor, slug, now, name=fields.get("name"), organization_id=fields.get("organization")
        )
    except InvalidInput as exc:
        return await _new_page(
            request, db, actor, now, slug, values=fields, errors=exc.errors, status_code=422
        )
    except Conflict:
        return await _new_page(request, db, actor, now, slug, values=fields, status_code=409)
    flash(request, "success", _("Your team %(name)s is created: invite your teammates.", name=team.name))
    return redirect(request, f"/teams/{team.id}")


# --- the invitation link ----------------------------------------------------------------------------------


async def _invitation_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor | None,
    now: dt.datetime,
    token: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    detail = await invitations.invitation_detail(db, actor, get_context(request.scope).settings, token, now)
    back = urlencode({"next": request.url.path})
    context = {
        "detail": detail,
        "team": detail.team,
        "challenge": detail.challenge,
        "unavailable": invitations.unavailable_message(detail.state) if detail.state != "open" else None,
        "error": error,
        "login_url": f"/login?{back}",
        "signup_url": f"/signup?{back}",
        "register_url": f"/challenges/{detail.challenge.slug}/register?{back}",
    }
    return render(request, "teams/invitation.html", context, status_code=status_code)


@get("/invitations/team/{token:str}", name="teams:invitation", opt={"public": True}, **PAGE)
async def show_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    now: NamedDependency[dt.datetime],
    token: FromPath[str],
) -> Response[Any]:
    """Public, so that someone without an account learns what they are invited to and can sign up first."""
    return await _invitation_page(request, db, actor, now, token)


@post("/invitations/team/{token:str}", name="teams:accept_invitation", **PAGE)
async def accept_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    token: FromPath[str],
) -> Response[Any]:
    settings = get_context(request.scope).settings
    try:
        team = await invitations.accept(db, actor, settings, token, now)
    except (invitations.InvitationUnavailable, PermissionDeniedException, *REFUSALS) as exc:
        # Signed in with another address: the page itself says so.
        error = None if isinstance(exc, PermissionDeniedException) else message_of(exc)
        return await _invitation_page(
            request, db, actor, now, token, error=error, status_code=exc.status_code
        )
    flash(request, "success", _("Welcome to %(team)s!", team=team.name))
    return redirect(request, f"/teams/{team.id}")


# --- the participant's dashboard --------------------------------------------------------------------------


@get("/me/challenges", name="teams:dashboard", **PAGE)
async def dashboard(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
) -> Response[Any]:
    entries = await overview.participant_dashboard(db, actor, now)
    return render(request, "teams/dashboard.html", {"entries": entries, "now": now, **template_helpers()})


ROUTES: list[object] = [
    list_teams,
    request_to_join,
    cancel_join_request,
    new_team,
    create_team,
    show_invitation,
    accept_invitation,
    dashboard,
]
