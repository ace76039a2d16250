"""The transactional outbox: jobs recorded with the action that asks for them, run once by arq.

`enqueue()` adds a row in the caller's transaction; nothing reaches Redis unless that commits.
After the commit, `dispatch_pending()` sends the new rows to arq under the job id `outbox:<id>`,
which arq refuses to queue twice. `run_outbox_job` locks the row, skips it when already done, runs
the registered function in the same transaction that marks the row done, so the effect and the
mark commit together: running twice does the work once. `reconcile_outbox` (cron) sends again
every row still undone after a grace period, and every undone row when a worker starts: Redis
restarted empty or a worker killed mid-job loses nothing. A running job holds its row's lock, so the
reconciler skips it; a job whose worker was killed leaves arq's "in progress" marker behind for the
job's whole timeout, which the reconciler clears, so the job runs again at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from arq import Retry
from arq.constants import in_progress_key_prefix
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.platform.models import OutboxJob

if TYPE_CHECKING:
    from arq.connections import ArqRedis
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("tremplin.outbox")

JobFunction = Callable[..., Awaitable[Any]]
# name -> async def fn(ctx, session, **args); filled by app.worker.
REGISTRY: dict[str, JobFunction] = {}
PENDING_KEY = "outbox_pending"
RESEND_AFTER = dt.timedelta(seconds=30)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_jobs(session: Session) -> None:
    # Rows written by a rolled-back transaction no longer exist: never send their ids.
    session.info.pop(PENDING_KEY, None)


async def enqueue(session: AsyncSession, function: str, **args: Any) -> OutboxJob:
    """Ask for `function(**args)` to run once this transaction commits. Arguments are plain JSON values."""
    job = OutboxJob(function=function, args=args)
    session.add(job)
    await session.flush()
    session.info.setdefault(PENDING_KEY, []).append(job.id)
    return job


async def dispatch_pending(session: AsyncSession) -> None:
    """Send the jobs this (now committed) transaction recorded; a failure is left to the reconciler."""
    ids = session.info.pop(PENDING_KEY, None)
    if not ids:
        return
    redis = session.info.get("arq")
    if redis is None:
        return
    await send(redis, ids)


async def send(redis: ArqRedis, ids: list[int]) -> int:
    sent = 0
    try:
        for job_id in ids:
            if await redis.enqueue_job("run_outbox_job", job_id, _job_id=job_key(redis, job_id)) is not None:
                sent += 1
    except Exception as exc:  # Redis down: the rows stay undone and the reconciler sends them later.
        log.warning("could not send outbox jobs %s: %s", ids, exc)
    return sent


def job_key(redis: ArqRedis, outbox_id: int) -> str:
    # Namespaced by the queue name: several deployments (or test workers) may share one Redis.
    return f"{redis.default_queue_name}:outbox:{outbox_id}"


async def run_outbox_job(ctx: dict[str, Any], outbox_id: int) -> str:
    """arq entry point for every outbox job."""
    session_maker: async_sessionmaker[AsyncSession] = ctx["session_maker"]
    async with session_maker() as session:
        session.info["arq"] = ctx.get("redis")
        row = await session.scalar(
            select(OutboxJob).where(OutboxJob.id == outbox_id).with_for_update(skip_locked=True)
        )
        if row is None:
            if await session.scalar(select(OutboxJob.done_at.is_(None)).where(OutboxJob.id == outbox_id)):
                # Another run of this job holds the row (a duplicate delivery), or the reconciler looks at
                # it for a moment: look again later rather than leave it undone.
                raise Retry(defer=10)
            return "done-or-missing"
        if row.done_at is not None:
            return "already-done"
        function = REGISTRY.get(row.function)
        if function is None:
            row.last_error = f"unknown job function {row.function!r}"
            await session.commit()
            return "unknown"
        try:
            await function(ctx, session, **row.args)
        except Exception as exc:
            await session.rollback()
            await _record_failure(session_maker, outbox_id, exc)
            tries = ctx.get("job_try", 1)
            raise Retry(defer=min(300, 5 * 2**tries)) from exc
        row.done_at = utcnow()
        row.attempts += 1
        await session.commit()
        await dispatch_pending(session)
        return "done"


async def _record_failure(
    session_maker: async_sessionmaker[AsyncSession], outbox_id: int, exc: Exception
) -> None:
    async with session_maker() as session:
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == outbox_id)
            .values(attempts=OutboxJob.attempts + 1, last_error=repr(exc)[:2000])
        )
        await session.commit()


async def reconcile_outbox(ctx: dict[str, Any], grace: dt.timedelta = RESEND_AFTER) -> int:
    """Cron: send again every job left undone for longer than `grace`; returns how many were queued."""
    session_maker: async_sessionmaker[AsyncSession] = ctx["session_maker"]
    redis: ArqRedis = ctx["redis"]
    async with session_maker() as session:
        # A running job holds its row's lock: skipped (never waited for), that job is alive and finishes it.
        ids = list(
            await session.scalars(
                select(OutboxJob.id)
                .where(OutboxJob.done_at.is_(None), OutboxJob.created_at < utcnow() - grace)
                .order_by(OutboxJob.id)
                .limit(1000)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return 0
        await session.execute(update(OutboxJob).where(OutboxJob.id.in_(ids)).values(sent_at=utcnow()))
        await _clear_stale_runs(redis, ids)
        await session.commit()
    return await send(redis, ids)


async def _clear_stale_runs(redis: ArqRedis, ids: list[int]) -> None:
    """arq marks a job in progress until its timeout passes (ten minutes). These rows are locked by us,
    so no job is running them: a marker left on one is a killed worker's. Dropping it lets the job,
    still in arq's queue, be picked up again now. (A job starting meanwhile finds its row locked and
    retries a little later: see run_outbox_job.)"""
    try:
        keys = [in_progress_key_prefix + job_key(redis, job_id) for job_id in ids]
        stale = [key for key, value in zip(keys, await redis.mget(keys), strict=True) if value is not None]
        if stale:
            log.warning("outbox jobs lost their worker and run again: %s", stale)
            await redis.delete(*stale)
    except Exception as exc:  # Redis down: sending fails too, and the next run tries again.
        log.warning("could not look for outbox jobs of a stopped worker: %s", exc)


async def reconcile_at_startup(ctx: dict[str, Any]) -> None:
    """When a worker starts (after a crash, or Redis back empty), send every undone job at once: arq
    refuses a job id it already holds and a job runs its row once, so sending early is harmless."""
    try:
        await reconcile_outbox(ctx, grace=dt.timedelta(0))
    except Exception as exc:  # The database may be down too: the cron catches up.
        log.warning("outbox reconciliation at start-up failed: %s", exc)
