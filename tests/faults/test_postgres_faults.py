"""PostgreSQL failing under the running app: restarts under load, a killed backend, a held lock, a hung
query. Each time the app answers 503 quickly, then serves again without being restarted."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.faults.support import Outcome, RowLock, app_backends

pytestmark = [pytest.mark.xdist_group("faults"), pytest.mark.timeout(120)]

# Longer than the timeouts set here (connect 5 s, pool 5 s, statement 2.5 s): beyond it, a request hung.
PATIENCE = 5.0


def summary(outcomes: list[Outcome]) -> str:
    counts: dict[tuple[str, int], int] = {}
    for outcome in outcomes:
        counts[(outcome.kind, outcome.status)] = counts.get((outcome.kind, outcome.status), 0) + 1
    slowest = max((o.seconds for o in outcomes), default=0)
    return f"{sorted(counts.items())}, slowest {slowest:.2f}s"


async def test_the_cluster_serves_pages_and_writes(traffic):
    outcomes = [await traffic.mixed(i) for i in range(8)]
    assert {o.status for o in outcomes} <= {200, 201}, summary(outcomes)
    assert {o.web for o in outcomes} == {0, 1}


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_restart_under_load_answers_503_fast_then_serves_again(cluster, traffic, mode):
    stop = asyncio.Event()
    load = asyncio.create_task(traffic.load(stop))
    await asyncio.sleep(1.0)
    restart_began = time.monotonic()
    await asyncio.to_thread(cluster.postgres.restart, mode)
    back = time.monotonic()
    await asyncio.sleep(3.0)
    stop.set()
    outcomes = await load

    report = f"{mode}: outage {back - restart_began:.1f}s; {summary(outcomes)}\n{cluster.logs()}"
    assert {o.status for o in outcomes} <= {200, 201, 503}, report
    assert max(o.seconds for o in outcomes) < PATIENCE, report
    # The outage was felt, and answered 503.
    assert any(o.status == 503 for o in outcomes if restart_began <= o.started <= back), report
    # Right after the server is back (one second to notice), every request succeeds without an app restart.
    after = [o for o in outcomes if o.started > back + 1.0]
    assert len(after) >= 10 and all(o.status in (200, 201) for o in after), report
    followers = [await traffic.mixed(i) for i in range(20)]
    assert all(o.status in (200, 201) for o in followers), summary(followers)
    # A job asked for now still runs (the final test finds its e-mail sent once): the worker lived through it.
    assert (await traffic.invite()).status == 303
    assert cluster.worker.alive(), cluster.worker.tail()


async def test_a_held_row_lock_answers_503_after_the_lock_timeout(cluster, traffic, cast):
    writer = cast.writers[0]
    async with RowLock(cluster, writer.user_id):
        outcome = await traffic.create_organization(writer)
    assert outcome.status == 503, cluster.logs()
    assert outcome.seconds < 3.5  # lock_timeout is 1.5 s here
    assert (await traffic.create_organization(writer)).status == 201


async def test_a_backend_killed_mid_transaction_answers_503(cluster, traffic, cast):
    writer = cast.writers[1]
    async with RowLock(cluster, writer.user_id) as lock:
        request = asyncio.create_task(traffic.create_organization(writer))
        deadline = time.monotonic() + 5
        while not (waiting := await app_backends(cluster, waiting_on_lock=True)):
            assert time.monotonic() < deadline, "the request never waited on the lock"
            await asyncio.sleep(0.02)
        assert await lock.conn.fetchval("SELECT pg_terminate_backend($1)", waiting[0]["pid"])
        outcome = await request
    assert outcome.status == 503, cluster.logs()
    assert outcome.seconds < 3.5
    assert (await traffic.create_organization(writer)).status == 201


async def test_a_hung_query_is_cut_by_the_statement_timeout_with_503(cluster, traffic, cast):
    conn = await asyncpg.connect(cluster.postgres.url)
    try:
        # A query that hangs inside PostgreSQL: inserting an organization named "Hang …" sleeps.
        await conn.execute(
            """
            CREATE FUNCTION faults_hang() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.name LIKE 'Hang %' THEN PERFORM pg_sleep(30); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER faults_hang BEFORE INSERT ON organizations
                FOR EACH ROW EXECUTE FUNCTION faults_hang();
            """
        )
        writer = cast.writers[2]
        outcomes = await asyncio.gather(
            *(traffic.create_organization(writer, name=f"Hang {i}") for i in range(4))
        )
        assert [o.status for o in outcomes] == [503] * 4, cluster.logs()
        assert max(o.seconds for o in outcomes) < 4.5  # statement_timeout is 2.5 s here
        assert not await conn.fetchval("SELECT count(*) FROM organizations WHERE name LIKE 'Hang %'")
    finally:
        await conn.execute(
            "DROP TRIGGER IF EXISTS faults_hang ON organizations; DROP FUNCTION IF EXISTS faults_hang()"
        )
        await conn.close()


async def test_the_pool_is_not_poisoned_hundreds_of_requests_succeed_after_the_faults(cluster, traffic):
    outcomes = await traffic.burst(300)
    failed = [o for o in outcomes if o.status not in (200, 201)]
    assert not failed, f"{failed[:5]}; {summary(outcomes)}\n{cluster.logs()}"
    assert {o.web for o in outcomes} == {0, 1}
    # Nothing left half-way: no connection of the app sits in an open transaction.
    await asyncio.sleep(0.5)
    assert not await app_backends(cluster, state="idle in transaction")
