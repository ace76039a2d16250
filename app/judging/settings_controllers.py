"""The founders' judging settings page of a round: assignment policy, closing time, public vote, default
ranking method, where the round stands, and closing judging now."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.choices import when
from app.challenges.inputs import local_input
from app.challenges.pages import PAGE, Failed, Form, failed_form, state_of, texts
from app.judging import settings_service
from app.judging.setup import base_path
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.web import flash, is_htmx, redirect, render

BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/judging"
FIELDS = ("policy", "judges_per_entry", "seed", "closes_at", "public_vote", "ranking_method")


def _helpers() -> dict[str, Any]:
    return {
        "when": when,
        "policies": [(code, settings_service.policy_label(code)) for code in settings_service.POLICY_LABELS],
        "methods": [(code, settings_service.method_label(code)) for code in settings_service.RANKING_METHODS],
    }


async def settings_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    round_id: uuid.UUID,
    *,
    failed: Failed | None = None,
    notice: str | None = None,
) -> Response[str]:
    page = await settings_service.settings_page(db, actor, round_id, now, slug=slug)
    ctx = page.ctx
    settings, timezone = ctx.settings, ctx.challenge.timezone
    saved = {
        "policy": settings.policy,
        "judges_per_entry": settings.judges_per_entry,
        "seed": settings.seed,
        "closes_at": local_input(settings.closes_at, timezone),
        "public_vote": settings.public_vote,
        "ranking_method": settings.ranking_method,
    }
    context = {
        "page": page,
        "challenge": ctx.challenge,
        "round": ctx.round,
        "base": base_path(ctx),
        "tz": timezone,
        "saved": saved,
        "state": state_of(failed),
        "notice": notice,
        **_helpers(),
    }
    block = "judging_settings" if failed is None or failed.form == "settings" else None
    status = failed.status if failed else 200
    return render(request, "judging/settings.html", context, block=block, status_code=status)


@get(BASE, name="judging:settings", **PAGE)
async def show_settings(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await settings_page(request, db, actor, now, slug, round_id)


@post(BASE, name="judging:save_settings", **PAGE)
async def save_settings(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = texts(data, *FIELDS)
    try:
        await settings_service.update_settings(db, actor, round_id, values, now, slug=slug)
    except InvalidInput as exc:
        failed = failed_form("settings", values, exc)
        return await settings_page(request, db, actor, now, slug, round_id, failed=failed)
    message = _("The judging settings were saved.")
    if is_htmx(request):
        return await settings_page(request, db, actor, now, slug, round_id, notice=message)
    flash(request, "success", message)
    return redirect(request, f"/challenges/{slug}/rounds/{round_id}/judging")


@post(BASE + "/close", name="judging:close", **PAGE)
async def close_judging(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Close judging now: a plain form, answered with the whole page (its state changes everywhere)."""
    try:
        await settings_service.close_judging(db, actor, round_id, now, slug=slug)
    except Conflict as exc:
        return await settings_page(
            request, db, actor, now, slug, round_id, failed=failed_form("close", {}, exc)
        )
    flash(request, "success", _("Judging is closed: scores can no longer change."))
    return redirect(request, f"/challenges/{slug}/rounds/{round_id}/judging")


ROUTES: list[Any] = [show_settings, save_settings, close_judging]
