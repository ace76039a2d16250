"""Jobs through the outbox: nothing is lost when Redis forgets, nothing is done twice.

These tests commit for real (the worker reads through its own connections), so they clean up after
themselves instead of relying on the per-test rollback.
"""

from __future__ import annotations

import uuid

import pytest
from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from sqlalchemy import delete, select, text, update

from app.db import make_session_maker
from app.notifications.models import MailMessage
from app.notifications.services import queue_mail
from app.platform import outbox
from app.platform.models import OutboxJob
from app.worker import worker_options


@pytest.fixture
def real_sessions(engine):
    return make_session_maker(engine)


@pytest.fixture
async def cleanup(real_sessions):
    keys: list[str] = []
    yield keys
    async with real_sessions() as session:
        await session.execute(delete(MailMessage).where(MailMessage.idempotency_key.in_(keys)))
        await session.execute(
            text(
                "DELETE FROM outbox WHERE args->>'mail_id' IS NOT NULL AND done_at IS NOT NULL OR function = 'send_mail'"
            )
        )
        await session.commit()


async def run_worker(settings, sessions, redis) -> None:
    options = worker_options(settings, settings.redis_url)
    options.pop("redis_settings")
    # No cron jobs and no reconciliation at start-up: these tests call the reconciler themselves.
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


async def committed_mail(sessions, redis, key: str, to: str) -> None:
    """An action that asks for an e-mail commits, and its job is sent to arq."""
    async with sessions() as session:
        session.info["arq"] = redis
        await queue_mail(session, to=to, subject="Hello", body="Body", key=key)
        await session.commit()
        await outbox.dispatch_pending(session)


async def mail_row(sessions, key):
    async with sessions() as session:
        return await session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))


async def outbox_row(sessions, key) -> OutboxJob:
    message = await mail_row(sessions, key)
    async with sessions() as session:
        return await session.scalar(
            select(OutboxJob).where(OutboxJob.args["mail_id"].astext == str(message.id))
        )


async def test_job_runs_after_commit(settings, real_sessions, redis, cleanup):
    key = f"test-{uuid.uuid4()}"
    cleanup.append(key)
    await committed_mail(real_sessions, redis, key, to="a@example.org")
    await run_worker(settings, real_sessions, redis)
    message = await mail_row(real_sessions, key)
    assert message.sent_at is not None and message.transport == "log" and message.attempts == 1
    assert (await outbox_row(real_sessions, key)).done_at is not None


async def test_rolled_back_action_sends_nothing(settings, real_sessions, redis, cleanup):
    key = f"test-{uuid.uuid4()}"
    cleanup.append(key)
    async with real_sessions() as session:
        session.info["arq"] = redis
        await queue_mail(session, to="a@example.org", subject="Hello", body="Body", key=key)
        await session.rollback()
        await outbox.dispatch_pending(session)
    assert await redis.zrange(redis.default_queue_name, 0, -1) == []
    assert await mail_row(real_sessions, key) is None


async def test_redis_emptied_between_commit_and_execution_still_runs_exactly_once(
    settings, real_sessions, redis, cleanup
):
    key = f"test-{uuid.uuid4()}"
    cleanup.append(key)
    await committed_mail(real_sessions, redis, key, to="b@example.org")
    # Redis restarts empty: the queued job and its key are gone.
    for stored in [k async for k in redis.scan_iter(match=f"*{settings.redis_prefix}*")]:
        await redis.delete(stored)
    await run_worker(settings, real_sessions, redis)
    assert (await mail_row(real_sessions, key)).sent_at is None

    # The reconciler finds the undone row once it is older than the grace period and sends it again.
    job = await outbox_row(real_sessions, key)
    async with real_sessions() as session:
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job.id)
            .values(created_at=text("now() - interval '5 minutes'"))
        )
        await session.commit()
    assert await outbox.reconcile_outbox({"session_maker": real_sessions, "redis": redis}) >= 1
    await run_worker(settings, real_sessions, redis)
    message = await mail_row(real_sessions, key)
    assert message.sent_at is not None and message.attempts == 1

    # Delivered twice more (a duplicate enqueue, a late reconciler): still sent once.
    await redis.enqueue_job("run_outbox_job", job.id, _job_id=f"{settings.redis_prefix}:dup:{job.id}")
    assert await outbox.reconcile_outbox({"session_maker": real_sessions, "redis": redis}) == 0
    await run_worker(settings, real_sessions, redis)
    assert (await mail_row(real_sessions, key)).attempts == 1


async def test_same_mail_key_twice_sends_one_message(settings, real_sessions, redis, cleanup):
    key = f"test-{uuid.uuid4()}"
    cleanup.append(key)
    async with real_sessions() as session:
        session.info["arq"] = redis
        first = await queue_mail(session, to="c@example.org", subject="Hi", body="B", key=key)
        second = await queue_mail(session, to="c@example.org", subject="Hi", body="B", key=key)
        await session.commit()
        await outbox.dispatch_pending(session)
    assert first.id == second.id
    await run_worker(settings, real_sessions, redis)
    async with real_sessions() as session:
        count = await session.scalar(
            select(text("count(*)"))
            .select_from(OutboxJob)
            .where(OutboxJob.args["mail_id"].astext == str(first.id))
        )
    assert count == 1


async def test_a_job_left_in_progress_by_a_killed_worker_runs_again_but_never_beside_a_live_run(
    settings, real_sessions, redis, cleanup
):
    key = f"test-{uuid.uuid4()}"
    cleanup.append(key)
    await committed_mail(real_sessions, redis, key, to="d@example.org")
    job = await outbox_row(real_sessions, key)
    async with real_sessions() as session:
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job.id)
            .values(created_at=text("now() - interval '5 minutes'"))
        )
        await session.commit()
    # A worker took the job and was killed: arq's marker says "in progress" for the next ten minutes.
    marker = in_progress_key_prefix + outbox.job_key(redis, job.id)
    await redis.set(marker, b"1", ex=600)
    ctx = {"session_maker": real_sessions, "redis": redis}

    # While a live run holds the row, the reconciler leaves its marker alone.
    async with real_sessions() as running:
        await running.execute(select(OutboxJob.id).where(OutboxJob.id == job.id).with_for_update())
        await outbox.reconcile_outbox(ctx)
        assert await redis.exists(marker)
        await running.rollback()

    # Nobody holds it: the marker goes and the job, still queued, runs once.
    await outbox.reconcile_outbox(ctx)
    assert not await redis.exists(marker)
    await run_worker(settings, real_sessions, redis)
    message = await mail_row(real_sessions, key)
    assert message.sent_at is not None and message.attempts == 1
    assert (await outbox_row(real_sessions, key)).done_at is not None
