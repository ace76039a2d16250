"""Emitting webhook events: one delivery row per subscribed active endpoint, and its job through the outbox.

The domains call the event's function below from the service that makes the change, in its transaction: the
deliveries and their outbox jobs commit with the change or vanish with it, and the jobs reach arq only after
the commit (app.platform.outbox). Payloads are small: ids, names and times the receiving organization
already sees in the app, and `url`, the page of the object (made absolute with BASE_URL when sent); never
dataset content, judges' scores or people's personal data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from app.challenges.models import ChallengeOrganizer
from app.db import utcnow
from app.platform.outbox import enqueue
from app.webhooks.models import EVENTS, PING, Webhook, WebhookDelivery

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

JOB = "deliver_webhook"


def envelope(event: str, data: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """The body of every event, as Standard Webhooks suggests: its type, when it happened, and its data."""
    return {"type": event, "timestamp": at.isoformat(), "data": data}


async def emit(
    session: AsyncSession,
    organization_ids: Iterable[uuid.UUID] | Select[Any],
    event: str,
    data: dict[str, Any],
) -> list[WebhookDelivery]:
    """Queue `event` for every active endpoint of these organizations that subscribed to it."""
    assert event in EVENTS, event
    ids = organization_ids if isinstance(organization_ids, Select) else list(organization_ids)
    hooks = await session.scalars(
        select(Webhook.id)
        .where(Webhook.organization_id.in_(ids), Webhook.active, Webhook.events.contains([event]))
        .order_by(Webhook.id)
    )
    payload = envelope(event, data, utcnow())
    return [await queue(session, hook_id, event, payload) for hook_id in hooks]


async def queue(
    session: AsyncSession, webhook_id: uuid.UUID, event: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """One delivery and the job that sends it (also the `ping` an owner sends by hand)."""
    delivery = WebhookDelivery(webhook_id=webhook_id, event=event, payload=payload)
    session.add(delivery)
    await session.flush()
    await enqueue(session, JOB, delivery_id=str(delivery.id))
    return delivery


def ping_payload(webhook: Webhook, organization_name: str) -> dict[str, Any]:
    return envelope(
        PING,
        {"webhook": {"id": str(webhook.id)}, "organization": {"name": organization_name}, "url": None},
        utcnow(),
    )


def organizers_of(challenge_id: uuid.UUID) -> Select[Any]:
    return select(ChallengeOrganizer.organization_id).where(ChallengeOrganizer.challenge_id == challenge_id)


def _challenge(challenge: Any) -> dict[str, Any]:
    return {"id": str(challenge.id), "slug": challenge.slug, "title": challenge.title}


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- the events --------------------------------------------------------------------------------------------


async def submission_submitted(
    session: AsyncSession,
    challenge: Any,
    round_: Any,
    team: Any,
    submission_id: uuid.UUID,
    version: int,
    at: dt.datetime,
) -> None:
    """A team submitted its entry to a round: for the challenge's organizers."""
    await emit(session, organizers_of(challenge.id), "submission.submitted", {
        "challenge": _challenge(challenge),
        "round": {"id": str(round_.id), "name": round_.name},
        "team": {"id": str(team.id), "name": team.name},
        "submission": {"id": str(submission_id), "version": version, "submitted_at": _time(at)},
        "url": f"/teams/{team.id}/rounds/{round_.id}",
    })  # fmt: skip


async def registration_decided(session: AsyncSession, challenge: Any, registration: Any) -> None:
    """A founder approved or rejected a registration: for the challenge's organizers."""
    await emit(session, organizers_of(challenge.id), "registration.decided", {
        "challenge": _challenge(challenge),
        "registration": {"id": str(registration.id), "status": registration.status,
                         "decided_at": _time(registration.decided_at)},
        "url": f"/challenges/{challenge.slug}/registrations",
    })  # fmt: skip


async def access_request_decided(
    session: AsyncSession,
    dataset: Any,
    challenge: Any,
    team: Any,
    request_id: uuid.UUID,
    decision: str,
    at: dt.datetime,
) -> None:
    """A steward approved, rejected or returned an access request: for the dataset's steward organization."""
    await emit(session, [dataset.steward_organization_id], "access_request.decided", {
        "dataset": {"id": str(dataset.id), "slug": dataset.slug, "title": dataset.title},
        "challenge": _challenge(challenge),
        "team": {"id": str(team.id), "name": team.name},
        "access_request": {"id": str(request_id), "decision": decision, "decided_at": _time(at)},
        "url": f"/data-requests/{request_id}",
    })  # fmt: skip


async def grant_ended(
    session: AsyncSession, event: str, grant: Any, dataset: Any, challenge: Any, team: Any
) -> None:
    """A grant was revoked (`grant.revoked`) or expired (`grant.expired`): for the dataset's steward organization."""
    assert event in ("grant.revoked", "grant.expired")
    await emit(session, [dataset.steward_organization_id], event, {
        "dataset": {"id": str(dataset.id), "slug": dataset.slug, "title": dataset.title},
        "challenge": _challenge(challenge),
        "team": {"id": str(team.id), "name": team.name},
        "grant": {"id": str(grant.id), "starts_at": _time(grant.starts_at), "expires_at": _time(grant.expires_at),
                  "revoked_at": _time(grant.revoked_at), "expired_at": _time(grant.expired_at)},
        "url": f"/grants/{grant.id}",
    })  # fmt: skip


async def results_published(session: AsyncSession, challenge: Any) -> None:
    """A challenge's results were published: for its organizers."""
    await emit(session, organizers_of(challenge.id), "results.published", {
        "challenge": _challenge(challenge),
        "published_at": _time(challenge.results_published_at),
        "url": f"/challenges/{challenge.slug}/results",
    })  # fmt: skip
