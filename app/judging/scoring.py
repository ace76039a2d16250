"""A judge's writes: scores per criterion with comments, the overall comment, finalizing a review.

Rules, in the order they are checked:
- only an assigned judge free of conflict reaches the entry (404 otherwise, 403 for founders and the team);
- only while the round's judging is open (409 before its deadline and after it closes, with the reason);
- values on the criterion's scale and step, comments of bounded length (422, by criterion).

Every write first upserts the (entry, judge) review with INSERT ... ON CONFLICT DO UPDATE, which both
creates it at most once and locks its row: concurrent autosaves of one review then run one after the
other, and the score itself is upserted on its primary key (review, criterion), so nothing is ever
duplicated. A finalized review stays finalized when edited while judging is open, so it never loses a
value (clearing one is refused); a changed value of a finalized review is audited, since the ranking
moves with it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.judging.models import Criterion, JudgingRound, Review, Score
from app.judging.reviews import EntryScope, load_entry, round_criteria
from app.judging.rounds import judging_settings
from app.judging.scales import OVERALL_COMMENT_MAX, BadValue, checked_comment, checked_value, number
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class ScoreInput:
    """What a judge sends for one criterion: a value (None: not scored yet) and a comment."""

    value: Any
    comment: Any = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Saved:
    scope: EntryScope
    review: Review
    at: dt.datetime
    # Whether this call finalized the review (False when it already was).
    finalized_now: bool = False


def score_key(criterion_id: uuid.UUID) -> str:
    return f"scores.{criterion_id}"


async def open_entry(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, now: dt.datetime
) -> EntryScope:
    """The entry, if the actor may review it and judging is open now (409 with the reason otherwise)."""
    scope = await load_entry(session, actor, submission_id, now)
    refusal = scope.clock.refusal(scope.timezone)
    if refusal is not None:
        raise Conflict(detail=refusal)
    return scope


async def locked_review(session: AsyncSession, actor: Actor, scope: EntryScope, now: dt.datetime) -> Review:
    """The actor's review of the entry, created if needed, its row locked until the transaction ends."""
    statement = (
        insert(Review)
        .values(
            id=uuid.uuid4(),
            submission_id=scope.submission.id,
            user_id=actor.id,
            round_id=scope.round.id,
            updated_at=now,
        )
        .on_conflict_do_update(index_elements=["submission_id", "user_id"], set_={"updated_at": now})
        .returning(Review)
    )
    review = await session.scalar(statement, execution_options={"populate_existing": True})
    assert review is not None
    return review


def _checked(
    criteria: Mapping[uuid.UUID, Criterion], given: Mapping[uuid.UUID, ScoreInput]
) -> dict[uuid.UUID, tuple[Decimal | None, str]]:
    """Every value and comment checked; InvalidInput listing each problem by `scores.<criterion id>`."""
    errors: dict[str, str] = {}
    checked: dict[uuid.UUID, tuple[Decimal | None, str]] = {}
    for criterion_id, item in given.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            errors[score_key(criterion_id)] = _("This is not a criterion of this round’s rubric.")
            continue
        try:
            checked[criterion_id] = (checked_value(criterion, item.value), checked_comment(item.comment))
        except BadValue as exc:
            errors[score_key(criterion_id)] = str(exc)
    if errors:
        raise InvalidInput(errors)
    return checked


async def _write_scores(
    session: AsyncSession,
    actor: Actor,
    review: Review,
    criteria: Mapping[uuid.UUID, Criterion],
    checked: Mapping[uuid.UUID, tuple[Decimal | None, str]],
    now: dt.datetime,
) -> None:
    """Upsert the scores on (review, criterion); on a finalized review, refuse a cleared value, audit changes."""
    if not checked:
        return
    if review.finalized_at is not None:
        cleared = {
            score_key(cid): _("This review is finalized: every criterion keeps a value.")
            for cid, (value, _c) in checked.items()
            if value is None
        }
        if cleared:
            raise InvalidInput(cleared)
        before = dict(
            (
                await session.execute(
                    select(Score.criterion_id, Score.value).where(Score.review_id == review.id)
                )
            )
            .tuples()
            .all()
        )
    rows = [
        {"review_id": review.id, "criterion_id": cid, "value": value, "comment": comment, "updated_at": now}
        for cid, (value, comment) in checked.items()
    ]
    statement = insert(Score).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["review_id", "criterion_id"],
            set_={
                "value": statement.excluded.value,
                "comment": statement.excluded.comment,
                "updated_at": now,
            },
        )
    )
    if review.finalized_at is not None:
        changed = {
            criteria[cid].name: {"from": number(before.get(cid)), "to": number(value)}
            for cid, (value, _c) in checked.items()
            if before.get(cid) != value
        }
        if changed:
            await audit.record(
                session, actor, "review:change_finalized", "review", review.id,
                {"submission_id": str(review.submission_id), "changed": changed},
            )  # fmt: skip


async def save_score(
    session: AsyncSession,
    actor: Actor,
    submission_id: uuid.UUID,
    criterion_id: uuid.UUID,
    given: ScoreInput,
    now: dt.datetime,
) -> Saved:
    """One criterion's value and comment (the page's autosave). 404 for a criterion of another round."""
    scope = await open_entry(session, actor, submission_id, now)
    criterion = await session.scalar(
        select(Criterion).where(Criterion.id == criterion_id, Criterion.round_id == scope.round.id)
    )
    if criterion is None:
        raise NotFoundException()
    criteria = {criterion.id: criterion}
    checked = _checked(criteria, {criterion.id: given})
    review = await locked_review(session, actor, scope, now)
    await _write_scores(session, actor, review, criteria, checked, now)
    return Saved(scope, review, now)


async def save_comment(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, comment: Any, now: dt.datetime
) -> Saved:
    """The review's overall comment (the page's autosave)."""
    scope = await open_entry(session, actor, submission_id, now)
    try:
        text = checked_comment(comment, OVERALL_COMMENT_MAX)
    except BadValue as exc:
        raise InvalidInput({"comment": str(exc)}) from None
    review = await locked_review(session, actor, scope, now)
    review.comment = text
    await session.flush()
    return Saved(scope, review, now)


async def save_review(
    session: AsyncSession,
    actor: Actor,
    submission_id: uuid.UUID,
    now: dt.datetime,
    *,
    scores: Mapping[uuid.UUID, ScoreInput],
    comment: Any = None,
) -> Saved:
    """Several criteria and the overall comment at once (the API's PUT), all or nothing.

    Criteria not mentioned keep their scores; a comment of None leaves the overall comment as it is."""
    scope = await open_entry(session, actor, submission_id, now)
    criteria = {criterion.id: criterion for criterion in await round_criteria(session, scope.round.id)}
    errors: dict[str, str] = {}
    checked: dict[uuid.UUID, tuple[Decimal | None, str]] = {}
    try:
        checked = _checked(criteria, scores)
    except InvalidInput as exc:
        errors.update(exc.errors)
    text = None
    if comment is not None:
        try:
            text = checked_comment(comment, OVERALL_COMMENT_MAX)
        except BadValue as exc:
            errors["comment"] = str(exc)
    if errors:
        raise InvalidInput(errors)
    review = await locked_review(session, actor, scope, now)
    await _write_scores(session, actor, review, criteria, checked, now)
    if text is not None:
        review.comment = text
        await session.flush()
    return Saved(scope, review, now)


async def finalize(session: AsyncSession, actor: Actor, submission_id: uuid.UUID, now: dt.datetime) -> Saved:
    """Mark the actor's review final once every criterion has a value (422 naming the missing ones).

    Audited. Finalizing a finalized review changes nothing. The review's lock makes a concurrent
    autosave wait, so the check sees every value saved before it."""
    scope = await open_entry(session, actor, submission_id, now)
    # A share lock on the round's settings row, which rubric changes lock for update: a finalize and a
    # rubric edit racing each other are serialized, so no criterion changes under a final review.
    await judging_settings(session, scope.round)
    await session.execute(
        select(JudgingRound.round_id)
        .where(JudgingRound.round_id == scope.round.id)
        .with_for_update(read=True)
    )
    criteria = await round_criteria(session, scope.round.id)
    if not criteria:
        raise Conflict(detail=_("This round’s rubric has no criteria yet: there is nothing to finalize."))
    review = await locked_review(session, actor, scope, now)
    scored = set(
        await session.scalars(
            select(Score.criterion_id).where(Score.review_id == review.id, Score.value.is_not(None))
        )
    )
    missing = [criterion for criterion in criteria if criterion.id not in scored]
    if missing:
        errors = {
            "finalize": _(
                "Score every criterion before finalizing. Missing: %(names)s.",
                names=", ".join(c.name for c in missing),
            )
        }
        errors.update({score_key(c.id): _("Score this criterion before finalizing.") for c in missing})
        raise InvalidInput(errors)
    if review.finalized_at is not None:
        return Saved(scope, review, now)
    review.finalized_at = now
    await session.flush()
    await audit.record(
        session, actor, "review:finalize", "review", review.id,
        {"submission_id": str(scope.submission.id), "round_id": str(scope.round.id), "team": scope.team.name},
    )  # fmt: skip
    return Saved(scope, review, now, finalized_now=True)
