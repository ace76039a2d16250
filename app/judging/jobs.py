"""Judging's arq jobs (outbox job name -> async def fn(ctx, session, **args)), registered by app.worker."""

from __future__ import annotations

from typing import Any

from app.judging import assignment_jobs, export_jobs

JOBS: dict[str, Any] = {**assignment_jobs.JOBS, **export_jobs.JOBS}
