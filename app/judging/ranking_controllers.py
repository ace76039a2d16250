"""Rankings, agreement, score distributions, judge completion, entry scores and exports (founders)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import completion, entry_scores, export_jobs, exports, ranking_views
from app.judging.access import founder_round
from app.judging.ranking_api import ROUTES as API_ROUTES
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import ngettext
from app.platform.pagination import MAX_PAGE
from app.platform.storage import storage_for
from app.web import NO_STORE, flash, form_fields, is_htmx, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/judging"
MethodChoice = Annotated[str, Parameter(pattern=r"^(|auto|mean|median|z)$")]
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


def _base(slug: str, round_id: uuid.UUID) -> str:
    return f"/challenges/{slug}/rounds/{round_id}/judging"


@get(BASE + "/ranking", name="judging:ranking", **PAGE)
async def show_ranking(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    method: MethodChoice = "",
    page: PageNumber = 1,
) -> Response[Any]:
    """The whole page; the method switch (htmx, targeting #ranking_table) recomputes only the ranking.
    The table shows one page of entries (ranked over all of them); exports hold every entry."""
    helpers = ranking_views.template_helpers()
    if is_htmx(request) and request.headers.get("hx-target") == "ranking_table":
        round_, ranking, requested = await ranking_views.ranking_table(
            db, actor, round_id, method, slug, page
        )
        data = {
            # One plain row holds the round's columns (id, name) and its challenge's (slug, title, timezone).
            "challenge": round_,
            "round": round_,
            "ranking": ranking,
            "requested": requested,
            "tied_ranks": ranking_views.tied_ranks(ranking),
            "rows": ranking_views.ranking_rows(ranking),
            **helpers,
        }
        return render(request, "judging/ranking.html", data, block="ranking_table")
    view = await ranking_views.ranking_page(db, actor, slug, round_id, method, now, page)
    return render(request, "judging/ranking.html", _page_data(view) | helpers)


def _page_data(page: ranking_views.RankingPage) -> dict[str, Any]:
    return {
        "page": page,
        "challenge": page.round,
        "round": page.round,
        "ranking": page.ranking,
        "requested": page.requested,
        "tied_ranks": page.tied_ranks,
        "rows": ranking_views.ranking_rows(page.ranking),
        "progress": page.progress,
        "late_judges": page.late_judges,
    }


@post(BASE + "/ranking/remind", name="judging:remind", **PAGE)
async def remind_judges(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Remind late judges. A refusal (409) is shown in place for htmx, as an error page otherwise."""
    try:
        reminded = await completion.remind_late_judges(db, actor, slug, round_id, now)
    except Conflict as exc:
        if not is_htmx(request):
            raise
        return await _progress_block(request, db, actor, slug, round_id, ("warning", str(exc.detail)))
    message = ngettext("%(num)s judge reminded.", "%(num)s judges reminded.", reminded.reminded)
    if reminded.skipped:
        message += " " + ngettext(
            "%(num)s judge was reminded less than 12 hours ago and was left alone.",
            "%(num)s judges were reminded less than 12 hours ago and were left alone.",
            reminded.skipped,
        )
    if is_htmx(request):
        return await _progress_block(request, db, actor, slug, round_id, ("success", message))
    flash(request, "success", message)
    return redirect(request, f"{_base(slug, round_id)}/ranking#judge_progress")


async def _progress_block(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    message: tuple[str, str],
) -> Response[Any]:
    context = await founder_round(db, actor, slug, round_id)
    progress = await completion.judge_progress(db, round_id)
    data = {
        "challenge": context.challenge,
        "round": context.round,
        "progress": progress,
        "late_judges": sum(1 for judge in progress if judge.late),
        "progress_message": message,
    }
    return render(request, "judging/ranking.html", data, block="judge_progress")


@get(BASE + "/entries/{submission_id:uuid}", name="judging:entry", **PAGE)
async def show_entry_scores(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    entry = await entry_scores.entry_scores(db, actor, slug, round_id, submission_id, now)
    data = {"entry": entry, "challenge": entry.context.challenge, "round": entry.context.round}
    return render(request, "judging/entry_scores.html", data | ranking_views.template_helpers())


@get(BASE + "/exports", name="judging:exports", **PAGE)
async def show_exports(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The exports page; htmx polls the #export_jobs block while an export is being written."""
    page = await export_jobs.exports_page(db, actor, slug, round_id, now)
    return render(request, "judging/exports.html", _exports_data(page), block="export_jobs")


def _exports_data(page: export_jobs.ExportsPage, **extra: Any) -> dict[str, Any]:
    return {
        "page": page,
        "challenge": page.context.challenge,
        "round": page.context.round,
        "whats": exports.WHATS,
        "needs_close": exports.NEEDS_CLOSE,
        "what_label": exports.what_label,
        "values": {"what": "ranking", "format": "csv"},
        "errors": {},
        **extra,
    }


@post(BASE + "/exports", name="judging:export", **PAGE)
async def request_export(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    values = {"what": fields.get("what", ""), "format": fields.get("format", "")}
    locale = get_context(request.scope).locale
    try:
        await export_jobs.request_export(
            db, actor, slug, round_id, values["what"], values["format"], now, locale, fields.get("method")
        )
    except InvalidInput as exc:
        page = await export_jobs.exports_page(db, actor, slug, round_id, now)
        data = _exports_data(page, values=values, errors=exc.errors)
        return render(request, "judging/exports.html", data, block="export_form", status_code=422)
    if is_htmx(request):
        page = await export_jobs.exports_page(db, actor, slug, round_id, now)
        return render(
            request, "judging/exports.html", _exports_data(page, values=values), block="export_form"
        )
    flash(
        request,
        "success",
        _("The export is being prepared. Its download link appears below when it is ready."),
    )
    return redirect(request, f"{_base(slug, round_id)}/exports")


@get(BASE + "/exports/{job_id:uuid}", name="judging:export_download", **PAGE)
async def download_export(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    job_id: FromPath[uuid.UUID],
) -> Stream:
    storage = storage_for(get_context(request.scope).settings)
    download = await export_jobs.open_download(db, actor, slug, round_id, job_id, now, storage)
    headers = {
        **NO_STORE,
        "content-disposition": f'attachment; filename="{download.name}"',
        "x-content-type-options": "nosniff",
    }
    return Stream(download.chunks, media_type=download.media_type, headers=headers)


ROUTES: list[Any] = [
    show_ranking,
    remind_judges,
    show_entry_scores,
    show_exports,
    request_export,
    download_export,
    *API_ROUTES,
]
