"""The job that sends one webhook delivery, with its retries.

Exactly once, as far as HTTP allows. The outbox runs this job under its row's lock and marks it done in the
same transaction as the job's own changes (app.platform.outbox); send_mail keeps that transaction open while
it talks to SMTP. A webhook call goes to someone else's server, which may be slow: so this job does not hold a
transaction, nor any lock, while it waits for the receiver. Instead:
1. under the delivery's row lock it claims the attempt: counts it and sets `sending_until` (a lease longer
   than the call's own time limit), then commits, which releases every lock and the connection;
2. it sends, with no transaction open;
3. it records the outcome under the row lock again: delivered (2xx), given up (the attempts ran out, or the
   address is refused), or failed, in which case it commits that record and raises, so that the outbox's
   retry (arq's Retry, with a growing delay) tries again.
Committing in step 1 also releases the outbox row's lock, so while the call is on the wire the reconciler may
send the job again. That second run (or any duplicate) finds the delivery delivered or given up and does
nothing, or finds the lease running and waits for it (it raises, and is retried later): the delivery row, not
the outbox row, is what keeps two runs from sending together. What remains is HTTP's
own limit: a worker killed after the receiver answered 2xx but before step 3 committed sends again once the
lease passes. The `webhook-id` header (the delivery's id) is the same on every attempt, so receivers drop the
repeat, as the Standard Webhooks specification asks them to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from sqlalchemy import select

from app.db import utcnow
from app.webhooks import network, signing
from app.webhooks.models import Webhook, WebhookDelivery

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.settings import Settings

# Attempts in all: with the outbox's delays (10, 20, 40, 80, 160 s) the last is about five minutes after the first.
MAX_ATTEMPTS = 6
# Longer than an attempt can last (network.TOTAL_TIMEOUT), name resolution included.
LEASE = dt.timedelta(seconds=60)


class DeliveryFailed(Exception):
    """This attempt failed and another will follow (the outbox retries the job)."""


class DeliveryInFlight(Exception):
    """Another run of the job is sending this delivery right now: look again later."""


@dataclasses.dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: uuid.UUID
    url: str
    key: bytes
    body: bytes
    attempts: int


async def deliver_webhook(ctx: dict[str, Any], session: AsyncSession, delivery_id: str) -> None:
    """Send one delivery, once; see the module's docstring for how."""
    settings: Settings = ctx["settings"]
    claim = await _claim(session, settings, uuid.UUID(delivery_id))
    if claim is None:
        return
    await session.commit()
    timestamp = int(utcnow().timestamp())
    headers = {
        "webhook-id": str(claim.delivery_id),
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature(claim.key, str(claim.delivery_id), timestamp, claim.body),
    }
    outcome = await network.post(
        claim.url, claim.body, headers, allow_private=settings.webhook_allow_private_networks
    )
    await _record(session, claim, outcome)


async def _claim(session: AsyncSession, settings: Settings, delivery_id: uuid.UUID) -> Claim | None:
    # Never wait for the delivery's lock while holding the outbox row's: the run holding the delivery's lock
    # (recording its outcome) waits for the outbox row next, to mark it done; waiting here would deadlock.
    row = (
        await session.execute(
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.id == delivery_id)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    ).one_or_none()
    if row is None:
        if await session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.id == delivery_id)):
            raise DeliveryInFlight(f"delivery {delivery_id} is being recorded by another run")
        return None  # its endpoint was deleted, and its log with it
    delivery, webhook = row
    now = utcnow()
    if delivery.delivered_at is not None or delivery.failed_at is not None:
        return None
    if delivery.sending_until is not None and delivery.sending_until > now:
        raise DeliveryInFlight(f"delivery {delivery_id} is being sent until {delivery.sending_until}")
    if not webhook.active:
        delivery.failed_at, delivery.last_error = now, "not sent: the endpoint was deactivated"
        return None
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.sending_until = now + LEASE
    await session.flush()
    return Claim(
        delivery_id=delivery.id,
        url=webhook.url,
        key=signing.signing_key(settings.secret_key, webhook.secret_seed),
        body=body(delivery.payload, settings.base_url),
        attempts=delivery.attempts,
    )


def body(payload: dict[str, Any], base_url: str) -> bytes:
    """The JSON sent: the stored payload, its `url` made absolute with BASE_URL."""
    data = payload.get("data") or {}
    if isinstance(data.get("url"), str):
        payload = {**payload, "data": {**data, "url": urljoin(base_url + "/", data["url"].lstrip("/"))}}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def _record(session: AsyncSession, claim: Claim, outcome: network.Outcome) -> None:
    delivery = await session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == claim.delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        return
    now = utcnow()
    delivery.sending_until = None
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:2000] if outcome.error else None
    if outcome.delivered:
        delivery.delivered_at = now
        return
    if outcome.final or delivery.attempts >= MAX_ATTEMPTS:
        delivery.failed_at = now
        return
    await session.commit()
    raise DeliveryFailed(f"attempt {delivery.attempts} of {MAX_ATTEMPTS}: {outcome.error}")


JOBS = {"deliver_webhook": deliver_webhook}
