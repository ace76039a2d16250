"""The founders' screening page of a round: every submitted entry with its decision, one form per entry,
and marking every entry still to screen eligible at once."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.choices import when
from app.challenges.pages import PAGE, Failed, Form, failed_form, state_of, text, texts
from app.judging import screening
from app.judging.setup import base_path
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy, ngettext
from app.platform.pagination import MAX_PAGE
from app.web import flash, is_htmx, redirect, render

BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/judging/screening"
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
DecisionFilter = Annotated[str, Parameter(max_length=20)]
DONE = {
    "eligible": lazy("%(team)s is marked eligible."),
    "ineligible": lazy("%(team)s is marked ineligible; its team was told why."),
    "returned": lazy("%(team)s was returned to its team for changes; they were told what to change."),
}


def _query(decision: str, page: int = 1) -> str:
    values = {"decision": decision, "page": page if page > 1 else ""}
    encoded = urlencode({key: value for key, value in values.items() if value})
    return f"?{encoded}" if encoded else ""


async def screening_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    round_id: uuid.UUID,
    *,
    decision: str = "",
    page: int = 1,
    failed: Failed | None = None,
    notice: str | None = None,
) -> Response[str]:
    listing = await screening.screening_list(
        db, actor, round_id, now, slug=slug, decision=decision, page=page
    )
    ctx = listing.ctx
    context = {
        "listing": listing,
        "challenge": ctx.challenge,
        "round": ctx.round,
        "base": base_path(ctx),
        "tz": ctx.challenge.timezone,
        "params": _query(decision)[1:],
        "here": _query(decision, page),
        "state": state_of(failed),
        "failed_key": f"{failed.form}:{failed.key}" if failed else "",
        "notice": notice,
        "decision_label": screening.decision_label,
        "filters": screening.FILTERS,
        "when": when,
    }
    status = failed.status if failed else 200
    return render(request, "judging/screening.html", context, block="screening_list", status_code=status)


@get(BASE, name="judging:screening", **PAGE)
async def show_screening(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    decision: DecisionFilter = "",
    page: PageNumber = 1,
) -> Response[Any]:
    try:
        screening.decision_filter(decision)
    except InvalidInput:
        # An unknown filter shows every entry, with the message beside the filter.
        failed = Failed("filter", {"decision": decision}, {"decision": _("Choose a decision from the list.")})
        return await screening_page(request, db, actor, now, slug, round_id, page=page, failed=failed)
    return await screening_page(request, db, actor, now, slug, round_id, decision=decision, page=page)


async def _answer(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    round_id: uuid.UUID,
    data: dict[str, Any],
    message: str,
    anchor: str = "",
) -> Response[Any]:
    """After a decision: htmx gets the list back (same filter and page) with the message; a plain form a 303."""
    decision, page = _list_position(data)
    if is_htmx(request):
        return await screening_page(
            request, db, actor, now, slug, round_id, decision=decision, page=page, notice=message
        )
    flash(request, "success", message)
    url = f"/challenges/{slug}/rounds/{round_id}/judging/screening{_query(decision, page)}"
    return redirect(request, url + (f"#{anchor}" if anchor else ""))


def _list_position(data: dict[str, Any]) -> tuple[str, int]:
    """The filter and page the form was posted from (hidden fields), to answer with the same list."""
    decision, page = text(data, "filter"), text(data, "page")
    return (
        decision if decision in screening.FILTERS else "",
        int(page) if page.isdigit() and 1 <= int(page) <= MAX_PAGE else 1,
    )


@post(BASE + "/{submission_id:uuid}", name="judging:screen_entry", **PAGE)
async def screen_entry(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    submission_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = texts(data, "decision", "reason")
    try:
        decided = await screening.decide(
            db, actor, round_id, submission_id, values["decision"], values["reason"], now, slug=slug
        )
    except (InvalidInput, Conflict) as exc:
        # A missing reason is shown beside the entry's field; a refused decision above the list (the entry
        # may not even be listed, e.g. withdrawn meanwhile).
        if isinstance(exc, InvalidInput) and "reason" in exc.errors:
            failed = failed_form("entry", values, exc, key=submission_id)
        else:
            reasons = list(exc.errors.values()) if isinstance(exc, InvalidInput) else [str(exc.detail)]
            failed = Failed("list", values, problems=reasons, status=exc.status_code)
        decision, page = _list_position(data)
        return await screening_page(
            request, db, actor, now, slug, round_id, decision=decision, page=page, failed=failed
        )
    message = _(DONE[decided.screening.decision], team=decided.team_name)
    return await _answer(request, db, actor, now, slug, round_id, data, message, f"entry-{submission_id}")


@post(BASE + "/eligible", name="judging:screen_all_eligible", **PAGE)
async def screen_all_eligible(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    count = await screening.mark_unscreened_eligible(db, actor, round_id, now, slug=slug)
    message = (
        ngettext("%(num)s entry was marked eligible.", "%(num)s entries were marked eligible.", count)
        if count
        else _("Every entry was already screened.")
    )
    return await _answer(request, db, actor, now, slug, round_id, data, message)


ROUTES: list[Any] = [show_screening, screen_entry, screen_all_eligible]
