"""Board pages: the team's data board, the steward's board with its access log filters and CSV export, and the
founders' list of the grants teams hold."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.data_sharing import boards, steward_board
from app.data_sharing.access import REASONS
from app.db import utcnow
from app.platform.errors import InvalidInput
from app.platform.i18n import format_datetime, lazy
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE
from app.teams.submission_controllers import file_size
from app.web import NO_STORE, environment, is_htmx, render

PAGE: dict[str, Any] = {"include_in_schema": False}
# The board's filters: the team by a part of its name (a steward may have granted thousands of teams)
FILTER_NAMES = ("dataset", "team_name", "member", "since", "until", "outcome")


def _filter_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name: request.query_params.get(name, "")[:200] for name in FILTER_NAMES}


def waited(since: dt.datetime | None, now: dt.datetime) -> tuple[int, int]:
    """Days and hours a request has waited since it was (re)submitted."""
    if since is None:
        return 0, 0
    hours = int((now - since).total_seconds() // 3600)
    return hours // 24, hours % 24


@get("/teams/{team_id:uuid}/data", name="data:team_board", **PAGE)
async def team_board(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> Response[str]:
    board = await boards.team_board(db, actor, team_id, now)
    readable = await boards.readable_files(db, actor, board.lines)
    context = {
        "team": board.team, "challenge": board.challenge, "lines": board.lines, "is_captain": board.is_captain,
        "readable": readable, "file_size": file_size,
    }  # fmt: skip
    return render(request, "data_sharing/team_board.html", context)


def _page_number(value: str) -> int:
    """A page number from a link; anything else shows the first page (a list page is never an error)."""
    value = value.strip()
    return min(int(value), MAX_PAGE) if value.isdigit() and 0 < len(value) < 7 else 1


@get("/steward", name="data:steward_board", **PAGE)
async def show_steward_board(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
) -> Response[str]:
    values = _filter_values(request)
    params = request.query_params
    errors: dict[str, str] = {}
    try:
        filters = steward_board.parse_filters(values)
    except InvalidInput as exc:
        errors, filters = exc.errors, steward_board.LogFilters()
    try:
        before = steward_board.parse_cursor(params.get("log", "")[:60])
    except InvalidInput as exc:
        errors, before = {**errors, **exc.errors}, None
    pages = steward_board.BoardPages(
        _page_number(params.get("pending", "")), _page_number(params.get("grants", "")), before
    )
    # htmx loads one section alone (its next page) or the log after the filters changed
    target = request.headers.get("hx-target", "") if is_htmx(request) else ""
    block = target if target in steward_board.SECTIONS else "access_log"
    result = await steward_board.board(
        db, actor, filters, now, pages, only=block if is_htmx(request) else None
    )
    state = {
        "pending": str(result.pending.number if result.pending else pages.pending),
        "grants": str(result.grants.number if result.grants else pages.grants),
        "log": steward_board.cursor_of(*before) if before else "",
    }
    context = {
        "board": result, "values": values, "errors": errors, "export": filters.query(),
        "pending_lines": _pending_lines(result.pending.items, now) if result.pending else [],
        "grant_lines": _grant_lines(result.grants.items) if result.grants else [],
        "log_lines": _log_lines(result.log.rows) if result.log else [], "link": functools.partial(_board_link, values, state),
        "dataset_options": _options(result.datasets, values["dataset"]),
        # imported here once: a {% from %} inside a block builds the macro module again at every render
        "section_pages": environment().get_template("macros/pagination.html").module.section_pages,  # type: ignore[attr-defined]
    }  # fmt: skip
    return render(
        request, "data_sharing/steward_board.html", context, block=block, status_code=422 if errors else 200
    )


# The board's three lists are made into the cells their tables show here, in one pass each: rows of template
# expressions (a call, a lookup per cell) cost about twice as much for the same text.


def _pending_lines(rows: Sequence[Any], now: dt.datetime) -> list[tuple[Any, ...]]:
    """Each waiting request's id, team, dataset and how long it has waited ("2 d 5 h")."""
    text = _("%(days)d d %(hours)d h")
    lines = []
    for row in rows:
        days, hours = waited(row["since"], now)
        lines.append((row["id"], row["team"], row["dataset"], text % {"days": days, "hours": hours}))
    return lines


def _grant_lines(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Each active grant's id, team, dataset and end (UTC)."""
    return [
        (row["id"], row["team"], row["dataset"], format_datetime(row["expires_at"], "UTC", "short"))
        for row in rows
    ]


ACTIONS = {"link": lazy("Download link"), "download": lazy("Download"), "workspace": lazy("Workspace")}


def _log_lines(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Each log entry's time, person, dataset, team, action, reason of a refusal (None when allowed) and
    address; the labels translated once per page."""
    actions = {key: _(label) for key, label in ACTIONS.items()}
    reasons = {key: _(text) for key, text in REASONS.items()}
    return [
        (format_datetime(row["at"], "UTC", "short"), row["person"] or "", row["dataset"], row["team"] or "",
         actions.get(row["action"], row["action"]),
         None if row["outcome"] == "allowed" else reasons.get(row["reason"], row["reason"]), row["ip"] or "")
        for row in rows
    ]  # fmt: skip


def _options(rows: list[tuple[uuid.UUID, str]], selected: str) -> Markup:
    """A filter's <option>s, built in one pass."""
    html = "".join([
        f'<option value="{id_}"{" selected" if str(id_) == selected else ""}>{escape(name)}</option>' for id_, name in rows
    ])  # fmt: skip
    return Markup(html)  # noqa: S704 - every value in it is a UUID or escaped just above


def _board_link(values: dict[str, str], state: dict[str, str], **changes: str | int) -> str:
    """/steward with the filters and the other sections' pages kept, `changes` applied (first pages left out)."""
    query = {**values, **state, **{name: str(value) for name, value in changes.items()}}
    kept = {
        name: value
        for name, value in query.items()
        if value and not (name in ("pending", "grants") and value == "1")
    }
    return "/steward?" + urlencode(kept) if kept else "/steward"


@get("/steward/access-log.csv", name="data:access_log_csv", **PAGE)
async def export_access_log(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> Stream:
    filters = steward_board.parse_filters(_filter_values(request))
    rows = await steward_board.log_csv(db, actor, filters)
    headers = {
        **NO_STORE,
        "content-disposition": f'attachment; filename="tremplin-access-log-{utcnow():%Y%m%d-%H%M%S}.csv"',
    }
    return Stream(rows, media_type="text/csv; charset=utf-8", headers=headers)


@get("/challenges/{slug:str}/data/grants", name="data:founder_grants", **PAGE)
async def founder_grants(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[str]:
    challenge, rows = await boards.founder_grants(db, actor, slug, now)
    return render(request, "data_sharing/founder_grants.html", {"challenge": challenge, "rows": rows})


ROUTES: list[Any] = [team_board, show_steward_board, export_access_log, founder_grants]
