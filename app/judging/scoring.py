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
import functools
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from litestar.exceptions import NotFoundException
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.sql.dml import ReturningInsert

from app.judging.models import JudgingRound, Review, Score
from app.judging.queue import Clock
from app.judging.reviews import EntryScope, load_entry, load_score_target, round_criteria
from app.judging.rounds import judging_settings
from app.judging.scales import OVERALL_COMMENT_MAX, BadValue, Scale, checked_comment, checked_value, number
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class ScoreInput:
    """What a judge sends for one criterion: a value (None: not scored yet) and a comment."""

    value: Any
    comment: Any = ""


class NamedScale(Scale, Protocol):
    """A criterion as a write reads it: its scale, and its name for the audit."""

    @property
    def name(self) -> str: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Saved:
    review: LockedReview
    at: dt.datetime
    timezone: str  # the challenge's, in which the answer says when it was saved
    team_name: str
    # Whether this call finalized the review (False when it already was).
    finalized_now: bool = False


def _saved(
    scope: EntryScope, review: LockedReview, now: dt.datetime, *, finalized_now: bool = False
) -> Saved:
    return Saved(review, now, scope.timezone, scope.team.name, finalized_now)


def score_key(criterion_id: uuid.UUID) -> str:
    return f"scores.{criterion_id}"


async def open_entry(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, now: dt.datetime
) -> EntryScope:
    """The entry, if the actor may review it and judging is open now (409 with the reason otherwise)."""
    scope = await load_entry(session, actor, submission_id, now)
    _require_open(scope.clock, scope.timezone)
    return scope


def _require_open(clock: Clock, timezone: str) -> None:
    refusal = clock.refusal(timezone)
    if refusal is not None:
        raise Conflict(detail=refusal)


_REVIEWS = cast("Table", Review.__table__)


@dataclasses.dataclass(frozen=True, slots=True)
class LockedReview:
    """The actor's review as a write holds it: locked until the transaction ends."""

    id: uuid.UUID
    submission_id: uuid.UUID
    finalized_at: dt.datetime | None


@functools.cache
def _review_upsert() -> ReturningInsert[Any]:
    # Built once and run on the table, not the mapped class: the autosave runs it on every change, and
    # neither a fresh compilation nor the ORM's DML path is needed to hold a lock and read three columns.
    table = _REVIEWS
    statement = insert(table).values(
        id=bindparam("id"),
        submission_id=bindparam("submission_id"),
        user_id=bindparam("user_id"),
        round_id=bindparam("round_id"),
        updated_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["submission_id", "user_id"], set_={"updated_at": statement.excluded.updated_at}
    ).returning(table.c.id, table.c.submission_id, table.c.finalized_at)


async def locked_review(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, round_id: uuid.UUID, now: dt.datetime
) -> LockedReview:
    """The actor's review of the entry, created if needed, its row locked until the transaction ends."""
    params = {
        "id": uuid.uuid4(),
        "submission_id": submission_id,
        "user_id": actor.id,
        "round_id": round_id,
        "now": now,
    }
    row = (await session.execute(_review_upsert(), params)).one()
    return LockedReview(row.id, row.submission_id, row.finalized_at)


async def _update_review(session: AsyncSession, review: LockedReview, **values: Any) -> None:
    await session.execute(update(_REVIEWS).where(_REVIEWS.c.id == review.id).values(**values))


def _checked(
    criteria: Mapping[uuid.UUID, Scale], given: Mapping[uuid.UUID, ScoreInput]
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


@functools.cache
def _score_upsert() -> Insert:
    # Built once: an upsert made anew for each autosave was compiled anew too (its `excluded` columns
    # defeat SQLAlchemy's statement cache), which cost more than the rest of the write.
    statement = insert(Score)
    return statement.on_conflict_do_update(
        index_elements=["review_id", "criterion_id"],
        set_={
            "value": statement.excluded.value,
            "comment": statement.excluded.comment,
            "updated_at": statement.excluded.updated_at,
        },
    )


async def _write_scores(
    session: AsyncSession,
    actor: Actor,
    review: LockedReview,
    criteria: Mapping[uuid.UUID, NamedScale],
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
            ).all()
        )
    rows = [
        {"review_id": review.id, "criterion_id": cid, "value": value, "comment": comment, "updated_at": now}
        for cid, (value, comment) in checked.items()
    ]
    await session.execute(_score_upsert(), rows)
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
    """One criterion's value and comment (the page's autosave). 404 for a criterion of another round.

    The same checks as every write, in the same order, from one plain-row read (the autosave runs on every
    change a judge makes); the review's lock and the score's upsert stay on the session."""
    target = await load_score_target(session, actor, submission_id, criterion_id, now)
    _require_open(target.clock, target.timezone)
    if target.criterion is None:
        raise NotFoundException()
    criteria = {criterion_id: target.criterion}
    checked = _checked(criteria, {criterion_id: given})
    review = await locked_review(session, actor, target.submission_id, target.round_id, now)
    await _write_scores(session, actor, review, criteria, checked, now)
    return Saved(review, now, target.timezone, target.team_name)


async def save_comment(
    session: AsyncSession, actor: Actor, submission_id: uuid.UUID, comment: Any, now: dt.datetime
) -> Saved:
    """The review's overall comment (the page's autosave)."""
    scope = await open_entry(session, actor, submission_id, now)
    try:
        text = checked_comment(comment, OVERALL_COMMENT_MAX)
    except BadValue as exc:
        raise InvalidInput({"comment": str(exc)}) from None
    review = await locked_review(session, actor, scope.submission.id, scope.round.id, now)
    await _update_review(session, review, comment=text)
    return _saved(scope, review, now)


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
    review = await locked_review(session, actor, scope.submission.id, scope.round.id, now)
    await _write_scores(session, actor, review, criteria, checked, now)
    if text is not None:
        await _update_review(session, review, comment=text)
    return _saved(scope, review, now)


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
    review = await locked_review(session, actor, scope.submission.id, scope.round.id, now)
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
        return _saved(scope, review, now)
    await _update_review(session, review, finalized_at=now)
    review = dataclasses.replace(review, finalized_at=now)
    await audit.record(
        session, actor, "review:finalize", "review", review.id,
        {"submission_id": str(scope.submission.id), "round_id": str(scope.round.id), "team": scope.team.name},
    )  # fmt: skip
    return _saved(scope, review, now, finalized_now=True)
