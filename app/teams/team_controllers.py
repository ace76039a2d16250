"""Pages of one team: the team page and what its captain, members and the challenge's founders do there. Also
collects the routes of the other team pages (app.teams.joining_controllers) and of the JSON API (app.teams.team_api)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.teams import invitations, join_requests, membership, overview, teams
from app.teams.joining_controllers import PAGE, REFUSALS, message_of, template_helpers
from app.teams.joining_controllers import ROUTES as JOINING_ROUTES
from app.teams.team_api import ROUTES as API_ROUTES
from app.web import flash, form_fields, redirect, render

# --- the team page ----------------------------------------------------------------------------------------


async def _team_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    team_id: uuid.UUID,
    *,
    error: str | None = None,
    forms: dict[str, tuple[dict[str, str], dict[str, str]]] | None = None,
    block: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    """The team page; a refused action re-renders it with its status, its message and the form's values."""
    page = await overview.team_page(db, actor, team_id, now)
    forms = forms or {}
    context = {
        "page": page,
        "team": page.head.team,
        "challenge": page.head.challenge,
        "relations": page.head.relations,
        "error": error,
        "invite": forms.get("invite", ({}, {})),
        "edit": forms.get("edit", ({}, {})),
        "add": forms.get("add", ({}, {})),
        "override": forms.get("override", ({}, {})),
        **template_helpers(),
    }
    return render(request, "teams/show.html", context, block=block, status_code=status_code)


async def _refused(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    team_id: uuid.UUID,
    exc: ClientException,
    *,
    form: str = "override",
    fields: dict[str, str] | None = None,
) -> Response[Any]:
    """A refused action: field messages beside the form (422), anything else at the top of the page."""
    if isinstance(exc, InvalidInput):
        return await _team_page(
            request, db, actor, now, team_id, forms={form: (fields or {}, exc.errors)}, status_code=422
        )
    return await _team_page(
        request, db, actor, now, team_id, error=message_of(exc), status_code=exc.status_code
    )


@get("/teams/{team_id:uuid}", name="teams:show", **PAGE)
async def show_team(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _team_page(request, db, actor, now, team_id)


@post("/teams/{team_id:uuid}/edit", name="teams:update", **PAGE)
async def update_team(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        await teams.update_team(
            db,
            actor,
            team_id,
            name=fields.get("name", ""),
            organization_id=fields.get("organization", ""),
        )
    except InvalidInput as exc:
        forms = {"edit": (fields, exc.errors)}
        return await _team_page(
            request, db, actor, now, team_id, forms=forms, block="team_edit_form", status_code=422
        )
    flash(request, "success", _("The team’s details are saved."))
    return redirect(request, f"/teams/{team_id}")


@post("/teams/{team_id:uuid}/invitations", name="teams:invite", **PAGE)
async def invite(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    settings = get_context(request.scope).settings
    try:
        invitation = await invitations.invite(db, actor, settings, team_id, fields.get("email"), now)
    except InvalidInput as exc:
        forms = {"invite": (fields, exc.errors)}
        return await _team_page(
            request, db, actor, now, team_id, forms=forms, block="invite_form", status_code=422
        )
    except Conflict as exc:
        return await _refused(request, db, actor, now, team_id, exc)
    flash(request, "success", _("An invitation has been sent to %(email)s.", email=invitation.email))
    return redirect(request, f"/teams/{team_id}#invitations")


@post("/teams/{team_id:uuid}/invitations/{invitation_id:uuid}/revoke", name="teams:revoke_invitation", **PAGE)
async def revoke_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    invitation_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        await invitations.revoke(db, actor, team_id, invitation_id, now)
    except Conflict as exc:
        return await _refused(request, db, actor, now, team_id, exc)
    flash(request, "success", _("The invitation has been withdrawn."))
    return redirect(request, f"/teams/{team_id}#invitations")


@post(
    "/teams/{team_id:uuid}/join-requests/{request_id:uuid}/decision", name="teams:decide_join_request", **PAGE
)
async def decide_join_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        decided = await join_requests.decide_request(
            db, actor, team_id, request_id, fields.get("decision"), now
        )
    except REFUSALS as exc:
        return await _refused(request, db, actor, now, team_id, exc)
    if decided.request.status == "approved":
        flash(request, "success", _("The request is approved: welcome to your new teammate."))
    else:
        flash(request, "success", _("The request is declined."))
    return redirect(request, f"/teams/{team_id}#join-requests")


@post("/teams/{team_id:uuid}/members/{user_id:uuid}/remove", name="teams:remove_member", **PAGE)
async def remove_member(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        await membership.remove_member(db, actor, team_id, user_id, now, reason=fields.get("reason"))
    except REFUSALS as exc:
        return await _refused(request, db, actor, now, team_id, exc, fields=fields)
    flash(request, "success", _("The member has been removed."))
    return redirect(request, f"/teams/{team_id}#members")


@post("/teams/{team_id:uuid}/captain", name="teams:hand_over_captaincy", **PAGE)
async def hand_over_captaincy(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        await membership.hand_over_captaincy(
            db, actor, team_id, fields.get("user_id"), now, reason=fields.get("reason")
        )
    except REFUSALS as exc:
        return await _refused(request, db, actor, now, team_id, exc, fields=fields)
    flash(request, "success", _("The captaincy has been handed over."))
    return redirect(request, f"/teams/{team_id}#members")


@post("/teams/{team_id:uuid}/members", name="teams:add_member", **PAGE)
async def add_member(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        person = await membership.add_member(
            db, actor, team_id, now, email=fields.get("email"), reason=fields.get("reason")
        )
    except InvalidInput as exc:
        forms = {"add": (fields, exc.errors)}
        return await _team_page(
            request, db, actor, now, team_id, forms=forms, block="add_member_form", status_code=422
        )
    except (Conflict, teams.NotParticipant) as exc:
        return await _refused(request, db, actor, now, team_id, exc)
    flash(request, "success", _("%(name)s has been added to the team.", name=person.name))
    return redirect(request, f"/teams/{team_id}#members")


@post("/teams/{team_id:uuid}/leave", name="teams:leave", **PAGE)
async def leave_team(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        team = await membership.leave_team(db, actor, team_id, now)
    except Conflict as exc:
        return await _refused(request, db, actor, now, team_id, exc)
    if team is None:
        flash(
            request, "success", _("You have left your team, which had no other member: it no longer exists.")
        )
    else:
        flash(request, "success", _("You have left %(team)s.", team=team.name))
    return redirect(request, "/me/challenges")


PAGE_ROUTES = [
    show_team,
    update_team,
    invite,
    revoke_invitation,
    decide_join_request,
    remove_member,
    hand_over_captaincy,
    add_member,
    leave_team,
]
ROUTES: list[object] = [*PAGE_ROUTES, *JOINING_ROUTES, *API_ROUTES]
