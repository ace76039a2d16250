"""Assignment against committed data: a large round assigned by a real arq worker (burst mode) through the
outbox, its progress in a JudgingJob row shown by the polled block; and two founders running the assignment
at the same moment ending with one consistent assignment.

These run on a scratch database of their own, where each session is its own connection and commits for
real, as the web processes and the worker would.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from arq.worker import Worker
from sqlalchemy import select

from app.judging import assignment_jobs, assignment_service
from app.judging.assignment import assign
from app.judging.models import Assignment, JudgingJob
from app.platform.models import AuditEntry, OutboxJob
from app.worker import worker_options
from tests import scratch
from tests.conftest import make_client, text_of
from tests.factories import sign_in
from tests.judging.panel_support import make_panel_cast


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "assign_job") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database, pool_size=8, max_overflow=0) as sessions:
        yield sessions


async def run_worker(settings, sessions, redis) -> None:
    options = worker_options(settings, settings.redis_url)
    options.pop("redis_settings")
    options["cron_jobs"] = []
    options["on_startup"] = None
    worker = Worker(
        **options,
        redis_pool=redis,
        burst=True,
        poll_delay=0.05,
        ctx={"session_maker": sessions, "settings": settings},
    )
    await worker.main()
    await worker.close()


@contextlib.asynccontextmanager
async def browser(app, sessions, person):
    async with make_client(app) as client:
        async with sessions() as session:
            await sign_in(client, session, person)
            await session.commit()
        await client.csrf()
        yield client


async def committed_cast(sessions, **options):
    async with sessions() as session:
        cast = await make_panel_cast(session, **options)
        await session.commit()
    return cast


async def pairs_of(sessions, round_id):
    async with sessions() as session:
        rows = await session.execute(
            select(Assignment.user_id, Assignment.submission_id).where(Assignment.round_id == round_id)
        )
        return set(rows.all())


async def test_a_large_round_is_assigned_by_the_worker_with_progress(
    app, sessions, settings, redis, monkeypatch
):
    # A "large" round for the test: 12 entries x 4 judges above a threshold lowered to 20, written 5 at a time.
    monkeypatch.setattr(assignment_service, "ASYNC_THRESHOLD", 20)
    monkeypatch.setattr(assignment_service, "BATCH", 5)
    reported: list[dict] = []
    original = assignment_jobs.report_progress

    async def recording(ctx, job_id, **values):
        reported.append(values)
        await original(ctx, job_id, **values)

    monkeypatch.setattr(assignment_jobs, "report_progress", recording)
    cast = await committed_cast(sessions, teams=12, judges=4)
    async with scratch.app_on(app, sessions), browser(app, sessions, cast.founder) as client:
        response = await client.submit(
            f"{cast.base}/assign", {"policy": "k_per_entry", "judges_per_entry": "2", "seed": "9"}
        )
        assert response.status_code == 303
        async with sessions() as session:
            job = await session.scalar(select(JudgingJob).where(JudgingJob.round_id == cast.round.id))
            outbox = await session.scalar(
                select(OutboxJob).where(
                    OutboxJob.function == "assign_round", OutboxJob.args["job_id"].astext == str(job.id)
                )
            )
        assert (job.status, job.kind, job.total, job.requested_by_id) == (
            "queued",
            "assign",
            12,
            cast.founder.id,
        )
        assert outbox is not None and outbox.done_at is None
        assert await pairs_of(sessions, cast.round.id) == set()
        # The page polls the job's block every second while it waits or runs.
        page = await client.get(cast.base)
        assert "The assignment is waiting for the worker" in text_of(page.text)
        assert f'hx-get="{cast.base}/jobs/{job.id}"' in page.text and 'hx-trigger="every 1s"' in page.text
        # A second run, or a change by hand, waits for this one.
        again = await client.submit(f"{cast.base}/assign", {"policy": "all"})
        assert again.status_code == 409 and "An assignment is being computed" in text_of(again.text)

        await run_worker(settings, sessions, redis)

        async with sessions() as session:
            job = await session.scalar(select(JudgingJob).where(JudgingJob.id == job.id))
            outbox = await session.get(OutboxJob, outbox.id)
        assert (job.status, job.done, job.total, job.error) == ("done", 12, 12, None)
        assert job.finished_at is not None and outbox.done_at is not None
        assert job.params["result"]["assignments"] == 24 and job.params["result"]["short"] == []
        # Progress went out as the work went: running, then after every five entries.
        assert reported[0] == {"status": "running", "done": 0, "total": 12, "error": None}
        assert [r["done"] for r in reported[1:]] == [5, 10, 12]
        expected = assign([e.id for e in cast.entries], [j.id for j in cast.judges], 2, set(), seed=9).pairs
        assert await pairs_of(sessions, cast.round.id) == expected
        # The polled block now shows the result and no longer asks again.
        block = await client.htmx("GET", f"{cast.base}/jobs/{job.id}")
        assert block.status_code == 200 and "hx-trigger" not in block.text
        assert "24 assignments for 12 entries and 4 judges" in text_of(block.text)
        status = await client.get(f"/api/v1/rounds/{cast.round.id}/assignments/jobs/{job.id}")
        assert status.json()["status"] == "done" and status.json()["result"]["assignments"] == 24

    # Delivered again (a duplicate enqueue): nothing changes, the job stays done once.
    await redis.enqueue_job("run_outbox_job", outbox.id, _job_id=f"{settings.redis_prefix}:dup:{outbox.id}")
    reported.clear()
    await run_worker(settings, sessions, redis)
    assert reported == []
    assert await pairs_of(sessions, cast.round.id) == expected


async def test_the_job_itself_is_safe_to_run_twice(app, sessions, settings, redis):
    """Called directly twice (as a retry would after a crash between work and mark): the second run sees
    the job done and leaves the assignment alone."""
    cast = await committed_cast(sessions, teams=3, judges=2)
    async with sessions() as session:
        job = JudgingJob(
            round_id=cast.round.id, kind="assign", params={"policy": "all", "k": 1, "seed": 1}, total=3
        )
        session.add(job)
        await session.commit()
    ctx = {"session_maker": sessions}
    for _ in range(2):
        async with sessions() as session:
            await assignment_jobs.assign_round(ctx, session, str(job.id))
            await session.commit()
    assert len(await pairs_of(sessions, cast.round.id)) == 6
    async with sessions() as session:
        assert (await session.get(JudgingJob, job.id)).status == "done"


async def test_two_founders_running_the_assignment_at_once_end_with_one_consistent_assignment(
    app, sessions, redis
):
    cast = await committed_cast(sessions, teams=10, judges=6)
    async with sessions() as session:
        second_founder = await _second_founder(session, cast)
        await session.commit()
    entries, judges = [e.id for e in cast.entries], [j.id for j in cast.judges]
    results = {seed: assign(entries, judges, 3, set(), seed=seed).pairs for seed in (1, 2)}
    async with (
        scratch.app_on(app, sessions),
        browser(app, sessions, cast.founder) as first,
        browser(app, sessions, second_founder) as second,
    ):
        for _attempt in range(3):
            answers = await asyncio.gather(
                first.submit(
                    f"{cast.base}/assign", {"policy": "k_per_entry", "judges_per_entry": "3", "seed": "1"}
                ),
                second.submit(
                    f"{cast.base}/assign", {"policy": "k_per_entry", "judges_per_entry": "3", "seed": "2"}
                ),
            )
            assert [a.status_code for a in answers] == [303, 303]
            pairs = await pairs_of(sessions, cast.round.id)
            # One run after the other, never a mix of the two.
            assert pairs in (results[1], results[2])
            assert all(len([p for p in pairs if p[1] == entry]) == 3 for entry in entries)
    async with sessions() as session:
        runs = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "judging:assign", AuditEntry.object_id == str(cast.round.id)
                )
            )
        )
    assert len(runs) == 6


async def _second_founder(session, cast):
    from app.organizations.models import OrganizationMember
    from tests.factories import make_user

    founder = await make_user(session, name="Second Founder")
    organization_id = await session.scalar(
        select(OrganizationMember.organization_id).where(OrganizationMember.user_id == cast.founder.id)
    )
    session.add(OrganizationMember(organization_id=organization_id, user_id=founder.id, role="member"))
    await session.flush()
    return founder
