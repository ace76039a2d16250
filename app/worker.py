"""The arq worker: every job function and cron job listed explicitly, and the processes that run it.

With the embedded default the worker runs inside the web process (WORKER_IN_PROCESS, see
app.main.Services, and `run_in_process`); in production it runs as its own processes with
`tremplin worker` (`run_worker`). Both take their options from `worker_options()`, and both outlive
Redis outages through `supervise`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from arq import cron
from arq.connections import RedisSettings
from redis.exceptions import RedisError

from app.platform import outbox
from app.settings import Settings

if TYPE_CHECKING:
    from arq.worker import Worker

log = logging.getLogger("tremplin.worker")
# Seconds a stopping worker gives its running jobs before cancelling them.
SHUTDOWN_WAIT = 20
# Seconds between attempts to reach Redis again after losing it: doubling from the first to the last.
RECONNECT_DELAYS = (1.0, 10.0)
# Seconds after which a worker that then failed counts as having run well: the waits start again from the first.
HEALTHY_RUN = 60.0


def register_jobs() -> None:
    """Fill the outbox registry: job name -> async def fn(ctx, session, **args)."""
    from app.data_sharing import jobs as data_jobs
    from app.judging import jobs as judging_jobs
    from app.notifications import jobs as notification_jobs
    from app.webhooks import jobs as webhook_jobs

    outbox.REGISTRY.update(notification_jobs.JOBS)
    outbox.REGISTRY.update(judging_jobs.JOBS)
    outbox.REGISTRY.update(data_jobs.JOBS)
    outbox.REGISTRY.update(webhook_jobs.JOBS)


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # Fail fast when Redis is down: pages keep serving, the outbox keeps the work.
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


def cron_jobs() -> list[Any]:
    from app.challenges import jobs as challenge_jobs
    from app.data_sharing import jobs as data_jobs
    from app.notifications import jobs as notification_jobs

    return [
        *data_jobs.cron_jobs(),
        # At start-up too, through `on_startup` (outbox.reconcile_at_startup).
        cron(outbox.reconcile_outbox, second={0}, unique=True, timeout=60),
        cron(
            notification_jobs.send_daily_digests, hour={6}, minute={0}, second={0}, unique=True, timeout=600
        ),
        # Every quarter of an hour: a 24 h reminder arrives between 24 h and 23 h 45 before its deadline.
        cron(
            challenge_jobs.send_deadline_reminders,
            minute={0, 15, 30, 45},
            second={30},
            unique=True,
            timeout=600,
        ),
    ]


def worker_options(settings: Settings, redis_url: str) -> dict[str, Any]:
    register_jobs()
    return {
        "functions": [outbox.run_outbox_job],
        "cron_jobs": cron_jobs(),
        "on_startup": outbox.reconcile_at_startup,
        "redis_settings": redis_settings(redis_url),
        "queue_name": f"{settings.redis_prefix}:queue",
        "max_tries": 8,
        "keep_result": 3600,
        "job_timeout": 600,
        "handle_signals": False,
    }


async def run_worker(settings: Settings) -> None:
    """The separate worker process (`tremplin worker`): jobs and cron jobs until SIGTERM or SIGINT.

    On a signal it stops taking jobs and gives the running ones SHUTDOWN_WAIT seconds to finish;
    a job cut short is run again later (arq's retry or the outbox reconciler), and jobs are safe to rerun.
    When Redis goes away the worker waits for it and starts again (see `supervise`) instead of exiting.
    """
    from arq.worker import Worker

    from app.db import make_engine, make_session_maker

    assert settings.database_url and settings.redis_url, "a separate worker needs DATABASE_URL and REDIS_URL"
    redis_url = settings.redis_url
    engine = make_engine(settings, settings.database_url)
    session_maker = make_session_maker(engine)

    def new_worker() -> Worker:
        options = worker_options(settings, redis_url) | {
            "handle_signals": True,
            "job_completion_wait": SHUTDOWN_WAIT,
        }
        return Worker(**options, ctx={"session_maker": session_maker, "settings": settings})

    try:
        await supervise(new_worker, _stopped_within)
    finally:
        await engine.dispose()


async def run_in_process(settings: Settings, session_maker: Any, redis_url: str) -> None:
    """The worker inside the web process (WORKER_IN_PROCESS): jobs and cron jobs until its task is
    cancelled (the app stopping), outliving Redis outages like the separate worker.

    Each arq worker opens its own Redis connections rather than using the app's: arq's `Worker.close()`
    closes its pool's connections, which would cut the pages' own commands short."""
    from arq.worker import Worker

    def new_worker() -> Worker:
        return Worker(
            **worker_options(settings, redis_url),
            ctx={"session_maker": session_maker, "settings": settings},
            poll_delay=0.5,
        )

    await supervise(new_worker)


async def supervise(
    new_worker: Callable[[], Worker], stopped_within: Callable[[float], Awaitable[bool]] | None = None
) -> None:
    """Run one arq worker after another until one stops: a fresh worker after each failure.

    A worker that loses Redis raises; it is closed and, after a wait (RECONNECT_DELAYS, doubling, from
    the first again after a run of HEALTHY_RUN seconds), a new one starts, whose start-up reconciles the
    outbox since Redis may have come back empty. Any other error is logged with its traceback and
    handled the same way: a worker that died silently would run no job again. Between attempts
    `stopped_within(seconds)` waits and says whether to stop instead (by default it only waits:
    cancelling the task stops everything, at any point, closing the running worker).
    """
    delay = RECONNECT_DELAYS[0]
    while True:
        started = time.monotonic()
        try:
            await _run_once(new_worker())
            return
        except Exception as exc:
            if time.monotonic() - started > HEALTHY_RUN:
                delay = RECONNECT_DELAYS[0]
            if isinstance(exc, RedisError | OSError):
                log.warning("Redis is unavailable (%s); the worker tries again in %g s", exc, delay)
            else:
                log.exception("The worker failed; it starts again in %g s", delay)
        if stopped_within is None:
            await asyncio.sleep(delay)
        elif await stopped_within(delay):
            return
        delay = min(delay * 2, RECONNECT_DELAYS[1])


async def _run_once(worker: Worker) -> None:
    """One arq worker until it stops (returns) or fails (raises); closed either way."""
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        # arq cancels its own main task when a signal stops it: the worker's normal end. It is something
        # else when this task is the one being cancelled.
        if _being_cancelled():
            raise
    finally:
        await _close(worker)


async def _close(worker: Worker) -> None:
    """Cancel or finish its jobs and close its Redis connections. Closing talks to Redis too, which may
    be the thing that failed: then its connections are dropped without a word to Redis."""
    try:
        await worker.close()
    except asyncio.CancelledError:
        if _being_cancelled():
            raise
    except Exception as exc:
        log.debug("closing the worker failed: %r", exc)
    finally:
        if worker._pool is not None:  # close() gave up before closing it
            await worker._pool.aclose(close_connection_pool=True)


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _stopped_within(seconds: float) -> bool:
    """Wait, unless SIGTERM or SIGINT arrives first (arq's own handlers died with its worker)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
