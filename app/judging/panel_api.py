"""JSON API of panels under /api/v1: a round's judges, assignments and conflicts, with the pages' services and
permissions (founders manage; a judge reads and declares their own conflicts). Bodies are closed structs:
ids of rounds, judges and statuses are never read from them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, delete, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.api import invalid_input
from app.judging import (
    assignment_manual,
    assignment_service,
    conflict_service,
    panel_links,
    panel_views,
    panels,
)
from app.judging.models import Judge, JudgingJob
from app.judging.panel_schemas import (
    AssignmentList,
    AssignmentRun,
    AssignmentView,
    ConflictCreate,
    ConflictView,
    InviteResult,
    JobView,
    JudgeLoad,
    JudgesInvite,
    JudgeView,
    RunResult,
    SkippedAddress,
)
from app.platform.api_docs import problem_response
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE

PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
API: dict[str, Any] = {
    "cache_control": CacheControlHeader(no_store=True),
    "exception_handlers": {InvalidInput: invalid_input},
}
ROUND = "/api/v1/rounds/{round_id:uuid}"


def _judge_view(judge: Judge, name: str | None = None, assigned: int = 0, reviewed: int = 0) -> JudgeView:
    return JudgeView(
        id=judge.id,
        email=judge.email,
        status=panel_links.status_of(judge),
        user_id=judge.user_id,
        name=name,
        invited_at=judge.created_at,
        accepted_at=judge.accepted_at,
        removed_at=judge.removed_at,
        assigned=assigned,
        reviewed=reviewed,
    )


def _job_view(job: JudgingJob) -> JobView:
    return JobView(
        id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,
        result=job.params.get("result"),
        error=job.error,
    )


# --- judges -----------------------------------------------------------------------------------------------


@get(f"{ROUND}/judges", name="judging:api_judges", **API)
async def api_list_judges(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], round_id: FromPath[uuid.UUID]
) -> list[JudgeView]:
    """The round's panel: invited, accepted and removed judges with their loads (founders)."""
    rows = await panel_views.list_judges(db, actor, round_id)
    return [_judge_view(r.judge, r.name, r.assigned, r.reviewed) for r in rows]


@post(f"{ROUND}/judges", name="judging:api_invite", **API)
async def api_invite_judges(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[JudgesInvite],
) -> Response[InviteResult]:
    """Invite judges by e-mail: each address gets its link by e-mail (never in this answer)."""
    settings = get_context(request.scope).settings
    outcome = await panels.invite_judges(db, actor, settings, round_id, "\n".join(data.emails), now)
    result = InviteResult(
        invited=[_judge_view(j) for j in outcome.invited],
        skipped=[SkippedAddress(email, reason) for email, reason in outcome.skipped],
    )
    return Response(result, status_code=201)


@post(f"{ROUND}/judges/{{judge_id:uuid}}/resend", name="judging:api_resend", status_code=200, **API)
async def api_resend_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    judge_id: FromPath[uuid.UUID],
) -> JudgeView:
    """E-mail a pending invitation again with a fresh link."""
    judge = await panels.resend_invitation(
        db, actor, get_context(request.scope).settings, round_id, judge_id, now
    )
    return _judge_view(judge)


@delete(f"{ROUND}/judges/{{judge_id:uuid}}", name="judging:api_remove_judge", **API)
async def api_remove_judge(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    judge_id: FromPath[uuid.UUID],
) -> None:
    """Take a judge off the panel (or withdraw the invitation); their scores are kept."""
    await panels.remove_judge(db, actor, round_id, judge_id, now)


@post(
    "/api/v1/invitations/judge/{token:str}",
    name="judging:api_accept_invitation",
    status_code=200,
    responses={410: problem_response(410)},
    **API,
)
async def api_accept_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    token: FromPath[str],
) -> JudgeView:
    """Accept a judge invitation with the token of its link (signed in with the invited address)."""
    judge = await panel_links.accept_invitation(db, actor, get_context(request.scope).settings, token, now)
    return _judge_view(judge, actor.name)


# --- assignments ------------------------------------------------------------------------------------------


@get(f"{ROUND}/assignments", name="judging:api_assignments", **API)
async def api_list_assignments(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    page: PageNumber = 1,
) -> AssignmentList:
    """Eligible entries (50 a page, by team name) with their judges, and every judge's load (founders)."""
    view = await panel_views.assignments_page(db, actor, round_id, page)
    settings = view.ctx.settings
    items = [
        AssignmentView(
            entry.submission_id, entry.team_name, s.user_id, s.name, s.manual, s.reviewed, s.current
        )
        for entry in view.entries.items
        for s in entry.seats
    ]
    loads = [
        JudgeLoad(r.judge.user_id, r.name or r.judge.email, r.assigned, r.reviewed, r.finalized)  # type: ignore[arg-type]  # accepted judges have an account
        for r in view.judges
    ]
    return AssignmentList(
        policy=settings.policy,
        judges_per_entry=settings.judges_per_entry,
        seed=settings.seed,
        items=items,
        loads=loads,
        page=view.entries.number,
        pages=view.entries.pages,
        entries=view.entries.total,
    )


@post(
    f"{ROUND}/assignments",
    name="judging:api_run_assignment",
    status_code=200,
    responses={
        202: ResponseSpec(RunResult, description="A large round: assigned in the background; follow `job`.")
    },
    **API,
)
async def api_run_assignment(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[AssignmentRun],
) -> Response[RunResult]:
    """Assign the round by its policy: 200 with the summary, or 202 with the job for a large round."""
    outcome = await assignment_service.run_assignment(
        db, actor, round_id, now, policy=data.policy, k=data.judges_per_entry, seed=data.seed
    )
    if outcome.job is not None:
        return Response(RunResult(summary=None, job=_job_view(outcome.job)), status_code=202)
    assert outcome.summary is not None
    return Response(RunResult(summary=outcome.summary.as_json(), job=None), status_code=200)


@get(f"{ROUND}/assignments/jobs/{{job_id:uuid}}", name="judging:api_assignment_job", **API)
async def api_assignment_job(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    job_id: FromPath[uuid.UUID],
) -> JobView:
    """Progress of an assignment job, then its summary in `result`."""
    _ctx, job = await panel_views.job_progress(db, actor, round_id, job_id)
    return _job_view(job)


@post(
    f"{ROUND}/assignments/{{submission_id:uuid}}/{{user_id:uuid}}", name="judging:api_add_assignment", **API
)
async def api_add_assignment(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    submission_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
) -> Response[dict[str, Any]]:
    """Assign one judge to one eligible entry by hand (409 for a conflict or someone off the panel)."""
    row = await assignment_manual.add_assignment(db, actor, round_id, submission_id, user_id, now)
    return Response(
        {"submission_id": str(row.submission_id), "user_id": str(row.user_id), "manual": True},
        status_code=201,
    )


@delete(
    f"{ROUND}/assignments/{{submission_id:uuid}}/{{user_id:uuid}}",
    name="judging:api_remove_assignment",
    **API,
)
async def api_remove_assignment(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    submission_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
) -> None:
    """Take one entry from one judge; a score already given is kept."""
    await assignment_manual.remove_assignment(db, actor, round_id, submission_id, user_id, now)


# --- conflicts --------------------------------------------------------------------------------------------


def _conflict_view(row: conflict_service.ConflictRow) -> ConflictView:
    return ConflictView(
        judge_id=row.judge_id,
        judge_name=row.judge_name,
        team_id=row.team_id,
        team_name=row.team_name,
        kind=row.kind,
        reason=row.reason,
        id=row.conflict_id,
        declared_at=row.declared_at,
    )


@get(f"{ROUND}/conflicts", name="judging:api_conflicts", **API)
async def api_list_conflicts(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], round_id: FromPath[uuid.UUID]
) -> list[ConflictView]:
    """Founders: every conflict of the round's panel with its teams; a judge: their own."""
    _ctx, rows = await conflict_service.conflicts_for_actor(db, actor, round_id)
    return [_conflict_view(row) for row in rows]


@post(f"{ROUND}/conflicts", name="judging:api_declare_conflict", **API)
async def api_declare_conflict(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[ConflictCreate],
) -> Response[ConflictView]:
    """A judge declares a conflict of interest with a team (it cannot be withdrawn by the judge)."""
    row = await conflict_service.declare_conflict(db, actor, round_id, data.team_id, data.reason, now)
    return Response(_conflict_view(row), status_code=201)


@delete(f"{ROUND}/conflicts/{{conflict_id:uuid}}", name="judging:api_remove_conflict", **API)
async def api_remove_conflict(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    conflict_id: FromPath[uuid.UUID],
) -> None:
    """Founders remove a declared conflict (audited)."""
    await conflict_service.remove_conflict(db, actor, round_id, conflict_id)


ROUTES: list[Any] = [
    api_list_judges,
    api_invite_judges,
    api_resend_invitation,
    api_remove_judge,
    api_accept_invitation,
    api_list_assignments,
    api_run_assignment,
    api_assignment_job,
    api_add_assignment,
    api_remove_assignment,
    api_list_conflicts,
    api_declare_conflict,
    api_remove_conflict,
]
