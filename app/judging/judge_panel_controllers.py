"""The judges' side of a panel: the invitation link (public, so that someone without an account learns what
they are invited to and signs up first) and the page where a judge declares conflicts of interest."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import conflict_service, panel_links
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.web import flash, form_fields, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}


def conflicts_url(round_id: uuid.UUID) -> str:
    return f"/judge/rounds/{round_id}/conflicts"


# --- the invitation link ----------------------------------------------------------------------------------


async def _invitation_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor | None,
    token: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    detail = await panel_links.invitation_detail(db, actor, get_context(request.scope).settings, token)
    competing = None
    if "invitee" in detail.relations and detail.state == "open" and actor is not None:
        competing = await panel_links.competing_team(db, detail.challenge.id, actor.id)
    back = urlencode({"next": request.url.path})
    context = {
        "detail": detail,
        "challenge": detail.challenge,
        "round": detail.round,
        "unavailable": panel_links.unavailable_message(detail.state)
        if detail.state not in ("open", "accepted")
        else None,
        "competing": competing,
        "error": error,
        "login_url": f"/login?{back}",
        "signup_url": f"/signup?{back}",
        "conflicts_url": conflicts_url(detail.round.id),
    }
    return render(request, "judging/invitation.html", context, status_code=status_code)


@get("/invitations/judge/{token:str}", name="judging:invitation", opt={"public": True}, **PAGE)
async def show_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    token: FromPath[str],
) -> Response[Any]:
    return await _invitation_page(request, db, actor, token)


@post("/invitations/judge/{token:str}", name="judging:accept_invitation", **PAGE)
async def accept_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    token: FromPath[str],
) -> Response[Any]:
    settings = get_context(request.scope).settings
    try:
        judge = await panel_links.accept_invitation(db, actor, settings, token, now)
    except (panel_links.InvitationUnavailable, PermissionDeniedException, Conflict) as exc:
        # Signed in with another address: the page itself explains it (403).
        error = None if isinstance(exc, PermissionDeniedException) else str(exc.detail)
        return await _invitation_page(request, db, actor, token, error=error, status_code=exc.status_code)
    flash(
        request,
        "success",
        _("Welcome to the panel. First, tell us about any conflict of interest with the teams."),
    )
    return redirect(request, conflicts_url(judge.round_id))


# --- conflicts of interest --------------------------------------------------------------------------------


async def _conflicts_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    ctx, teams = await conflict_service.judge_page(db, actor, round_id)
    context = {
        "challenge": ctx.challenge,
        "round": ctx.round,
        "teams": teams,
        "values": values or {},
        "errors": errors or {},
        "error": error,
        "automatic_reason": conflict_service.automatic_reason,
        "action": conflicts_url(round_id),
    }
    return render(request, "judging/conflicts.html", context, status_code=status_code)


@get("/judge/rounds/{round_id:uuid}/conflicts", name="judging:conflicts", **PAGE)
async def show_conflicts(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _conflicts_page(request, db, actor, round_id)


@post("/judge/rounds/{round_id:uuid}/conflicts", name="judging:declare_conflict", **PAGE)
async def declare_conflict(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        conflict = await conflict_service.declare_conflict(
            db, actor, round_id, fields.get("team_id"), fields.get("reason"), now
        )
    except (InvalidInput, Conflict) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else None
        error = None if errors else str(exc.detail)
        return await _conflicts_page(
            request,
            db,
            actor,
            round_id,
            values=fields,
            errors=errors,
            error=error,
            status_code=exc.status_code,
        )
    flash(request, "success", _("Your conflict of interest is recorded: you will not review this team."))
    return redirect(request, f"{conflicts_url(round_id)}#team-{conflict.team_id}")


ROUTES: list[Any] = [show_invitation, accept_invitation, show_conflicts, declare_conflict]
