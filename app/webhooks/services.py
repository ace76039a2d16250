"""Business verbs of webhooks: an organization's owners list, create, rotate, switch off and on, delete and
test its endpoints, and read their delivery log.

Invariants kept here: only owners of the organization act (`organization:manage_webhooks`; others get 403,
visitors 404, and an endpoint of another organization is 404); the URL passes `network.url_problem`; at least
one known event is chosen; the secret is shown once, in the answer to creating or rotating, and can never be
read again. Creating, rotating, switching, deleting are audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select, true

from app.db import utcnow
from app.organizations.models import Organization
from app.organizations.services import authorized_organization
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.webhooks import events, network, signing
from app.webhooks.models import EVENTS, PING, Webhook, WebhookDelivery

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

ACTION = "organization:manage_webhooks"
DESCRIPTION_MAX = 200
MAX_PER_ORGANIZATION = 20
LOG_SIZE = 50


@dataclasses.dataclass(frozen=True, slots=True)
class WebhookRow:
    webhook: Webhook
    # The newest delivery's state: None when nothing was sent yet.
    last_event: str | None
    last_status: str | None
    last_status_code: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class WebhookInput:
    url: str
    description: str
    events: list[str]


class DeliveryState(Protocol):
    delivered_at: dt.datetime | None
    failed_at: dt.datetime | None
    attempts: int


def status_of(delivery: DeliveryState) -> str:
    """delivered, failed (given up), retrying (an attempt failed, another will follow) or pending."""
    if delivery.delivered_at is not None:
        return "delivered"
    if delivery.failed_at is not None:
        return "failed"
    return "retrying" if delivery.attempts else "pending"


def webhook_input(settings: Settings, url: str, description: str, chosen: Sequence[str]) -> WebhookInput:
    """Checked and cleaned input; InvalidInput names each bad field."""
    errors: dict[str, str] = {}
    url = url.strip()
    problem = network.url_problem(
        url,
        allow_http=settings.webhook_allow_http,
        allow_private=settings.webhook_allow_private_networks,
    )
    if problem:
        errors["url"] = problem
    description = description.replace("\x00", "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(num)s characters.", num=DESCRIPTION_MAX)
    picked = [event for event in EVENTS if event in set(chosen)]
    if not picked or len(picked) != len(set(chosen)):
        errors["events"] = _("Choose at least one of the events listed.")
    if errors:
        raise InvalidInput(errors)
    return WebhookInput(url, description, picked)


async def list_webhooks(
    session: AsyncSession, actor: Actor, slug: str
) -> tuple[Organization, list[WebhookRow]]:
    """The organization's endpoints, oldest first, each with the state of its newest delivery (one query)."""
    organization, _relations = await authorized_organization(session, actor, slug, ACTION)
    newest = (
        select(
            WebhookDelivery.event,
            WebhookDelivery.delivered_at,
            WebhookDelivery.failed_at,
            WebhookDelivery.attempts,
            WebhookDelivery.last_status_code,
        )
        .where(WebhookDelivery.webhook_id == Webhook.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(1)
        .correlate(Webhook)
        .lateral("newest")
    )
    rows = await session.execute(
        select(Webhook, newest.c.event, newest.c.delivered_at, newest.c.failed_at, newest.c.attempts,
               newest.c.last_status_code)
        .outerjoin(newest, true())
        .where(Webhook.organization_id == organization.id)
        .order_by(Webhook.created_at, Webhook.id)
    )  # fmt: skip
    result = [
        WebhookRow(
            row.Webhook, row.event, status_of(row) if row.event is not None else None, row.last_status_code
        )
        for row in rows
    ]
    return organization, result


async def create_webhook(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    slug: str,
    *,
    url: str,
    description: str,
    events: Sequence[str],
) -> tuple[Webhook, str]:
    """Register an endpoint; returns it with its secret, shown this once."""
    organization, _relations = await authorized_organization(session, actor, slug, ACTION, lock=True)
    data = webhook_input(settings, url, description, events)
    count = await session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.organization_id == organization.id)
    )
    if (count or 0) >= MAX_PER_ORGANIZATION:
        raise InvalidInput(
            {
                "url": _(
                    "An organization has at most %(num)s endpoints. Delete one first.",
                    num=MAX_PER_ORGANIZATION,
                )
            }
        )
    webhook = Webhook(
        organization_id=organization.id, url=data.url, description=data.description, events=data.events,
        secret_seed=signing.new_seed(), created_by_id=actor.id,
    )  # fmt: skip
    session.add(webhook)
    await session.flush()
    await session.refresh(webhook, ["created_at", "active"])
    await audit.record(
        session, actor, "webhook:create", "webhook", webhook.id,
        {"organization": organization.slug, "url": data.url, "events": data.events},
    )  # fmt: skip
    return webhook, secret_of(settings, webhook)


def secret_of(settings: Settings, webhook: Webhook) -> str:
    return signing.secret_text(signing.signing_key(settings.secret_key, webhook.secret_seed))


async def webhook_of(
    session: AsyncSession, actor: Actor, slug: str, webhook_id: uuid.UUID, *, lock: bool = False
) -> tuple[Organization, Webhook]:
    """One endpoint of the organization, for its owners; 404 when it belongs to another organization."""
    organization, _relations = await authorized_organization(session, actor, slug, ACTION)
    statement = select(Webhook).where(Webhook.id == webhook_id, Webhook.organization_id == organization.id)
    webhook = await session.scalar(statement.with_for_update() if lock else statement)
    if webhook is None:
        raise NotFoundException()
    return organization, webhook


async def deliveries(session: AsyncSession, webhook: Webhook) -> list[WebhookDelivery]:
    """The endpoint's newest deliveries, newest first (the caller checked the permission with webhook_of)."""
    return list(
        await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(LOG_SIZE)
        )
    )


async def rotate_secret(
    session: AsyncSession, actor: Actor, settings: Settings, slug: str, webhook_id: uuid.UUID
) -> tuple[Webhook, str]:
    """A new secret, shown this once; the old one stops working at once (deliveries still queued use the new)."""
    organization, webhook = await webhook_of(session, actor, slug, webhook_id, lock=True)
    webhook.secret_seed = signing.new_seed()
    webhook.secret_rotated_at = utcnow()
    await session.flush()
    await audit.record(
        session, actor, "webhook:rotate_secret", "webhook", webhook.id, {"organization": organization.slug}
    )
    return webhook, secret_of(settings, webhook)


async def set_active(
    session: AsyncSession, actor: Actor, slug: str, webhook_id: uuid.UUID, active: bool
) -> Webhook:
    """Switch an endpoint off (nothing more is sent to it, queued deliveries included) or on again."""
    organization, webhook = await webhook_of(session, actor, slug, webhook_id, lock=True)
    if webhook.active == active:
        return webhook
    webhook.active = active
    await session.flush()
    action = "webhook:activate" if active else "webhook:deactivate"
    await audit.record(session, actor, action, "webhook", webhook.id, {"organization": organization.slug})
    return webhook


async def delete_webhook(session: AsyncSession, actor: Actor, slug: str, webhook_id: uuid.UUID) -> Webhook:
    """Delete an endpoint and its delivery log; the audit log keeps that it existed."""
    organization, webhook = await webhook_of(session, actor, slug, webhook_id, lock=True)
    await audit.record(
        session, actor, "webhook:delete", "webhook", webhook.id,
        {"organization": organization.slug, "url": webhook.url, "events": list(webhook.events)},
    )  # fmt: skip
    await session.delete(webhook)
    await session.flush()
    return webhook


async def send_ping(session: AsyncSession, actor: Actor, slug: str, webhook_id: uuid.UUID) -> WebhookDelivery:
    """Queue the test event `ping` for one endpoint; refused (422) when it is switched off, as it would not go."""
    organization, webhook = await webhook_of(session, actor, slug, webhook_id)
    if not webhook.active:
        raise Conflict(_("This endpoint is switched off: switch it on to send it a test event."))
    return await events.queue(session, webhook.id, PING, events.ping_payload(webhook, organization.name))
