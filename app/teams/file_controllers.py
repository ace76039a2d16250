"""Pages of files and founders' views: downloads, the founders' lists of teams and submissions (with CSV),
the public gallery and the team's gallery choice. The JSON API lives in app.teams.file_api."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.registration_schemas import status_label as registration_status_label
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE
from app.platform.storage import storage_for
from app.teams import files, founder_views, gallery
from app.teams.file_api import ROUTES as API_ROUTES
from app.web import NO_STORE, flash, is_htmx, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
PUBLIC_PAGE: dict[str, Any] = {"include_in_schema": False, "opt": {"public": True}}
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
StatusFilter = Annotated[str, Parameter(pattern=r"^(|none|draft|submitted|withdrawn)$")]
SortOrder = Annotated[str, Parameter(pattern=r"^(|recent|oldest|team)$")]
DateText = Annotated[str, Parameter(max_length=20)]


def _helpers() -> dict[str, Any]:
    return {
        "submission_status_label": founder_views.submission_status_label,
        "registration_status_label": registration_status_label,
        "team_size_label": founder_views.team_size_label,
    }


# --- downloads --------------------------------------------------------------------------------------


@get("/files/{file_id:uuid}", name="files:download", **PUBLIC_PAGE)
async def download_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    file_id: FromPath[uuid.UUID],
) -> Stream:
    """Public by route so that gallery files reach visitors; the service answers 404 to anyone not allowed."""
    storage = storage_for(get_context(request.scope).settings)
    download = await files.open_download(db, actor, file_id, storage)
    return Stream(download.chunks, media_type=download.media_type, headers=download.headers())


# --- founders' lists --------------------------------------------------------------------------------


def _submissions_url(slug: str, round_id: uuid.UUID) -> str:
    return f"/challenges/{slug}/rounds/{round_id}/submissions"


@get("/challenges/{slug:str}/rounds/{round_id:uuid}/submissions", name="founders:submissions", **PAGE)
async def list_round_submissions(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    status: StatusFilter = "",
    since: DateText = "",
    sort: SortOrder = "",
    page: PageNumber = 1,
) -> Response[Any]:
    values = {"status": status, "since": since, "sort": sort or "recent"}
    context: dict[str, Any] = {"values": values, "errors": {}, **_helpers()}
    try:
        filters = founder_views.submission_filters(status, since, sort)
    except InvalidInput as exc:
        visible, round_ = await founder_views.founder_round(db, actor, slug, round_id)
        context.update(
            challenge=visible.challenge, rounds=visible.rounds, round=round_, listing=None, errors=exc.errors
        )
        return render(
            request, "teams/founders/submissions.html", context, block="submission_list", status_code=422
        )
    listing = await founder_views.round_submissions(db, actor, slug, round_id, filters, page)
    context.update(
        challenge=listing.visible.challenge,
        rounds=listing.visible.rounds,
        round=listing.round,
        listing=listing,
        params=filters.query_string(),
        base_url=_submissions_url(slug, round_id),
    )
    return render(request, "teams/founders/submissions.html", context, block="submission_list")


@get("/challenges/{slug:str}/rounds/{round_id:uuid}/submissions.csv", name="founders:submissions_csv", **PAGE)
async def export_round_submissions(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    status: StatusFilter = "",
    since: DateText = "",
    sort: SortOrder = "",
) -> Stream:
    filters = founder_views.submission_filters(status, since, sort)
    round_, rows = await founder_views.export_round_submissions(db, actor, slug, round_id, filters)
    filename = f"{slug}-round-{round_.position}-submissions-{now:%Y%m%d-%H%M}.csv"
    headers = {**NO_STORE, "content-disposition": f'attachment; filename="{filename}"'}
    # Litestar adds "; charset=utf-8" to text types.
    return Stream(rows, media_type="text/csv", headers=headers)


@get("/challenges/{slug:str}/teams", name="founders:teams", **PAGE)
async def list_challenge_teams(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    below_minimum: Annotated[bool, QueryParameter(name="below_minimum")] = False,
    page: PageNumber = 1,
) -> Response[Any]:
    listing = await founder_views.challenge_teams(db, actor, slug, below_minimum=below_minimum, page=page)
    context = {
        "challenge": listing.visible.challenge,
        "rounds": listing.visible.rounds,
        "listing": listing,
        "params": "below_minimum=true" if below_minimum else "",
        **_helpers(),
    }
    return render(request, "teams/founders/teams.html", context, block="team_list")


# --- the gallery ------------------------------------------------------------------------------------


@get("/challenges/{slug:str}/gallery", name="gallery:show", **PUBLIC_PAGE)
async def show_gallery(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
    round_id: Annotated[uuid.UUID | None, QueryParameter(name="round")] = None,
    page: PageNumber = 1,
) -> Response[Any]:
    shown = await gallery.show_gallery(db, actor, slug, round_id, page)
    params = f"round={shown.round.id}" if shown.round is not None and round_id is not None else ""
    context = {
        "gallery": shown,
        "challenge": shown.visible.challenge,
        "params": params,
        "display_name": files.display_name,
    }
    return render(request, "teams/gallery.html", context, block="gallery_entries")


@post("/teams/{team_id:uuid}/gallery", name="gallery:opt_in", **PAGE)
async def choose_gallery(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    team_id: FromPath[uuid.UUID],
) -> Response[Any]:
    form = await request.form()
    value = form.get("opt_in") in ("1", "true", "on")
    team = await gallery.set_gallery_opt_in_by_id(db, actor, team_id, value)
    if is_htmx(request):
        return render(request, "teams/gallery_opt_in.html", {"team": team}, block="gallery_opt_in")
    if value:
        flash(
            request,
            "success",
            _("Your team’s submitted work will appear in the gallery once results are published."),
        )
    else:
        flash(request, "success", _("Your team’s work will not appear in the gallery."))
    return redirect(request, f"/teams/{team_id}")


PAGE_ROUTES = [
    download_file,
    list_round_submissions,
    export_round_submissions,
    list_challenge_teams,
    show_gallery,
    choose_gallery,
]
ROUTES: list[object] = [*PAGE_ROUTES, *API_ROUTES]
