"""Redis lost and the worker killed: pages keep serving, people stay signed in, and every job asked for
meanwhile runs once things are back (the outbox), its effect happening exactly once."""

from __future__ import annotations

import asyncio
import signal
import time

import asyncpg
import pytest

from tests.faults.support import query

pytestmark = [pytest.mark.xdist_group("faults"), pytest.mark.timeout(120)]


async def mail_of(cluster, address: str) -> asyncpg.Record | None:
    """The invitation's e-mail with its outbox row."""
    rows = await query(
        cluster,
        "SELECT m.id, m.sent_at, m.attempts, o.id AS outbox_id, o.done_at, o.attempts AS runs "
        "FROM mail_messages m JOIN outbox o ON o.args->>'mail_id' = m.id::text WHERE m.to_address = $1",
        address,
    )
    return rows[0] if rows else None


def message_id(mail: asyncpg.Record) -> str:
    return f"<{mail['id']}@tremplin>"


async def delivered_once(cluster, address: str, timeout: float) -> asyncpg.Record:  # noqa: ASYNC109 (a polling deadline)
    """Wait until the invitation's e-mail reached the SMTP server and its job is marked done."""
    deadline = time.monotonic() + timeout
    while True:
        mail = await mail_of(cluster, address)
        if mail is not None and mail["done_at"] is not None and cluster.smtp.count(message_id(mail)):
            return mail
        assert time.monotonic() < deadline, (
            f"{address}: not delivered in {timeout}s ({mail})\n{cluster.logs()}"
        )
        await asyncio.sleep(0.2)


async def test_redis_stopped_then_started_empty_pages_serve_and_jobs_run_once_it_is_back(
    cluster, traffic, cast
):
    writer = cast.writers[3]
    assert (await traffic.invite()).status == 303
    cluster.redis.stop()
    try:
        outcomes = []
        for web in (0, 1):
            outcomes.append(await traffic.page(writer, web=web))
            outcomes.append(await traffic.page(writer, "/me/challenges", web=web))
            outcomes.append(await traffic.create_organization(writer, web=web))
        assert [o.status for o in outcomes] == [200, 200, 201] * 2, cluster.logs()
        # Signing in works too: the attempt counters, kept in Redis, fail open.
        signed_in, again = await traffic.sign_in(writer)
        assert signed_in.status == 303 and again.session_token.startswith("s_"), cluster.logs()
        outcomes += [signed_in, await traffic.page(again)]
        assert outcomes[-1].status == 200
        addresses = [f"during-outage-{i}-{time.monotonic_ns()}@example.org" for i in range(3)]
        invited = [await traffic.invite(address) for address in addresses]
        assert [o.status for o in invited] == [303] * 3, cluster.logs()
        assert max(o.seconds for o in [*outcomes, *invited]) < 3.0
        # The jobs wait in the outbox; the worker waits for Redis instead of dying.
        for address in addresses:
            mail = await mail_of(cluster, address)
            assert mail is not None and mail["done_at"] is None and mail["sent_at"] is None
        await asyncio.sleep(1.5)
        assert cluster.worker.alive(), cluster.worker.tail()
    finally:
        cluster.redis.start()  # empty: nothing of the queue survived

    for address in addresses:
        mail = await delivered_once(cluster, address, timeout=30)
        assert cluster.smtp.count(message_id(mail)) == 1
        assert mail["attempts"] == 1 and mail["runs"] == 1
    # The web processes reach the new Redis by themselves: a job asked for now runs at once.
    later = f"after-outage-{time.monotonic_ns()}@example.org"
    assert (await traffic.invite(later)).status == 303
    await delivered_once(cluster, later, timeout=15)


async def test_worker_killed_mid_job_the_job_runs_again_and_its_effect_happens_once(cluster, traffic):
    smtp = cluster.smtp
    address = f"killed-worker-{time.monotonic_ns()}@example.org"
    connections = smtp.connections
    smtp.stall.set()
    try:
        assert (await traffic.invite(address)).status == 303
        # The job is mid-way: it holds its rows' locks and waits for the SMTP server's greeting.
        deadline = time.monotonic() + 15
        while smtp.connections == connections:
            assert time.monotonic() < deadline, "the worker never started the job\n" + cluster.logs()
            await asyncio.sleep(0.05)
        cluster.worker.kill(signal.SIGKILL)
    finally:
        smtp.stall.clear()
    mail = await mail_of(cluster, address)
    assert mail is not None and mail["done_at"] is None and smtp.count(message_id(mail)) == 0

    # Another worker starts (as a supervisor would restart it): the job runs again, long before
    # arq's ten-minute "in progress" marker of the dead worker would have expired.
    await asyncio.to_thread(cluster.new_worker)
    mail = await delivered_once(cluster, address, timeout=30)
    await asyncio.sleep(1.0)
    assert smtp.count(message_id(mail)) == 1
    mail = await mail_of(cluster, address)
    assert mail["attempts"] == 1 and mail["runs"] == 1


async def test_worker_waiting_for_redis_still_stops_on_sigterm(cluster):
    cluster.redis.stop()
    try:
        await asyncio.sleep(1.5)
        assert cluster.worker.alive()
        cluster.worker.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(cluster.worker.process.wait, 10) == 0, cluster.worker.tail()
    finally:
        cluster.redis.start()
    await asyncio.to_thread(cluster.new_worker)
