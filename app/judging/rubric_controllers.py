"""Founders' pages that set a round's judging up: the rubric editor here; the round's judging settings
(app.judging.settings_controllers), screening (app.judging.screening_controllers) and their JSON API
(app.judging.setup_api) are gathered into ROUTES below.

Every form works without JavaScript (a 303 back to the page); with htmx, the form's section is answered
in place: 200 with a confirmation, 422 with the messages beside the fields, 409 with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from babel import numbers
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.pages import PAGE, Failed, Form, failed_form, state_of, text, texts
from app.judging import rubric_input, rubrics
from app.judging.screening_controllers import ROUTES as SCREENING_ROUTES
from app.judging.settings_controllers import ROUTES as SETTINGS_ROUTES
from app.judging.setup import base_path, plain_number
from app.judging.setup_api import ROUTES as API_ROUTES
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import get_locale, ngettext
from app.platform.i18n import gettext as _
from app.web import flash, is_htmx, redirect, render

BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/judging/rubric"
CRITERION = BASE + "/criteria/{criterion_id:uuid}"
CRITERION_FIELDS = ("name", "description", "weight", "scale_min", "scale_max", "scale_step")
LEVEL_PREFIX = "level."
REFUSALS = (InvalidInput, Conflict)


def percent(share: Any) -> str:
    """A share out of 100 as the reader writes percentages ("33.3%", "33,3 %")."""
    return numbers.format_percent(float(share) / 100, "#,##0.#%", locale=get_locale())


def criterion_values(data: dict[str, Any]) -> dict[str, Any]:
    """A criterion form's fields, with its level descriptors ("level.<value>") as `descriptors`."""
    values: dict[str, Any] = texts(data, *CRITERION_FIELDS)
    values["descriptors"] = {
        name.removeprefix(LEVEL_PREFIX): text(data, name) for name in data if name.startswith(LEVEL_PREFIX)
    }
    return values


def saved_values(criterion: Any) -> dict[str, Any]:
    """What a criterion's edit form shows before any change."""
    return {
        "name": criterion.name,
        "description": criterion.description,
        "weight": plain_number(criterion.weight),
        "scale_min": plain_number(criterion.scale_min),
        "scale_max": plain_number(criterion.scale_max),
        "scale_step": plain_number(criterion.scale_step),
        "descriptors": rubric_input.descriptor_texts(criterion.descriptors),
    }


def _helpers() -> dict[str, Any]:
    return {
        "levels": rubric_input.levels,
        "form_levels": rubric_input.form_levels,
        "saved_values": saved_values,
        "plain": plain_number,
        "percent": percent,
        "new_values": {**rubric_input.DEFAULT_SCALE, "descriptors": {}},
        "descriptor_max": rubric_input.DESCRIPTOR_MAX,
    }


async def rubric_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    *,
    failed: Failed | None = None,
    notice: str | None = None,
) -> Response[str]:
    """The editor; with `failed`, that form shows its refused values and messages (htmx: the section only)."""
    page = await rubrics.rubric(db, actor, round_id, slug=slug, action="rubric:edit")
    context = {
        "page": page,
        "challenge": page.ctx.challenge,
        "round": page.ctx.round,
        "base": base_path(page.ctx),
        "state": state_of(failed),
        "failed_key": f"{failed.form}:{failed.key}" if failed else "",
        "notice": notice,
        **_helpers(),
    }
    status = failed.status if failed else 200
    return render(request, "judging/rubric.html", context, block="rubric", status_code=status)


async def _done(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    message: str,
) -> Response[Any]:
    """After a change: htmx gets the section back with the message; a plain form, a 303 to the page."""
    if is_htmx(request):
        return await rubric_page(request, db, actor, slug, round_id, notice=message)
    flash(request, "success", message)
    return redirect(request, f"/challenges/{slug}/rounds/{round_id}/judging/rubric#rubric")


async def _list_change(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    change: Awaitable[Any],
    message: str,
) -> Response[Any]:
    """A change of the list (order, removal): refused with its reason above the list, e.g. once frozen."""
    try:
        await change
    except Conflict as exc:
        return await rubric_page(request, db, actor, slug, round_id, failed=failed_form("list", {}, exc))
    return await _done(request, db, actor, slug, round_id, message)


@get(BASE, name="judging:rubric", **PAGE)
async def show_rubric(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await rubric_page(request, db, actor, slug, round_id)


@post(BASE + "/criteria", name="judging:add_criterion", **PAGE)
async def add_criterion(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = criterion_values(data)
    try:
        criterion = await rubrics.add_criterion(db, actor, round_id, values, slug=slug)
    except REFUSALS as exc:
        failed = failed_form("criterion", values, exc, key="new")
        return await rubric_page(request, db, actor, slug, round_id, failed=failed)
    return await _done(request, db, actor, slug, round_id, _("%(name)s was added.", name=criterion.name))


@post(CRITERION, name="judging:update_criterion", **PAGE)
async def update_criterion(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = criterion_values(data)
    try:
        criterion = await rubrics.update_criterion(db, actor, round_id, criterion_id, values, slug=slug)
    except REFUSALS as exc:
        failed = failed_form("criterion", values, exc, key=criterion_id)
        return await rubric_page(request, db, actor, slug, round_id, failed=failed)
    return await _done(request, db, actor, slug, round_id, _("%(name)s was saved.", name=criterion.name))


@post(CRITERION + "/remove", name="judging:remove_criterion", **PAGE)
async def remove_criterion(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
) -> Response[Any]:
    change = rubrics.remove_criterion(db, actor, round_id, criterion_id, slug=slug)
    return await _list_change(request, db, actor, slug, round_id, change, _("The criterion was removed."))


@post(CRITERION + "/move", name="judging:move_criterion", **PAGE)
async def move_criterion(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    change = rubrics.move_criterion(db, actor, round_id, criterion_id, text(data, "direction"), slug=slug)
    return await _list_change(request, db, actor, slug, round_id, change, _("The order was saved."))


@post(BASE + "/copy", name="judging:copy_rubric", **PAGE)
async def copy_rubric(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = texts(data, "source_round_id")
    try:
        source = uuid.UUID(values["source_round_id"]) if values["source_round_id"] else None
    except ValueError:
        source = None
    try:
        copies = await rubrics.copy_rubric(db, actor, round_id, source, slug=slug)
    except REFUSALS as exc:
        # The reason goes above the list: the copy form is only shown for an empty rubric with rubrics to copy.
        reasons = list(exc.errors.values()) if isinstance(exc, InvalidInput) else [str(exc.detail)]
        failed = Failed("list", values, problems=reasons, status=exc.status_code)
        return await rubric_page(request, db, actor, slug, round_id, failed=failed)
    message = ngettext("%(num)s criterion was copied.", "%(num)s criteria were copied.", len(copies))
    return await _done(request, db, actor, slug, round_id, message)


def _form_key(value: str) -> str:
    """Which criterion form asked: "new" or a criterion's id (it becomes part of element ids)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return "new"


@post(BASE + "/levels", name="judging:criterion_levels", **PAGE)
async def criterion_levels(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    """The levels of the scale a criterion form holds, to describe them before saving. htmx: the form's
    levels only; a plain form: the page, that form showing what was typed. Saves nothing."""
    values = criterion_values(data)
    key = _form_key(text(data, "form_key"))
    if is_htmx(request):
        # Permission first, like the page: the fragment says nothing a page would not.
        await rubrics.rubric(db, actor, round_id, slug=slug, action="rubric:edit")
        context = {"prefix": f"criterion-{key}", "values": values, **_helpers()}
        return render(request, "judging/_levels.html", context)
    failed = Failed("criterion", values, rubric_input.scale_errors(values), key=key, status=200)
    return await rubric_page(request, db, actor, slug, round_id, failed=failed)


ROUTES: list[Any] = [
    show_rubric,
    add_criterion,
    update_criterion,
    remove_criterion,
    move_criterion,
    copy_rubric,
    criterion_levels,
    *SETTINGS_ROUTES,
    *SCREENING_ROUTES,
    *API_ROUTES,
]
