"""Panels: the founders' pages of a round's judges, conflicts and assignments. Also collects the routes of
the judges' side (app.judging.judge_panel_controllers: invitation link, conflicts) and of the API
(app.judging.panel_api)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import assignment_manual, assignment_service, conflict_service, panel_views, panels
from app.judging.judge_panel_controllers import ROUTES as JUDGE_ROUTES
from app.judging.panel_api import ROUTES as API_ROUTES
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import ngettext
from app.platform.pagination import MAX_PAGE
from app.web import flash, form_fields, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/judging/panel"
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
Form = tuple[dict[str, str], dict[str, str]]


def panel_url(slug: str, round_id: uuid.UUID, tail: str = "") -> str:
    return f"/challenges/{slug}/rounds/{round_id}/judging/panel{tail}"


def message_of(exc: ClientException) -> str:
    if isinstance(exc, InvalidInput):
        return " ".join(exc.errors.values())
    return str(exc.detail)


# --- the panel page ---------------------------------------------------------------------------------------


async def _panel(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    *,
    invite: Form = ({}, {}),
    run: Form = ({}, {}),
    error: str | None = None,
    run_error: str | None = None,
    block: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    await panel_views.check_round_path(db, slug, round_id)
    page = await panel_views.panel_page(db, actor, round_id)
    context = {
        "page": page,
        "challenge": page.ctx.challenge,
        "round": page.ctx.round,
        "settings": page.ctx.settings,
        "job": page.job,
        "invite": invite,
        "run": run,
        "error": error,
        "run_error": run_error,
        "base": panel_url(slug, round_id),
        "progress_percent": panel_views.progress_percent,
    }
    return render(request, "judging/panel.html", context, block=block, status_code=status_code)


@get(BASE, name="judging:panel", **PAGE)
async def show_panel(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _panel(request, db, actor, slug, round_id)


@post(f"{BASE}/judges", name="judging:invite_judges", **PAGE)
async def invite_judges(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    await panel_views.check_round_path(db, slug, round_id)
    settings = get_context(request.scope).settings
    try:
        outcome = await panels.invite_judges(db, actor, settings, round_id, fields.get("emails"), now)
    except InvalidInput as exc:
        return await _panel(
            request,
            db,
            actor,
            slug,
            round_id,
            invite=(fields, exc.errors),
            block="invite_form",
            status_code=422,
        )
    if outcome.invited:
        count = len(outcome.invited)
        flash(request, "success", ngettext("%(num)s invitation sent.", "%(num)s invitations sent.", count))
    for address, reason in outcome.skipped:
        flash(request, "info", _("Not invited: %(email)s %(reason)s.", email=address, reason=reason))
    return redirect(request, panel_url(slug, round_id, "#judges"))


@post(f"{BASE}/judges/{{judge_id:uuid}}/resend", name="judging:resend_invitation", **PAGE)
async def resend_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    judge_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await panel_views.check_round_path(db, slug, round_id)
    settings = get_context(request.scope).settings
    try:
        judge = await panels.resend_invitation(db, actor, settings, round_id, judge_id, now)
    except Conflict as exc:
        return await _panel(request, db, actor, slug, round_id, error=message_of(exc), status_code=409)
    flash(request, "success", _("The invitation was sent again to %(email)s.", email=judge.email))
    return redirect(request, panel_url(slug, round_id, "#judges"))


@post(f"{BASE}/judges/{{judge_id:uuid}}/remove", name="judging:remove_judge", **PAGE)
async def remove_judge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    judge_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await panel_views.check_round_path(db, slug, round_id)
    try:
        judge = await panels.remove_judge(db, actor, round_id, judge_id, now)
    except Conflict as exc:
        return await _panel(request, db, actor, slug, round_id, error=message_of(exc), status_code=409)
    flash(
        request,
        "success",
        _("%(email)s is no longer on the panel. Their scores are kept.", email=judge.email),
    )
    return redirect(request, panel_url(slug, round_id, "#judges"))


@post(f"{BASE}/conflicts/{{conflict_id:uuid}}/remove", name="judging:remove_conflict", **PAGE)
async def remove_conflict(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    conflict_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await panel_views.check_round_path(db, slug, round_id)
    await conflict_service.remove_conflict(db, actor, round_id, conflict_id)
    flash(request, "success", _("The declared conflict was removed."))
    return redirect(request, panel_url(slug, round_id, "#conflicts"))


# --- running the assignment -------------------------------------------------------------------------------


@post(f"{BASE}/assign", name="judging:assign", **PAGE)
async def run_assignment(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    await panel_views.check_round_path(db, slug, round_id)
    try:
        outcome = await assignment_service.run_assignment(
            db,
            actor,
            round_id,
            now,
            policy=fields.get("policy"),
            k=fields.get("judges_per_entry"),
            seed=fields.get("seed"),
        )
    except InvalidInput as exc:
        return await _panel(
            request, db, actor, slug, round_id, run=(fields, exc.errors), block="assignment", status_code=422
        )
    except Conflict as exc:
        return await _panel(
            request,
            db,
            actor,
            slug,
            round_id,
            run=(fields, {}),
            run_error=message_of(exc),
            block="assignment",
            status_code=409,
        )
    if outcome.job is not None:
        flash(
            request,
            "info",
            _("This round is large: the assignment is computed in the background. Its progress shows below."),
        )
    else:
        assert outcome.summary is not None
        flash(
            request,
            "success",
            _(
                "Assignment done: %(num)s assignments for %(entries)s entries.",
                num=outcome.summary.assignments,
                entries=outcome.summary.entries,
            ),
        )
        if outcome.summary.short:
            flash(
                request,
                "error",
                ngettext(
                    "%(num)s entry could not get enough judges without a conflict of interest.",
                    "%(num)s entries could not get enough judges without a conflict of interest.",
                    len(outcome.summary.short),
                ),
            )
    return redirect(request, panel_url(slug, round_id, "#assignment"))


@get(f"{BASE}/jobs/{{job_id:uuid}}", name="judging:assign_job", **PAGE)
async def show_job(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    job_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The job's progress: the block htmx polls every second while the job runs (the page itself without htmx)."""
    await panel_views.check_round_path(db, slug, round_id)
    ctx, job = await panel_views.job_progress(db, actor, round_id, job_id)
    if request.headers.get("hx-request") != "true":
        return redirect(request, panel_url(slug, round_id, "#assignment"))
    context = {
        "challenge": ctx.challenge,
        "round": ctx.round,
        "job": job,
        "base": panel_url(slug, round_id),
        "progress_percent": panel_views.progress_percent,
    }
    return render(request, "judging/_assign_job.html", context)


# --- the assignments page ---------------------------------------------------------------------------------


async def _assignments(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    *,
    page: int = 1,
    error: str | None = None,
    add: Form = ({}, {}),
    status_code: int = 200,
) -> Response[Any]:
    await panel_views.check_round_path(db, slug, round_id)
    view = await panel_views.assignments_page(db, actor, round_id, page)
    context = {
        "view": view,
        "challenge": view.ctx.challenge,
        "round": view.ctx.round,
        "settings": view.ctx.settings,
        "base": panel_url(slug, round_id),
        "error": error,
        "add": add,
    }
    return render(request, "judging/assignments.html", context, status_code=status_code)


@get(f"{BASE}/assignments", name="judging:assignments", **PAGE)
async def show_assignments(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    page: PageNumber = 1,
) -> Response[Any]:
    return await _assignments(request, db, actor, slug, round_id, page=page)


@post(f"{BASE}/assignments", name="judging:add_assignment", **PAGE)
async def add_assignment(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    await panel_views.check_round_path(db, slug, round_id)
    try:
        await assignment_manual.add_assignment(
            db, actor, round_id, fields.get("submission_id"), fields.get("user_id"), now
        )
    except InvalidInput as exc:
        return await _assignments(
            request, db, actor, slug, round_id, add=(fields, exc.errors), status_code=422
        )
    except Conflict as exc:
        return await _assignments(
            request, db, actor, slug, round_id, add=(fields, {}), error=message_of(exc), status_code=409
        )
    flash(request, "success", _("The judge is assigned."))
    return redirect(request, panel_url(slug, round_id, _page_query(fields)))


@post(
    f"{BASE}/assignments/{{submission_id:uuid}}/{{user_id:uuid}}/remove",
    name="judging:remove_assignment",
    **PAGE,
)
async def remove_assignment(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    submission_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    await panel_views.check_round_path(db, slug, round_id)
    try:
        await assignment_manual.remove_assignment(db, actor, round_id, submission_id, user_id, now)
    except Conflict as exc:
        return await _assignments(request, db, actor, slug, round_id, error=message_of(exc), status_code=409)
    flash(request, "success", _("The assignment is removed. Any score already given is kept."))
    return redirect(request, panel_url(slug, round_id, _page_query(fields)))


def _page_query(fields: dict[str, str]) -> str:
    """Back to the page of the assignments list the form was on."""
    page = fields.get("page", "")
    return "/assignments" + (f"?page={int(page)}" if page.isdigit() and 1 < int(page) <= MAX_PAGE else "")


ROUTES: list[Any] = [
    show_panel,
    invite_judges,
    resend_invitation,
    remove_judge,
    remove_conflict,
    run_assignment,
    show_job,
    show_assignments,
    add_assignment,
    remove_assignment,
    *JUDGE_ROUTES,
    *API_ROUTES,
]
