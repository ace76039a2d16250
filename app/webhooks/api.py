"""JSON API of an organization's webhooks under /api/v1: list, create (the secret in that answer only) and
delete, with the pages' services and permissions (owners only)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.web import problem
from app.webhooks import services
from app.webhooks.models import Webhook
from app.webhooks.schemas import WebhookCreate, WebhookCreated, WebhookView

API: dict[str, Any] = {"tags": ["webhooks"], "cache_control": CacheControlHeader(no_store=True)}
BASE = "/api/v1/organizations/{slug:str}/webhooks"


def _fields(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "description": webhook.description,
        "events": list(webhook.events),
        "active": webhook.active,
        "created_at": webhook.created_at,
    }


@get(BASE, name="webhooks:api_list", **API)
async def api_list_webhooks(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], slug: FromPath[str]
) -> list[WebhookView]:
    """The organization's endpoints (never their secrets); for its owners."""
    _organization, rows = await services.list_webhooks(db, actor, slug)
    return [WebhookView(**_fields(row.webhook)) for row in rows]


@post(BASE, name="webhooks:api_create", **API)
async def api_create_webhook(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[WebhookCreate],
) -> Response[Any]:
    """Add an endpoint; the `secret` of this answer is the only time it is shown."""
    settings = get_context(request.scope).settings
    try:
        webhook, secret = await services.create_webhook(
            db, actor, settings, slug, url=data.url, description=data.description, events=data.events
        )
    except InvalidInput as exc:
        return problem(422, exc.detail, errors=exc.problem_errors())
    return Response(WebhookCreated(**_fields(webhook), secret=secret), status_code=201)


@delete(BASE + "/{webhook_id:uuid}", name="webhooks:api_delete", **API)
async def api_delete_webhook(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    webhook_id: FromPath[uuid.UUID],
) -> None:
    """Delete an endpoint and its delivery log."""
    await services.delete_webhook(db, actor, slug, webhook_id)


ROUTES = [api_list_webhooks, api_create_webhook, api_delete_webhook]
