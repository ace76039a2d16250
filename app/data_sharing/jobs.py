"""Data sharing's arq jobs (outbox job name -> async def fn(ctx, session, **args)) and cron jobs, registered by
app.worker."""

from __future__ import annotations

from typing import Any

JOBS: dict[str, Any] = {}


def cron_jobs() -> list[Any]:
    """arq cron jobs of this domain (e.g. expiring grants and warning before expiry)."""
    return []
