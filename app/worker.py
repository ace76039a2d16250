"""arq worker settings: every job function and cron job, listed explicitly."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings

from app.platform import outbox
from app.settings import Settings


def register_jobs() -> None:
    """Fill the outbox registry: job name -> async def fn(ctx, session, **args)."""
    from app.notifications import jobs as notification_jobs

    outbox.REGISTRY.update(notification_jobs.JOBS)


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # Fail fast when Redis is down: pages keep serving, the outbox keeps the work.
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


def cron_jobs() -> list[Any]:
    from app.notifications import jobs as notification_jobs

    return [
        cron(outbox.reconcile_outbox, second={0}, run_at_startup=True, unique=True, timeout=60),
        cron(notification_jobs.send_daily_digests, hour={6}, minute={0}, second={0}, unique=True, timeout=600),
    ]


def worker_options(settings: Settings, redis_url: str) -> dict[str, Any]:
    register_jobs()
    return {
        "functions": [outbox.run_outbox_job],
        "cron_jobs": cron_jobs(),
        "redis_settings": redis_settings(redis_url),
        "queue_name": f"{settings.redis_prefix}:queue",
        "max_tries": 8,
        "keep_result": 3600,
        "job_timeout": 600,
        "handle_signals": False,
    }


class WorkerSettings:
    """For `arq app.worker.WorkerSettings`; `tremplin worker` is the documented way to run it."""

    @staticmethod
    async def on_startup(ctx: dict[str, Any]) -> None:
        from app.db import make_engine, make_session_maker

        settings = Settings.from_env()
        assert settings.database_url, "a separate worker needs DATABASE_URL"
        ctx["engine"] = make_engine(settings, settings.database_url)
        ctx["session_maker"] = make_session_maker(ctx["engine"])
        ctx["settings"] = settings

    @staticmethod
    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await ctx["engine"].dispose()
