"""The whole way, in a real arq worker: an event committed with its action reaches the receiver once, signed,
even when the job is sent to arq twice. These tests commit for real (the worker reads through its own
connections), so they clean up after themselves instead of relying on the per-test rollback."""

from __future__ import annotations

import time
import uuid

import pytest
from arq import Retry
from sqlalchemy import String, cast, delete, select

from app.db import make_session_maker
from app.organizations.models import Organization
from app.platform import outbox
from app.platform.models import OutboxJob
from app.webhooks import events, signing
from app.webhooks.models import Webhook, WebhookDelivery
from app.worker import register_jobs
from tests.platform.test_outbox import run_worker
from tests.webhooks.support import verify


@pytest.fixture
def real_sessions(engine):
    return make_session_maker(engine)


@pytest.fixture
async def organization(real_sessions):
    """An organization committed for real (no user, so no audit row that could not be deleted afterwards)."""
    suffix = uuid.uuid4().hex[:8]
    async with real_sessions() as session:
        row = Organization(name=f"Hooks {suffix}", slug=f"hooks-{suffix}", kind="hospital", country="FR")
        session.add(row)
        await session.commit()
    yield row
    async with real_sessions() as session:
        ids = select(cast(WebhookDelivery.id, String)).join(Webhook).where(Webhook.organization_id == row.id)
        await session.execute(
            delete(OutboxJob).where(
                OutboxJob.function == "deliver_webhook", OutboxJob.args["delivery_id"].astext.in_(ids)
            )
        )
        await session.execute(delete(Organization).where(Organization.id == row.id))
        await session.commit()


async def test_an_event_reaches_the_receiver_once_through_a_real_worker(
    settings, real_sessions, redis, organization, receiver
):
    open_settings = settings.replace(webhook_allow_http=True, webhook_allow_private_networks=True)
    seed = signing.new_seed()
    async with real_sessions() as session:
        session.info["arq"] = redis
        webhook = Webhook(
            organization_id=organization.id,
            url=receiver.url(),
            events=["results.published"],
            secret_seed=seed,
        )
        session.add(webhook)
        await session.flush()
        [delivery] = await events.emit(
            session, [organization.id], "results.published", {"url": "/challenges/x/results"}
        )
        await session.commit()
        await outbox.dispatch_pending(session)
    # The same job sent again (a duplicate enqueue under another arq id, as a late reconciler could).
    async with real_sessions() as session:
        job_id = await session.scalar(
            select(OutboxJob.id).where(OutboxJob.args["delivery_id"].astext == str(delivery.id))
        )
    await redis.enqueue_job("run_outbox_job", job_id, _job_id=f"{settings.redis_prefix}:dup:{job_id}")

    await run_worker(open_settings, real_sessions, redis)

    [request] = receiver.received
    secret = signing.secret_text(signing.signing_key(settings.secret_key, seed))
    assert verify(secret, request.headers, request.body)
    assert request.json()["data"]["url"] == "http://testserver.local/challenges/x/results"
    async with real_sessions() as session:
        sent = await session.get(WebhookDelivery, delivery.id)
        assert sent is not None and sent.delivered_at is not None and sent.attempts == 1
        assert (await session.get(OutboxJob, job_id)).done_at is not None


async def test_a_run_never_waits_for_a_delivery_another_run_is_recording(
    settings, real_sessions, organization, receiver
):
    """While one run records its outcome (the delivery's row locked) it next waits for the outbox row, to mark it
    done. A second run holding that outbox row must not wait for the delivery in turn (a deadlock, which cost a
    run its record and made it send twice): it gives way at once and is retried later."""
    open_settings = settings.replace(webhook_allow_http=True, webhook_allow_private_networks=True)
    async with real_sessions() as session:
        webhook = Webhook(
            organization_id=organization.id,
            url=receiver.url(),
            events=["results.published"],
            secret_seed=signing.new_seed(),
        )
        session.add(webhook)
        await session.flush()
        [delivery] = await events.emit(session, [organization.id], "results.published", {"url": None})
        await session.commit()
        job_id = await session.scalar(
            select(OutboxJob.id).where(OutboxJob.args["delivery_id"].astext == str(delivery.id))
        )
    register_jobs()
    ctx = {"session_maker": real_sessions, "settings": open_settings, "job_try": 1, "redis": None}
    async with real_sessions() as recording:
        await recording.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.id == delivery.id).with_for_update()
        )
        started = time.monotonic()
        with pytest.raises(Retry):
            await outbox.run_outbox_job(ctx, job_id)
        # Waiting would have taken the whole lock timeout (DB_LOCK_TIMEOUT_MS, 5 s).
        assert time.monotonic() - started < 2
        await recording.rollback()
    assert receiver.received == []
    assert await outbox.run_outbox_job(ctx, job_id) == "done"
    assert len(receiver.received) == 1
