"""Judging exports as arq jobs: asked for by a founder, written by the worker to storage with its progress
in `judging_jobs` (kind "export"), downloaded by founders only, checked again at download.

Every export goes through the job, small ones included, so there is one code path. The job is safe to
run twice: a job already done is left alone, and the file's storage key is fixed by the job's id, so
a second run overwrites what a first, interrupted one may have left. Progress is written through
short sessions of its own: the page sees it while the job's own transaction is still open.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select, update

from app.db import utcnow
from app.judging import exports
from app.judging.access import founder_round
from app.judging.models import JudgingJob
from app.judging.ranking_views import parse_method
from app.judging.rounds import RoundContext, judging_closed
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale
from app.platform.outbox import enqueue
from app.platform.storage import Storage, storage_for

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from app.accounts.sessions import Actor

JOB_NAME = "export_judging"
MAX_EXPORT_BYTES = 1024 * 1024 * 1024
RECENT = 10
CHUNK = 256 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class ExportsPage:
    context: RoundContext
    jobs: list[JudgingJob]
    closed: bool

    @property
    def in_progress(self) -> bool:
        return any(job.status in ("queued", "running") for job in self.jobs)


@dataclasses.dataclass(frozen=True, slots=True)
class Download:
    name: str
    media_type: str
    chunks: AsyncIterator[bytes]


async def exports_page(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, now: dt.datetime
) -> ExportsPage:
    """The round's latest exports, newest first (founders)."""
    context = await founder_round(session, actor, slug, round_id)
    jobs = list(
        await session.scalars(
            select(JudgingJob)
            .where(JudgingJob.round_id == round_id, JudgingJob.kind == "export")
            .order_by(JudgingJob.created_at.desc(), JudgingJob.id)
            .limit(RECENT)
        )
    )
    return ExportsPage(context, jobs, judging_closed(context.settings, context.challenge, now))


def check_request(what: str, fmt: str, closed: bool) -> None:
    """InvalidInput naming the field when the export cannot be asked for as it is."""
    errors: dict[str, str] = {}
    if what not in exports.WHATS:
        errors["what"] = _("Choose what to export from the list.")
    elif what in exports.NEEDS_CLOSE and not closed:
        errors["what"] = _("Judges’ scores and comments can be exported once judging has closed.")
    if fmt not in exports.FORMATS:
        errors["format"] = _("Choose CSV or xlsx.")
    if errors:
        raise InvalidInput(errors)


async def request_export(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    what: str,
    fmt: str,
    now: dt.datetime,
    locale: str,
    method: str | None = None,
) -> JudgingJob:
    """Record an export job and enqueue it (sent once this transaction commits); audited."""
    context = await founder_round(session, actor, slug, round_id)
    check_request(what, fmt, judging_closed(context.settings, context.challenge, now))
    name = f"{context.challenge.slug}-round-{context.round.position}-{what}-{now:%Y%m%d-%H%M}.{fmt}"
    params = {
        "what": what,
        "format": fmt,
        "locale": locale,
        "method": parse_method(method, context.settings.ranking_method),
        "name": name,
    }
    job = JudgingJob(round_id=round_id, kind="export", params=params, requested_by_id=actor.id)
    session.add(job)
    await session.flush()
    await enqueue(session, JOB_NAME, job_id=str(job.id))
    await audit.record(
        session,
        actor,
        "judging.export_requested",
        "round",
        round_id,
        {"job": str(job.id), "what": what, "format": fmt},
    )
    return job


async def open_download(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    job_id: uuid.UUID,
    now: dt.datetime,
    storage: Storage,
) -> Download:
    """A finished export's bytes, for founders only; 404 for anything else. Exports holding judges' names
    are refused again (409) if judging has been reopened since."""
    context = await founder_round(session, actor, slug, round_id)
    job = await session.scalar(
        select(JudgingJob).where(
            JudgingJob.id == job_id, JudgingJob.round_id == round_id, JudgingJob.kind == "export"
        )
    )
    if job is None or job.status != "done" or not job.result_key:
        raise NotFoundException()
    if job.params.get("what") in exports.NEEDS_CLOSE and not judging_closed(
        context.settings, context.challenge, now
    ):
        raise Conflict(
            _(
                "Judging has been reopened: this export holds judges’ scores and is unavailable until it closes."
            )
        )
    fmt = job.params.get("format", "csv")
    return Download(
        job.result_name or f"export.{fmt}",
        exports.MEDIA_TYPES.get(fmt, "application/octet-stream"),
        storage.read(job.result_key),
    )


# --- the job ------------------------------------------------------------------------------------------


class _Progress:
    """Writes the job's progress in short transactions of its own, so the page sees it at once."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.job_id = job_id

    async def set(self, **values: Any) -> None:
        async with self.sessions() as session:
            await session.execute(update(JudgingJob).where(JudgingJob.id == self.job_id).values(**values))
            await session.commit()

    async def __call__(self, done: int, total: int) -> None:
        await self.set(done=done, total=total)


async def export_judging(ctx: dict[str, Any], session: AsyncSession, job_id: str) -> None:
    """Write the export to storage and mark the job done (in the outbox's transaction)."""
    job = await session.get(JudgingJob, uuid.UUID(job_id))
    if job is None or job.kind != "export" or job.status == "done":
        return
    progress = _Progress(ctx["session_maker"], job.id)
    fmt = job.params.get("format", "csv")
    key = f"exports/{job.round_id}/{job.id}.{fmt}"
    try:
        await progress.set(status="running", error=None)
        with in_locale(job.params.get("locale", "en")):
            table = await exports.build(
                session, job.round_id, job.params.get("what", "ranking"), job.params.get("method", "auto")
            )
            await progress(0, table.total)
            data = await exports.write(table, fmt, progress)
        await storage_for(ctx["settings"]).put_stream(key, _chunks(data), MAX_EXPORT_BYTES)
    except Exception as exc:
        await progress.set(status="failed", error=repr(exc)[:2000])
        raise
    job.status, job.done, job.total = "done", table.total, table.total
    job.result_key, job.result_name, job.finished_at = key, job.params.get("name"), utcnow()


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


JOBS: dict[str, Any] = {JOB_NAME: export_judging}
