"""Pages of the results: the founders' prizes and publishing, the public results, and a team's feedback."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import feedback, results
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.teams.schemas import parse_id
from app.web import flash, form_fields, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
PUBLIC_PAGE: dict[str, Any] = {"include_in_schema": False, "opt": {"public": True}}
MANAGE = "/challenges/{slug:str}/results/manage"


def _helpers() -> dict[str, Any]:
    return {"score_text": results.score_text, "method_label": results.method_label}


async def _manage_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    page = await results.manage_results(db, actor, slug, now)
    context = {
        "page": page,
        "results": page.results,
        "challenge": page.results.challenge,
        "round": page.results.final_round,
        "errors": errors or {},
        "error": error,
        **_helpers(),
    }
    return render(request, "judging/results_manage.html", context, status_code=status_code)


def _ids(fields: dict[str, str]) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    prize, team = parse_id(fields.get("prize")), parse_id(fields.get("team"))
    return (prize if isinstance(prize, uuid.UUID) else None, team if isinstance(team, uuid.UUID) else None)


async def _refused(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    exc: Exception,
) -> Response[Any]:
    if isinstance(exc, InvalidInput):
        return await _manage_page(request, db, actor, now, slug, errors=exc.errors, status_code=422)
    assert isinstance(exc, Conflict)
    return await _manage_page(request, db, actor, now, slug, error=str(exc.detail), status_code=409)


@get(MANAGE, name="results:manage", **PAGE)
async def manage_results(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    return await _manage_page(request, db, actor, now, slug)


@post(MANAGE + "/awards", name="results:award", **PAGE)
async def award_prize(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    prize_id, team_id = _ids(await form_fields(request))
    try:
        prize, team, new = await results.award_prize(db, actor, slug, prize_id, team_id, now)
    except (InvalidInput, Conflict) as exc:
        return await _refused(request, db, actor, now, slug, exc)
    if new:
        flash(request, "success", _("%(prize)s goes to %(team)s.", prize=prize.title, team=team.name))
    else:
        flash(request, "info", _("%(team)s already has %(prize)s.", prize=prize.title, team=team.name))
    return redirect(request, f"/challenges/{slug}/results/manage#prize-{prize.id}")


@post(MANAGE + "/awards/remove", name="results:remove_award", **PAGE)
async def remove_award(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    prize_id, team_id = _ids(await form_fields(request))
    try:
        prize, team = await results.remove_award(db, actor, slug, prize_id, team_id)
    except (InvalidInput, Conflict) as exc:
        return await _refused(request, db, actor, now, slug, exc)
    flash(request, "success", _("%(team)s no longer has %(prize)s.", prize=prize.title, team=team.name))
    return redirect(request, f"/challenges/{slug}/results/manage#prize-{prize.id}")


@post(MANAGE + "/visibility", name="results:visibility", **PAGE)
async def set_visibility(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        await results.set_visibility(db, actor, slug, fields.get("visibility", ""))
    except InvalidInput as exc:
        return await _refused(request, db, actor, now, slug, exc)
    flash(request, "success", _("Saved: the preview below shows what the public will see."))
    return redirect(request, f"/challenges/{slug}/results/manage#preview")


@post(MANAGE + "/publish", name="results:publish", **PAGE)
async def publish_results(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    try:
        published = await results.publish_results(db, actor, slug, now)
    except Conflict as exc:
        return await _refused(request, db, actor, now, slug, exc)
    if published:
        flash(request, "success", _("The results are published and every team is notified."))
    else:
        flash(request, "info", _("The results were already published."))
    return redirect(request, f"/challenges/{slug}/results")


@get("/challenges/{slug:str}/results", name="results:show", **PUBLIC_PAGE)
async def show_results(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
) -> Response[Any]:
    """Public once published, for whoever may see the challenge; 404 before (the service decides)."""
    shown = await results.public_results(db, actor, slug)
    challenge = shown.challenge
    context = {
        "results": shown,
        "challenge": challenge,
        "founder": shown.visible.can(actor, "results:publish"),
        **_helpers(),
    }
    private = challenge.visibility != "public"
    return render(request, "judging/results.html", context, private=private)


@get("/teams/{team_id:uuid}/feedback", name="feedback:show", **PAGE)
async def show_feedback(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The team's feedback for its members; before results are published, when it will be available."""
    shown = await feedback.team_feedback(db, actor, team_id)
    context = {"feedback": shown, "team": shown.ctx.team, "challenge": shown.ctx.challenge}
    return render(request, "judging/feedback.html", context)


ROUTES = [
    manage_results,
    award_prize,
    remove_award,
    set_visibility,
    publish_results,
    show_results,
    show_feedback,
]
