"""JSON API of a round's judging setup under /api/v1/rounds/{round_id}: the rubric (founders and the
round's judges read it, founders change it), screening and the judging settings (founders). The same
services and permissions as the pages; refusals are problem+json (422 with `errors`, 409 with the reason)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.api import API
from app.challenges.schemas import body_values
from app.judging import rubric_input, rubrics, screening, settings_service
from app.judging.rubrics import Rubric
from app.judging.setup import plain_number
from app.judging.setup_schemas import (
    BulkScreeningView,
    CopyRequest,
    CriterionCreate,
    CriterionUpdate,
    CriterionView,
    JudgingSettingsUpdate,
    JudgingSettingsView,
    JudgingSummaryView,
    LevelBody,
    LevelView,
    MoveRequest,
    RubricView,
    ScreeningDecisionBody,
    ScreeningEntryView,
    ScreeningListView,
)
from app.platform.pagination import MAX_PAGE

BASE = "/api/v1/rounds/{round_id:uuid}"
CRITERION = BASE + "/rubric/criteria/{criterion_id:uuid}"
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
DecisionFilter = Annotated[str, Parameter(max_length=20)]


# --- rubric -------------------------------------------------------------------------------------------------


def _criterion(page: Rubric, criterion: Any) -> CriterionView:
    return CriterionView(
        id=criterion.id,
        position=criterion.position,
        name=criterion.name,
        description=criterion.description,
        weight=float(criterion.weight),
        share=float(page.share(criterion)),
        scale_min=float(criterion.scale_min),
        scale_max=float(criterion.scale_max),
        scale_step=float(criterion.scale_step),
        levels=[
            LevelView(value=float(level.value), text=level.text) for level in rubric_input.levels(criterion)
        ],
    )


def _rubric(page: Rubric) -> RubricView:
    return RubricView(
        round_id=page.ctx.round.id,
        round=page.ctx.round.name,
        frozen=page.frozen_since is not None,
        frozen_since=page.frozen_since,
        frozen_reason=page.frozen_message,
        total_weight=float(page.total_weight),
        criteria=[_criterion(page, criterion) for criterion in page.criteria],
    )


def _values(body: CriterionCreate | CriterionUpdate) -> dict[str, Any]:
    values = body_values(body)
    if "descriptors" in values:
        levels: list[LevelBody] = body.descriptors  # type: ignore[assignment]
        values["descriptors"] = {plain_number(level.value): level.text for level in levels}
    return values


async def _criterion_view(
    db: AsyncSession, actor: Actor, round_id: uuid.UUID, criterion_id: uuid.UUID
) -> CriterionView:
    page = await rubrics.rubric(db, actor, round_id)
    return _criterion(page, next(c for c in page.criteria if c.id == criterion_id))


@get(BASE + "/rubric", name="judging:api_rubric", **API)
async def api_show_rubric(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], round_id: FromPath[uuid.UUID]
) -> RubricView:
    """The round's criteria in order, with each level's descriptor: for its founders and its judges."""
    return _rubric(await rubrics.rubric(db, actor, round_id))


@post(BASE + "/rubric/criteria", name="judging:api_add_criterion", status_code=201, **API)
async def api_add_criterion(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[CriterionCreate],
) -> CriterionView:
    """Append a criterion; 409 once the rubric is frozen (a review of the round was finalized)."""
    criterion = await rubrics.add_criterion(db, actor, round_id, _values(data), strict=True)
    return await _criterion_view(db, actor, round_id, criterion.id)


@patch(CRITERION, name="judging:api_update_criterion", **API)
async def api_update_criterion(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
    data: JSONBody[CriterionUpdate],
) -> CriterionView:
    """Change what is sent of a criterion; descriptors follow their level through a change of scale."""
    await rubrics.update_criterion(db, actor, round_id, criterion_id, _values(data), strict=True)
    return await _criterion_view(db, actor, round_id, criterion_id)


@delete(CRITERION, name="judging:api_remove_criterion", **API)
async def api_remove_criterion(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
) -> None:
    await rubrics.remove_criterion(db, actor, round_id, criterion_id)


@post(CRITERION + "/move", name="judging:api_move_criterion", status_code=200, **API)
async def api_move_criterion(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
    data: JSONBody[MoveRequest],
) -> RubricView:
    """Move a criterion one place "up" or "down"; the rubric in its new order."""
    await rubrics.move_criterion(db, actor, round_id, criterion_id, data.direction)
    return _rubric(await rubrics.rubric(db, actor, round_id))


@post(BASE + "/rubric/copy", name="judging:api_copy_rubric", status_code=200, **API)
async def api_copy_rubric(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[CopyRequest],
) -> RubricView:
    """Fill this empty rubric with a copy of another round's (of a challenge the caller organizes); 409
    when this rubric already has criteria."""
    await rubrics.copy_rubric(db, actor, round_id, data.source_round_id)
    return _rubric(await rubrics.rubric(db, actor, round_id))


# --- screening ------------------------------------------------------------------------------------------


def _entry(row: screening.EntryRow) -> ScreeningEntryView:
    decided = row.screening
    return ScreeningEntryView(
        submission_id=row.submission.id,
        team_id=row.team.id,
        team=row.team.name,
        organization=row.organization_name,
        status=row.submission.status,
        version=row.submission.version,
        submitted_at=row.submission.submitted_at,
        decision=row.decision,
        reason=decided.reason if decided else "",
        decided_by=row.decided_by,
        decided_at=decided.decided_at if decided else None,
        was_returned=row.was_returned,
    )


@get(BASE + "/screening", name="judging:api_screening", **API)
async def api_list_screening(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    decision: DecisionFilter = "",
    page: PageNumber = 1,
) -> ScreeningListView:
    """The round's submitted entries (and returned ones being changed) by team, with their decision."""
    listing = await screening.screening_list(db, actor, round_id, now, decision=decision, page=page)
    rows = listing.rows
    return ScreeningListView(
        items=[_entry(row) for row in rows.items],
        page=rows.number,
        per_page=rows.size,
        total=rows.total,
        pages=rows.pages,
        counts=listing.counts,
        can_return=listing.can_return,
    )


@post(BASE + "/screening", name="judging:api_screen_entry", status_code=200, **API)
async def api_screen_entry(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[ScreeningDecisionBody],
) -> ScreeningEntryView:
    """Decide on one entry: eligible, ineligible (reason required) or returned (comment required, only
    while the round takes submissions). The team is notified of the last two."""
    await screening.decide(db, actor, round_id, data.submission_id, data.decision, data.reason, now)
    return _entry(await screening.entry(db, actor, round_id, data.submission_id))


@post(BASE + "/screening/eligible", name="judging:api_screen_all_eligible", status_code=200, **API)
async def api_screen_all_eligible(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
) -> BulkScreeningView:
    """Mark every submitted entry still to screen eligible."""
    return BulkScreeningView(marked=await screening.mark_unscreened_eligible(db, actor, round_id, now))


# --- settings -----------------------------------------------------------------------------------------------


async def _settings(
    db: AsyncSession, actor: Actor, round_id: uuid.UUID, now: dt.datetime
) -> JudgingSettingsView:
    page = await settings_service.settings_page(db, actor, round_id, now)
    settings, summary = page.ctx.settings, page.summary
    return JudgingSettingsView(
        round_id=page.ctx.round.id,
        round=page.ctx.round.name,
        policy=settings.policy,
        judges_per_entry=settings.judges_per_entry,
        seed=settings.seed,
        closes_at=settings.closes_at,
        effective_closes_at=page.closes_at,
        public_vote=settings.public_vote,
        ranking_method=settings.ranking_method,
        state=page.state,
        summary=JudgingSummaryView(
            submitted=summary.submitted,
            unscreened=summary.unscreened,
            eligible=summary.eligible,
            ineligible=summary.ineligible,
            returned=summary.returned,
            judges_invited=summary.judges_invited,
            judges_accepted=summary.judges_accepted,
            assignments=summary.assignments,
            reviews_finalized=summary.reviews_finalized,
        ),
    )


@get(BASE + "/judging", name="judging:api_settings", **API)
async def api_show_settings(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
) -> JudgingSettingsView:
    """The round's judging settings and where it stands (entries, screening, judges, reviews)."""
    return await _settings(db, actor, round_id, now)


@patch(BASE + "/judging", name="judging:api_update_settings", **API)
async def api_update_settings(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[JudgingSettingsUpdate],
) -> JudgingSettingsView:
    """Change what is sent; `closes_at` must be after the round's deadline and not past (null: the
    challenge's end of judging applies)."""
    await settings_service.update_settings(db, actor, round_id, body_values(data), now)
    return await _settings(db, actor, round_id, now)


@post(BASE + "/judging/close", name="judging:api_close", status_code=200, **API)
async def api_close_judging(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
) -> JudgingSettingsView:
    """Close judging now (audited); 409 before the round's deadline or when already closed."""
    await settings_service.close_judging(db, actor, round_id, now)
    return await _settings(db, actor, round_id, now)


ROUTES: list[Any] = [
    api_show_rubric,
    api_add_criterion,
    api_update_criterion,
    api_remove_criterion,
    api_move_criterion,
    api_copy_rubric,
    api_list_screening,
    api_screen_entry,
    api_screen_all_eligible,
    api_show_settings,
    api_update_settings,
    api_close_judging,
]
