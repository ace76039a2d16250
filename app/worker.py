"""The arq worker: every job function and cron job listed explicitly, and the separate worker process.

With the embedded default the worker runs inside the web process (WORKER_IN_PROCESS, see
app.main.Services); in production it runs as its own processes with `tremplin worker`. Both take
their options from `worker_options()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from redis.exceptions import RedisError

from app.platform import outbox
from app.settings import Settings

log = logging.getLogger("tremplin.worker")
# Seconds a stopping worker gives its running jobs before cancelling them.
SHUTDOWN_WAIT = 20
# Seconds between attempts to reach Redis again after losing it: doubling from the first to the last.
RECONNECT_DELAYS = (1.0, 10.0)


def register_jobs() -> None:
    """Fill the outbox registry: job name -> async def fn(ctx, session, **args)."""
    from app.data_sharing import jobs as data_jobs
    from app.judging import jobs as judging_jobs
    from app.notifications import jobs as notification_jobs

    outbox.REGISTRY.update(notification_jobs.JOBS)
    outbox.REGISTRY.update(judging_jobs.JOBS)
    outbox.REGISTRY.update(data_jobs.JOBS)


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
    When Redis goes away the worker waits for it and starts again (reconciling the outbox, since Redis
    may come back empty) instead of exiting.
    """
    from app.db import make_engine, make_session_maker

    assert settings.database_url and settings.redis_url, "a separate worker needs DATABASE_URL and REDIS_URL"
    engine = make_engine(settings, settings.database_url)
    session_maker = make_session_maker(engine)
    delay = RECONNECT_DELAYS[0]
    try:
        while True:
            started = time.monotonic()
            try:
                await _run_once(settings, session_maker)
                return
            except (RedisError, OSError) as exc:
                if time.monotonic() - started > 60:
                    delay = RECONNECT_DELAYS[0]
                log.warning("Redis is unavailable (%s); the worker tries again in %.0f s", exc, delay)
            if await _stopped_within(delay):
                return
            delay = min(delay * 2, RECONNECT_DELAYS[1])
    finally:
        await engine.dispose()


async def _run_once(settings: Settings, session_maker: Any) -> None:
    """One arq worker until a signal stops it (returns) or Redis fails (raises)."""
    from arq.worker import Worker

    assert settings.redis_url
    options = worker_options(settings, settings.redis_url) | {
        "handle_signals": True,
        "job_completion_wait": SHUTDOWN_WAIT,
    }
    worker = Worker(**options, ctx={"session_maker": session_maker, "settings": settings})
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await worker.async_run()
    finally:
        # Closing talks to Redis too, which may be the thing that failed.
        with contextlib.suppress(RedisError, OSError):
            await worker.close()


async def _stopped_within(seconds: float) -> bool:
    """Wait, unless SIGTERM or SIGINT arrives first (arq's own handlers died with its worker)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
