"""The arq job that assigns judges to the entries of a large round, reporting its progress.

The work runs in the outbox's transaction (app.platform.outbox.run_outbox_job), so the assignment and
the job's "done" commit together with the outbox row: a job run twice, or killed and run again, does
the work once. Progress cannot wait for that commit, so `report_progress` writes it through a session
of its own, committed at once, on the JudgingJob row only (which the work's transaction never locks
before its very end: no deadlock between the two). The round's settings row is locked for the whole
run, like an inline run, so founders' changes by hand wait or are refused meanwhile.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from app.challenges.models import Challenge, Round
from app.db import utcnow
from app.judging.assignment_service import Params, RoundData, notify_judges, round_data, write_assignment
from app.judging.models import JudgingJob
from app.judging.rounds import RoundContext, judging_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def report_progress(ctx: dict[str, Any], job_id: uuid.UUID, **values: Any) -> None:
    """Write the job's status and progress where the page sees it at once (own session, committed)."""
    async with ctx["session_maker"]() as side:
        await side.execute(update(JudgingJob).where(JudgingJob.id == job_id).values(**values))
        await side.commit()


async def assign_round(ctx: dict[str, Any], session: AsyncSession, job_id: str) -> None:
    """Assign the job's round with the job's parameters; a job already done is left alone."""
    job_uuid = uuid.UUID(job_id)
    job = await session.scalar(select(JudgingJob).where(JudgingJob.id == job_uuid))
    if job is None or job.status == "done":
        return
    round_, challenge = (
        await session.execute(
            select(Round, Challenge)
            .join(Challenge, Challenge.id == Round.challenge_id)
            .where(Round.id == job.round_id)
        )
    ).one()
    settings = await judging_settings(session, round_, for_update=True)
    round_ctx = RoundContext(challenge, round_, [round_], settings, set())
    params = Params(**{key: job.params[key] for key in ("policy", "k", "seed")})
    try:
        data: RoundData = await round_data(session, round_ctx)
        await report_progress(ctx, job_uuid, status="running", done=0, total=len(data.entries), error=None)

        async def progress(done: int, total: int) -> None:
            await report_progress(ctx, job_uuid, done=done, total=total)

        summary = await write_assignment(session, round_.id, params, data, progress)
        await notify_judges(session, challenge, round_, summary)
    except Exception as exc:
        await report_progress(ctx, job_uuid, status="failed", error=repr(exc)[:2000])
        raise
    await session.execute(
        update(JudgingJob)
        .where(JudgingJob.id == job_uuid)
        .values(
            status="done",
            done=summary.entries,
            total=summary.entries,
            finished_at=utcnow(),
            error=None,
            params={**dataclasses.asdict(params), "result": summary.as_json()},
        )
    )


JOBS: dict[str, Any] = {"assign_round": assign_round}
