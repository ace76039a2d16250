"""Pages of an organization's webhooks: the endpoints with the form to add one, and one endpoint's log."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext, lazy
from app.web import flash, form_fields, redirect, render
from app.webhooks import services
from app.webhooks.api import ROUTES as API_ROUTES
from app.webhooks.models import EVENTS, PING, Webhook

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/organizations/{slug:str}/webhooks"
ONE = BASE + "/{webhook_id:uuid}"

EVENT_LABELS = {
    "submission.submitted": lazy("A team submits an entry to a round of your challenge"),
    "registration.decided": lazy("A registration to your challenge is approved or rejected"),
    "access_request.decided": lazy("An access request to your dataset is approved, rejected or returned"),
    "grant.revoked": lazy("An access grant to your dataset is revoked"),
    "grant.expired": lazy("An access grant to your dataset expires"),
    "results.published": lazy("The results of your challenge are published"),
    PING: lazy("Test event"),
}
STATUS_LABELS = {
    "delivered": lazy("Delivered"),
    "failed": lazy("Failed"),
    "retrying": lazy("Failed, will retry"),
    "pending": lazy("Waiting to be sent"),
}


def _helpers() -> dict[str, Any]:
    return {
        "event_label": lambda event: gettext(EVENT_LABELS[event]),
        "status_label": lambda status: gettext(STATUS_LABELS[status]),
        "status_of": services.status_of,
        "all_events": EVENTS,
    }


async def _list_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: Webhook | None = None,
    secret: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    organization, rows = await services.list_webhooks(db, actor, slug)
    context = {
        "organization": organization,
        "rows": rows,
        "values": values or {"events": []},
        "errors": errors or {},
        "created": created,
        "secret": secret,
        **_helpers(),
    }
    return render(request, "organizations/webhooks.html", context, block="webhooks", status_code=status_code)


@get(BASE, name="webhooks:list", **PAGE)
async def list_webhooks(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await _list_page(request, db, actor, slug)


@post(BASE, name="webhooks:create", **PAGE)
async def create_webhook(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    """The new secret is in this answer only."""
    form = await request.form()
    fields = await form_fields(request)
    chosen = [value for value in form.getall("events", []) if isinstance(value, str)]
    url, description = fields.get("url", ""), fields.get("description", "")
    values = {"url": url, "description": description, "events": chosen}
    settings = get_context(request.scope).settings
    try:
        webhook, secret = await services.create_webhook(
            db, actor, settings, slug, url=url, description=description, events=chosen
        )
    except InvalidInput as exc:
        return await _list_page(request, db, actor, slug, values=values, errors=exc.errors, status_code=422)
    return await _list_page(request, db, actor, slug, created=webhook, secret=secret)


async def _endpoint_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    webhook_id: uuid.UUID,
    *,
    secret: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    organization, webhook = await services.webhook_of(db, actor, slug, webhook_id)
    context = {
        "organization": organization,
        "webhook": webhook,
        "deliveries": await services.deliveries(db, webhook),
        "secret": secret,
        "error": error,
        **_helpers(),
    }
    return render(request, "organizations/webhook.html", context, status_code=status_code)


@get(ONE, name="webhooks:show", **PAGE)
async def show_webhook(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    webhook_id: FromPath[uuid.UUID],
) -> Response[str]:
    return await _endpoint_page(request, db, actor, slug, webhook_id)


@post(ONE + "/rotate", name="webhooks:rotate", **PAGE)
async def rotate_secret(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    webhook_id: FromPath[uuid.UUID],
) -> Response[str]:
    """The new secret is in this answer only."""
    settings = get_context(request.scope).settings
    _webhook, secret = await services.rotate_secret(db, actor, settings, slug, webhook_id)
    return await _endpoint_page(request, db, actor, slug, webhook_id, secret=secret)


@post(ONE + "/active", name="webhooks:switch", **PAGE)
async def switch_webhook(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    webhook_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Switch the endpoint on (`active=on`) or off (anything else)."""
    active = (await form_fields(request)).get("active") == "on"
    await services.set_active(db, actor, slug, webhook_id, active)
    if active:
        flash(request, "success", gettext("The endpoint is switched on again."))
    else:
        flash(request, "success", gettext("The endpoint is switched off: nothing more is sent to it."))
    return redirect(request, f"/organizations/{slug}/webhooks/{webhook_id}")


@post(ONE + "/delete", name="webhooks:delete", **PAGE)
async def delete_webhook(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    webhook_id: FromPath[uuid.UUID],
) -> Response[Any]:
    webhook = await services.delete_webhook(db, actor, slug, webhook_id)
    flash(request, "success", gettext("The endpoint %(url)s has been deleted.", url=webhook.url))
    return redirect(request, f"/organizations/{slug}/webhooks")


@post(ONE + "/ping", name="webhooks:ping", **PAGE)
async def ping_webhook(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    webhook_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        await services.send_ping(db, actor, slug, webhook_id)
    except Conflict as exc:
        return await _endpoint_page(request, db, actor, slug, webhook_id, error=exc.detail, status_code=409)
    flash(request, "success", gettext("A test event is on its way; its delivery appears below."))
    return redirect(request, f"/organizations/{slug}/webhooks/{webhook_id}")


ROUTES = [
    list_webhooks,
    create_webhook,
    show_webhook,
    rotate_secret,
    switch_webhook,
    delete_webhook,
    ping_webhook,
    *API_ROUTES,
]
