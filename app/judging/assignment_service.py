"""Assigning a round's judges to its entries by its policy, inline or as an arq job (changes by hand:
app.judging.assignment_manual).

Only eligible entries (submitted, screened eligible) and accepted, current judges take part. The
algorithm is app.judging.assignment (pure); this module loads its inputs, writes its result and keeps
the rules around it:

- running again keeps every assignment that has a review (scores are never lost to a reassignment)
  and those added by hand, and recomputes the rest from the round's policy, k and seed;
- a round larger than ASYNC_THRESHOLD (entries x judges) is assigned by the arq job
  `assign_round` (app.judging.assignment_jobs), enqueued through the outbox, its progress in a
  JudgingJob row the panel page polls; smaller rounds are assigned within the request;
- every run and every change by hand locks the round's judging settings row (load_round
  for_update), so two founders running at the same moment run one after the other, and the second
  computes from what the first wrote: one consistent assignment;
- assignments are never written for a conflicted pair or someone off the panel (409 by hand).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from app.challenges.models import Challenge, Round
from app.judging import assignment
from app.judging.conflict_service import conflicted_pairs, panel_user_ids
from app.judging.models import (
    ASSIGNMENT_POLICIES,
    Assignment,
    JudgingJob,
    JudgingRound,
    Review,
    Screening,
)
from app.judging.rounds import RoundContext, judging_closed, load_round
from app.notifications.services import notify
from app.platform import audit, outbox
from app.platform.errors import Conflict as ConflictError
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.teams.models import Submission

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

# Above this many (entry, judge) pairs a round is assigned by the worker, with progress in the page.
ASYNC_THRESHOLD = 2000
# Entries written per step of the job (one progress update each).
BATCH = 200
# A job still queued or running after this long is taken as lost: founders may run again.
STALE_AFTER = dt.timedelta(hours=1)
SEED_MAX = 2**31 - 1

Progress = Callable[[int, int], Awaitable[None]]


@dataclasses.dataclass(frozen=True, slots=True)
class Params:
    policy: str
    k: int
    seed: int


@dataclasses.dataclass(slots=True)
class Summary:
    """What a run did, as plain JSON values (kept in the job's row for the page)."""

    policy: str
    k: int
    seed: int
    entries: int
    judges: int
    assignments: int
    added: int
    removed: int
    kept: int
    # [submission id, judges it got] for entries below k
    short: list[list[Any]]
    # judge id -> entries newly assigned to them by this run (they are told)
    new_by_judge: dict[str, int] = dataclasses.field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class RunOutcome:
    summary: Summary | None  # inline
    job: JudgingJob | None  # by the worker


def params_input(policy: object, k: object, seed: object, current: JudgingRound) -> Params:
    """The run's policy, k and seed (each defaulting to the round's settings); InvalidInput per field."""
    errors: dict[str, str] = {}
    chosen_policy = current.policy if policy in (None, "") else str(policy)
    if chosen_policy not in ASSIGNMENT_POLICIES:
        errors["policy"] = _("Choose how judges are assigned.")
    chosen_k, chosen_seed = current.judges_per_entry, current.seed
    try:
        chosen_k = current.judges_per_entry if k in (None, "") else int(str(k))
        if not 1 <= chosen_k <= 50:
            raise ValueError
    except ValueError:
        errors["judges_per_entry"] = _("Enter a whole number of judges from 1 to 50.")
    try:
        chosen_seed = current.seed if seed in (None, "") else int(str(seed))
        if not 0 <= chosen_seed <= SEED_MAX:
            raise ValueError
    except ValueError:
        errors["seed"] = _("Enter a whole number from 0 to %(max)s.", max=SEED_MAX)
    if errors:
        raise InvalidInput(errors)
    return Params(chosen_policy, chosen_k, chosen_seed)


# --- reading the round -----------------------------------------------------------------------------------


def eligible_entries(round_id: uuid.UUID) -> Any:
    """Entries of the round that may be assigned: submitted and screened eligible."""
    return (
        select(Submission.id, Submission.team_id)
        .join(Screening, Screening.submission_id == Submission.id)
        .where(
            Submission.round_id == round_id,
            Submission.status == "submitted",
            Screening.decision == "eligible",
        )
    )


@dataclasses.dataclass(slots=True)
class RoundData:
    entries: dict[uuid.UUID, uuid.UUID]  # submission -> team
    judges: list[uuid.UUID]
    conflicts: set[tuple[uuid.UUID, uuid.UUID]]  # (judge, submission)
    rows: dict[tuple[uuid.UUID, uuid.UUID], tuple[bool, bool]]  # (judge, submission) -> (manual, reviewed)

    @property
    def protected(self) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """Rows a run never deletes: those with a review."""
        return {pair for pair, (_manual, reviewed) in self.rows.items() if reviewed}

    @property
    def kept(self) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """Rows a run keeps and counts: reviewed or added by hand, still valid (eligible, on the panel, no conflict)."""
        judges = set(self.judges)
        return {
            pair
            for pair, (manual, reviewed) in self.rows.items()
            if (manual or reviewed)
            and pair[0] in judges
            and pair[1] in self.entries
            and pair not in self.conflicts
        }


async def round_data(session: AsyncSession, ctx: RoundContext) -> RoundData:
    """Everything the algorithm needs, in four queries whatever the round's size."""
    round_id = ctx.round.id
    entries = dict((await session.execute(eligible_entries(round_id))).all())
    judges = sorted(set(await session.scalars(panel_user_ids(round_id))), key=str)
    by_team: dict[uuid.UUID, list[uuid.UUID]] = collections.defaultdict(list)
    for submission_id, team_id in entries.items():
        by_team[team_id].append(submission_id)
    team_ids = list(by_team)
    conflict_teams = await conflicted_pairs(session, ctx.challenge.id, team_ids, judges)
    conflicts = {(judge, entry) for judge, team in conflict_teams for entry in by_team[team]}
    reviewed = (
        select(Review.id)
        .where(Review.submission_id == Assignment.submission_id, Review.user_id == Assignment.user_id)
        .exists()
    )
    rows = {
        (user_id, submission_id): (manual, has_review)
        for submission_id, user_id, manual, has_review in await session.execute(
            select(Assignment.submission_id, Assignment.user_id, Assignment.manual, reviewed).where(
                Assignment.round_id == round_id
            )
        )
    }
    return RoundData(entries, judges, conflicts, rows)


# --- running ---------------------------------------------------------------------------------------------


async def active_job(session: AsyncSession, round_id: uuid.UUID, now: dt.datetime) -> JudgingJob | None:
    """The round's assignment job still queued or running (and not lost), if any."""
    return await session.scalar(
        select(JudgingJob)
        .where(
            JudgingJob.round_id == round_id,
            JudgingJob.kind == "assign",
            JudgingJob.status.in_(("queued", "running")),
            JudgingJob.created_at > now - STALE_AFTER,
        )
        .order_by(JudgingJob.created_at.desc())
        .limit(1)
    )


async def ensure_idle(session: AsyncSession, ctx: RoundContext, now: dt.datetime) -> None:
    if await active_job(session, ctx.round.id, now) is not None:
        raise ConflictError(
            detail=_("An assignment is being computed for this round: wait until it is done.")
        )


async def run_assignment(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    policy: object = None,
    k: object = None,
    seed: object = None,
) -> RunOutcome:
    """Assign the round by its policy (saved with k and seed as the round's settings): inline for a small
    round, by the worker for a large one. Refused (409) once judging has closed or while a job runs."""
    ctx = await load_round(session, actor, round_id, "judging:manage", for_update=True)
    params = params_input(policy, k, seed, ctx.settings)
    if judging_closed(ctx.settings, ctx.challenge, now):
        raise ConflictError(detail=_("Judging of this round has closed: assignments no longer change."))
    await ensure_idle(session, ctx, now)
    ctx.settings.policy, ctx.settings.judges_per_entry, ctx.settings.seed = (
        params.policy,
        params.k,
        params.seed,
    )
    ctx.settings.updated_at = now
    data = await round_data(session, ctx)
    details = {"challenge": ctx.challenge.slug, **dataclasses.asdict(params)}
    if len(data.entries) * len(data.judges) > ASYNC_THRESHOLD:
        job = JudgingJob(
            round_id=round_id,
            kind="assign",
            params=dataclasses.asdict(params),
            status="queued",
            total=len(data.entries),
            requested_by_id=actor.id,
            created_at=now,
        )
        session.add(job)
        await session.flush()
        await outbox.enqueue(session, "assign_round", job_id=str(job.id))
        await audit.record(
            session, actor, "judging:assign", "round", round_id, details | {"job": str(job.id)}
        )
        return RunOutcome(None, job)
    summary = await write_assignment(session, round_id, params, data)
    await notify_judges(session, ctx.challenge, ctx.round, summary)
    await audit.record(session, actor, "judging:assign", "round", round_id, details | _audit_counts(summary))
    return RunOutcome(summary, None)


def _audit_counts(summary: Summary) -> dict[str, int]:
    return {
        "entries": summary.entries,
        "judges": summary.judges,
        "added": summary.added,
        "removed": summary.removed,
        "kept": summary.kept,
        "short": len(summary.short),
    }


async def write_assignment(
    session: AsyncSession,
    round_id: uuid.UUID,
    params: Params,
    data: RoundData,
    progress: Progress | None = None,
) -> Summary:
    """Compute the assignment and write the difference, BATCH entries at a time (progress after each)."""
    kept = data.kept
    compute = functools.partial(
        assignment.assign,
        data.entries,
        data.judges,
        params.k,
        data.conflicts,
        params.seed,
        existing=kept,
        policy=params.policy,
    )
    if len(data.entries) * len(data.judges) > ASYNC_THRESHOLD:
        result = await asyncio.to_thread(compute)  # keep the worker's event loop (and its heartbeats) free
    else:
        result = compute()
    wanted = result.pairs
    protected = data.protected
    current = set(data.rows)
    stale = [pair for pair in current - wanted - protected if pair[1] not in data.entries]
    await _delete_pairs(session, round_id, stale)
    removed, added = len(stale), 0
    entry_ids = sorted(data.entries, key=str)
    for start in range(0, len(entry_ids), BATCH):
        batch = set(entry_ids[start : start + BATCH])
        drop = [pair for pair in current - wanted - protected if pair[1] in batch]
        new = [pair for pair in wanted - current if pair[1] in batch]
        await _delete_pairs(session, round_id, drop)
        await _insert_pairs(session, round_id, new)
        removed, added = removed + len(drop), added + len(new)
        if progress is not None:
            await progress(min(start + BATCH, len(entry_ids)), len(entry_ids))
    return Summary(
        policy=params.policy,
        k=params.k,
        seed=params.seed,
        entries=len(data.entries),
        judges=len(data.judges),
        assignments=len(wanted),
        added=added,
        removed=removed,
        kept=len(kept),
        short=[
            [str(entry), count]
            for entry, count in sorted(result.short.items(), key=lambda item: str(item[0]))
        ],
        new_by_judge=dict(collections.Counter(str(judge) for judge, _entry in wanted - current)),
    )


async def notify_judges(session: AsyncSession, challenge: Challenge, round_: Round, summary: Summary) -> None:
    """Tell each judge who got new entries to review, with a link to their queue."""
    for judge_id, count in sorted(summary.new_by_judge.items()):
        params = {"challenge": challenge.title, "round": round_.name, "count": count}
        await notify(
            session, uuid.UUID(judge_id), "new_assignments", params, link=f"/judge/rounds/{round_.id}"
        )


async def _delete_pairs(
    session: AsyncSession, round_id: uuid.UUID, pairs: list[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    for start in range(0, len(pairs), 1000):
        chunk = [(entry, judge) for judge, entry in pairs[start : start + 1000]]
        await session.execute(
            delete(Assignment).where(
                Assignment.round_id == round_id,
                tuple_(Assignment.submission_id, Assignment.user_id).in_(chunk),
            )
        )


async def _insert_pairs(
    session: AsyncSession, round_id: uuid.UUID, pairs: list[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    for start in range(0, len(pairs), 1000):
        rows = [
            {"submission_id": e, "user_id": j, "round_id": round_id} for j, e in pairs[start : start + 1000]
        ]
        await session.execute(insert(Assignment).values(rows).on_conflict_do_nothing())
