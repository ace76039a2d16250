"""Sending a delivery: signed per Standard Webhooks to a real HTTP server, retried after a failure, given up
after the last attempt, never sent twice, and never sent to the platform's own network."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json

import pytest
from arq import Retry
from sqlalchemy import update

from app.db import utcnow
from app.webhooks import events, jobs, network, services
from app.webhooks.models import PING, Webhook, WebhookDelivery
from tests.webhooks.support import (
    Receiver,
    make_owner,
    make_webhook,
    outbox_of,
    reload,
    run_job,
    verify,
)


async def queued(db, open_settings, url, **organization):
    """An endpoint at `url` and one delivery of `results.published` queued for it."""
    owner = await make_owner(db, **organization)
    webhook, secret = await make_webhook(db, open_settings, owner, url)
    [delivery] = await events.emit(
        db,
        [owner.organization.id],
        "results.published",
        {"challenge": {"slug": "heart"}, "url": "/challenges/heart/results"},
    )
    return webhook, secret, delivery


async def test_delivery_is_signed_so_that_a_receiver_can_verify_it(
    db, session_maker, open_settings, receiver
):
    _webhook, secret, delivery = await queued(db, open_settings, receiver.url("/hook?source=tremplin"))
    assert await run_job(session_maker, open_settings, await outbox_of(db, delivery)) == "done"

    [request] = receiver.received
    assert (request.method, request.path) == ("POST", "/hook?source=tremplin")
    assert request.headers["webhook-id"] == str(delivery.id)
    assert abs(int(request.headers["webhook-timestamp"]) - utcnow().timestamp()) < 30
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["user-agent"] == "Tremplin-Webhooks"
    assert request.headers["content-type"] == "application/json"
    assert verify(secret, request.headers, request.body)
    # One byte changed, or another endpoint's secret: the signature no longer holds.
    assert not verify(secret, request.headers, request.body.replace(b"heart", b"hearT"))
    _other, other_secret = await make_webhook(db, open_settings, await make_owner(db), receiver.url())
    assert not verify(other_secret, request.headers, request.body)

    body = request.json()
    assert body["type"] == "results.published"
    assert body["data"] == {
        "challenge": {"slug": "heart"},
        "url": "http://testserver.local/challenges/heart/results",
    }
    dt.datetime.fromisoformat(body["timestamp"])
    delivered = await reload(db, delivery)
    assert delivered.delivered_at is not None and delivered.failed_at is None
    assert (delivered.attempts, delivered.last_status_code, delivered.last_error) == (1, 200, None)
    assert delivered.sending_until is None
    assert (await outbox_of(db, delivery)).done_at is not None


async def test_a_failed_attempt_is_recorded_and_retried_until_it_succeeds(
    db, session_maker, open_settings, receiver
):
    receiver.statuses = [500, 200]
    _webhook, secret, delivery = await queued(db, open_settings, receiver.url())
    job = await outbox_of(db, delivery)

    with pytest.raises(Retry):
        await run_job(session_maker, open_settings, job, job_try=1)
    failed = await reload(db, delivery)
    assert (failed.attempts, failed.last_status_code, failed.delivered_at, failed.failed_at) == (
        1,
        500,
        None,
        None,
    )
    assert "500" in failed.last_error
    assert (await outbox_of(db, delivery)).done_at is None

    assert await run_job(session_maker, open_settings, job, job_try=2) == "done"
    delivered = await reload(db, delivery)
    assert (delivered.attempts, delivered.last_status_code, delivered.last_error) == (2, 200, None)
    assert delivered.delivered_at is not None
    # The same message both times: same id and body, so the receiver can drop a repeat.
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.id)
    assert first.body == second.body
    assert verify(secret, second.headers, second.body)


async def test_the_job_gives_up_after_the_last_attempt(db, session_maker, open_settings, receiver):
    receiver.statuses = [503]
    _webhook, _secret, delivery = await queued(db, open_settings, receiver.url())
    job = await outbox_of(db, delivery)
    for attempt in range(1, jobs.MAX_ATTEMPTS):
        with pytest.raises(Retry):
            await run_job(session_maker, open_settings, job, job_try=attempt)
    assert await run_job(session_maker, open_settings, job, job_try=jobs.MAX_ATTEMPTS) == "done"
    given_up = await reload(db, delivery)
    assert given_up.attempts == jobs.MAX_ATTEMPTS and given_up.failed_at is not None
    assert given_up.delivered_at is None and given_up.last_status_code == 503
    assert len(receiver.received) == jobs.MAX_ATTEMPTS
    # A late duplicate of the job sends nothing more.
    await jobs.deliver_webhook({"settings": open_settings}, db, str(delivery.id))
    assert len(receiver.received) == jobs.MAX_ATTEMPTS


async def test_a_delivered_delivery_is_not_sent_again_when_the_job_runs_twice(
    db, session_maker, open_settings, receiver
):
    _webhook, _secret, delivery = await queued(db, open_settings, receiver.url())
    job = await outbox_of(db, delivery)
    assert await run_job(session_maker, open_settings, job) == "done"
    assert await run_job(session_maker, open_settings, job) == "already-done"
    # Even past the outbox's own check (its row reset, as after a lost mark), the delivery is not sent again.
    await db.execute(update(type(job)).where(type(job).id == job.id).values(done_at=None))
    assert await run_job(session_maker, open_settings, job) == "done"
    assert len(receiver.received) == 1
    assert (await reload(db, delivery)).attempts == 1


async def test_a_delivery_being_sent_by_another_run_is_left_to_it(db, session_maker, open_settings, receiver):
    _webhook, _secret, delivery = await queued(db, open_settings, receiver.url())
    await db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(attempts=1, sending_until=utcnow() + dt.timedelta(seconds=30))
    )
    with pytest.raises(Retry):
        await run_job(session_maker, open_settings, await outbox_of(db, delivery))
    assert receiver.received == []
    assert (await reload(db, delivery)).attempts == 1


async def test_a_switched_off_endpoint_gets_nothing_even_already_queued(
    db, session_maker, open_settings, receiver
):
    webhook, _secret, delivery = await queued(db, open_settings, receiver.url())
    await db.execute(update(Webhook).where(Webhook.id == webhook.id).values(active=False))
    assert await run_job(session_maker, open_settings, await outbox_of(db, delivery)) == "done"
    assert receiver.received == []
    skipped = await reload(db, delivery)
    assert skipped.failed_at is not None and skipped.attempts == 0 and "deactivated" in skipped.last_error


async def test_the_connection_goes_to_the_checked_address_with_the_original_host_name(
    db, session_maker, open_settings
):
    """The host is resolved once, checked, and connected to by address; the receiver still sees its name."""
    address = await network.resolve("localhost", 80, allow_private=True)
    receiver = Receiver(host=str(address))
    await receiver.start()
    port = receiver.port
    try:
        _webhook, _secret, delivery = await queued(db, open_settings, receiver.url(host="localhost"))
        assert await run_job(session_maker, open_settings, await outbox_of(db, delivery)) == "done"
    finally:
        await receiver.stop()
    [request] = receiver.received
    assert request.headers["host"] == f"localhost:{port}"


async def test_a_ping_is_signed_like_any_event(db, session_maker, open_settings, receiver):
    owner = await make_owner(db)
    webhook, secret = await make_webhook(db, open_settings, owner, receiver.url())
    delivery = await services.send_ping(db, owner.actor, owner.organization.slug, webhook.id)
    assert await run_job(session_maker, open_settings, await outbox_of(db, delivery)) == "done"
    [request] = receiver.received
    assert verify(secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["type"] == PING and body["data"]["webhook"] == {"id": str(webhook.id)}
    assert body["data"]["organization"] == {"name": owner.organization.name}


# --- the platform's own network ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://10.20.30.40/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/hook",
    ],
)
async def test_private_addresses_are_refused_at_delivery_time(
    db, session_maker, settings, open_settings, receiver, url
):
    """An endpoint saved while allowed (or whose name now resolves elsewhere) is refused when it is sent to, unless
    WEBHOOK_ALLOW_PRIVATE_NETWORKS; the refusal is the delivery's error, and no second attempt follows."""
    _webhook, _secret, delivery = await queued(db, open_settings, url.format(port=receiver.port))
    strict = settings.replace(webhook_allow_http=True)
    assert await run_job(session_maker, strict, await outbox_of(db, delivery)) == "done"
    assert receiver.received == []
    refused = await reload(db, delivery)
    assert refused.failed_at is not None and refused.delivered_at is None
    assert refused.attempts == 1 and refused.last_status_code is None
    assert "private or reserved" in refused.last_error


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
     "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1"],
)  # fmt: skip
def test_refused_addresses(address):
    assert network.refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert not network.refused_address(ipaddress.ip_address(address))


async def test_a_name_resolving_to_loopback_is_refused():
    with pytest.raises(network.Refused, match="private or reserved"):
        await network.resolve("localhost", 80, allow_private=False)
    assert (await network.resolve("localhost", 80, allow_private=True)).is_loopback


async def test_a_name_that_does_not_resolve_is_tried_again(db, session_maker, settings, open_settings):
    """Unlike a refused address, a failed look-up may be passing: the attempt fails and another follows."""
    _webhook, _secret, delivery = await queued(db, open_settings, "https://no-such-host.invalid/hook")
    with pytest.raises(Retry):
        await run_job(session_maker, settings, await outbox_of(db, delivery))
    failed = await reload(db, delivery)
    assert failed.attempts == 1 and failed.failed_at is None and failed.delivered_at is None
    assert "could not resolve no-such-host.invalid" in failed.last_error
