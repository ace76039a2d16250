"""The founders' shortlist page of a round: its ranking with a box per team, the top N, and advancing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import shortlist
from app.judging.results import method_label, score_text
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import ngettext
from app.web import flash, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/judging/shortlist"
TopN = Annotated[int | None, Parameter(ge=0, le=100_000)]


async def _page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    round_id: uuid.UUID,
    *,
    top: int | None = None,
    selected: list[uuid.UUID] | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    page = await shortlist.shortlist_page(db, actor, round_id, now, slug=slug, top=top, selected=selected)
    context = {
        "page": page,
        "challenge": page.ctx.challenge,
        "round": page.ctx.round,
        "values": values or {"top": "" if top is None else top},
        "errors": errors or {},
        "error": error,
        "taking_part": _taking_part(page),
        "score_text": score_text,
        "method_label": method_label,
    }
    return render(request, "judging/shortlist.html", context, block="shortlist_form", status_code=status_code)


def _taking_part(page: shortlist.Shortlist) -> str:
    if page.next_round is None:
        return ""
    return ngettext(
        "%(num)s team takes part in %(round)s now.",
        "%(num)s teams take part in %(round)s now.",
        len(page.advanced),
        round=page.next_round.name,
    )


@get(BASE, name="judging:shortlist", **PAGE)
async def show_shortlist(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    top: TopN = None,
) -> Response[Any]:
    """The ranking with the next round's teams ticked; `?top=N` ticks the first N instead."""
    return await _page(request, db, actor, now, slug, round_id, top=top)


@post(BASE, name="judging:advance", **PAGE)
async def advance(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    form = await request.form()
    values = {key: form.get(key, "") for key in ("reason", "top", "notify_others")}
    raw_ids = [value for value in form.getall("team", []) if isinstance(value, str)]
    selected: list[uuid.UUID] | None = None
    try:
        selected = shortlist.parse_team_ids(raw_ids)
        result = await shortlist.advance_teams(
            db,
            actor,
            round_id,
            now,
            team_ids=selected,
            reason=str(values["reason"]),
            notify_others=values["notify_others"] == "1",
            slug=slug,
        )
    except (InvalidInput, Conflict) as exc:
        # The page again with what was sent: the boxes ticked, the reason, and the top N's flags.
        top = int(values["top"]) if str(values["top"]).isdigit() and len(str(values["top"])) < 7 else None
        errors, error = (exc.errors, None) if isinstance(exc, InvalidInput) else ({}, str(exc.detail))
        return await _page(
            request, db, actor, now, slug, round_id, top=top, selected=selected or [], values=values,
            errors=errors, error=error, status_code=exc.status_code,
        )  # fmt: skip
    next_round = result.shortlist.next_round
    assert next_round is not None
    if result.changed:
        flash(request, "success", _advanced_message(result, next_round.name))
    else:
        flash(
            request,
            "info",
            _(
                "Nothing changed: these teams were already the ones advanced to %(round)s.",
                round=next_round.name,
            ),
        )
    return redirect(request, f"/challenges/{slug}/rounds/{round_id}/judging/shortlist")


def _advanced_message(result: shortlist.Advanced, round_name: str) -> str:
    parts = [
        ngettext(
            "%(num)s team takes part in %(round)s.",
            "%(num)s teams take part in %(round)s.",
            len(result.shortlist.advanced),
            round=round_name,
        )
    ]
    if result.added:
        parts.append(
            ngettext(
                "%(num)s team added and notified.", "%(num)s teams added and notified.", len(result.added)
            )
        )
    if result.removed:
        parts.append(
            ngettext(
                "%(num)s team removed and notified.",
                "%(num)s teams removed and notified.",
                len(result.removed),
            )
        )
    if result.told_not_advanced:
        parts.append(
            ngettext(
                "%(num)s other team told it was not advanced.",
                "%(num)s other teams told they were not advanced.",
                len(result.told_not_advanced),
            )
        )
    return " ".join(parts)


ROUTES = [show_shortlist, advance]
