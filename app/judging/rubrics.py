"""A round's rubric: criteria with a weight, a scale (min, max, step) and what each level of the scale means.

Invariants kept here:
- A scale has max > min, step > 0 and lands on max, with at most 21 levels (app.judging.rubric_input).
- Weights are > 0; the page shows each as its share of the total.
- The rubric is frozen once a judge finalized the first review of the round: scores already given would
  change meaning. Every change is then refused (409) with that explanation. Changes lock the round's
  judging settings row, so two founders editing the order at once never interleave.
- Copying fills an empty rubric only, from a round of a challenge the founder runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select

from app.challenges.choices import when
from app.challenges.models import Challenge, ChallengeOrganizer, Round
from app.challenges.prizes import moved
from app.judging.models import Criterion, Review
from app.judging.rubric_input import criterion_input
from app.judging.setup import setup_round
from app.organizations.models import OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.judging.rounds import RoundContext

CRITERIA_MAX = 30


@dataclasses.dataclass(frozen=True, slots=True)
class SourceRound:
    """A round whose rubric the founder may copy."""

    round_id: uuid.UUID
    round_name: str
    challenge_title: str
    criteria: int


@dataclasses.dataclass(frozen=True, slots=True)
class Rubric:
    ctx: RoundContext
    criteria: list[Criterion]
    # When the first review was finalized: the rubric is frozen since then (None while editable).
    frozen_since: dt.datetime | None
    sources: list[SourceRound]

    @property
    def total_weight(self) -> Decimal:
        return sum((c.weight for c in self.criteria), Decimal(0))

    def share(self, criterion: Criterion) -> Decimal:
        """The criterion's weight as a percentage of the total, to one decimal."""
        total = self.total_weight
        return (criterion.weight * 100 / total).quantize(Decimal("0.1")) if total else Decimal(0)

    @property
    def frozen_message(self) -> str | None:
        if self.frozen_since is None:
            return None
        return frozen_message(self.frozen_since, self.ctx.challenge.timezone)


def frozen_message(since: dt.datetime, timezone: str) -> str:
    return _(
        "The rubric is frozen since %(date)s, when a judge finalized the first review of this round: "
        "changing criteria, weights or scales now would change what the scores already given mean.",
        date=when(since, timezone),
    )


# --- reading -----------------------------------------------------------------------------------------


async def frozen_since(session: AsyncSession, round_id: uuid.UUID) -> dt.datetime | None:
    """When the round's first review was finalized, or None: the rubric is editable until then."""
    return await session.scalar(
        select(func.min(Review.finalized_at)).where(
            Review.round_id == round_id, Review.finalized_at.is_not(None)
        )
    )


async def _criteria(session: AsyncSession, round_id: uuid.UUID) -> list[Criterion]:
    return list(
        await session.scalars(
            select(Criterion).where(Criterion.round_id == round_id).order_by(Criterion.position, Criterion.id)
        )
    )


async def copy_sources(session: AsyncSession, actor: Actor, round_id: uuid.UUID) -> list[SourceRound]:
    """The rounds with criteria, other than this one, of every challenge the actor founds (one query)."""
    founds = (
        select(ChallengeOrganizer.challenge_id)
        .join(OrganizationMember, OrganizationMember.organization_id == ChallengeOrganizer.organization_id)
        .where(ChallengeOrganizer.challenge_id == Challenge.id, OrganizationMember.user_id == actor.id)
        .exists()
    )
    rows = await session.execute(
        select(Round.id, Round.name, Challenge.title, func.count(Criterion.id))
        .join(Challenge, Challenge.id == Round.challenge_id)
        .join(Criterion, Criterion.round_id == Round.id)
        .where(founds, Round.id != round_id)
        .group_by(Round.id, Round.name, Round.position, Challenge.id, Challenge.title)
        .order_by(func.lower(Challenge.title), Challenge.id, Round.position)
    )
    return [SourceRound(*row) for row in rows.all()]


async def rubric(
    session: AsyncSession,
    actor: Actor | None,
    round_id: uuid.UUID,
    *,
    slug: str | None = None,
    action: str = "rubric:view",
) -> Rubric:
    """The round's criteria in order, whether it is frozen and, for founders, the rubrics they may copy."""
    ctx = await setup_round(session, actor, round_id, action, slug=slug)
    sources = (
        await copy_sources(session, actor, round_id)
        if actor is not None and ctx.can(actor, "rubric:edit")
        else []
    )
    return Rubric(ctx, await _criteria(session, round_id), await frozen_since(session, round_id), sources)


# --- changing ------------------------------------------------------------------------------------------


async def _editable(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, slug: str | None
) -> tuple[RoundContext, list[Criterion]]:
    """The round for a change to its rubric: founders only, settings row locked, refused once frozen."""
    ctx = await setup_round(session, actor, round_id, "rubric:edit", slug=slug, for_update=True)
    since = await frozen_since(session, round_id)
    if since is not None:
        raise Conflict(detail=frozen_message(since, ctx.challenge.timezone))
    return ctx, await _criteria(session, round_id)


def _find(criteria: Sequence[Criterion], criterion_id: uuid.UUID) -> Criterion:
    for criterion in criteria:
        if criterion.id == criterion_id:
            return criterion
    raise NotFoundException()


async def add_criterion(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    slug: str | None = None,
    strict: bool = False,
) -> Criterion:
    """Append a criterion after the existing ones (at most CRITERIA_MAX)."""
    _ctx, criteria = await _editable(session, actor, round_id, slug)
    data = criterion_input(values, strict=strict)
    if len(criteria) >= CRITERIA_MAX:
        raise InvalidInput({"name": _("A rubric has at most %(num)s criteria.", num=CRITERIA_MAX)})
    position = max((c.position for c in criteria), default=0) + 1
    criterion = Criterion(round_id=round_id, position=position, **data)
    session.add(criterion)
    await session.flush()
    return criterion


async def update_criterion(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    criterion_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    slug: str | None = None,
    strict: bool = False,
) -> Criterion:
    """Change what is given of a criterion; descriptors follow their level's value through a scale change."""
    _ctx, criteria = await _editable(session, actor, round_id, slug)
    criterion = _find(criteria, criterion_id)
    for name, value in criterion_input(values, criterion, strict=strict).items():
        setattr(criterion, name, value)
    await session.flush()
    return criterion


async def remove_criterion(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    criterion_id: uuid.UUID,
    *,
    slug: str | None = None,
) -> None:
    """Delete a criterion (draft scores given on it go with it: nothing is final before the freeze)."""
    _ctx, criteria = await _editable(session, actor, round_id, slug)
    criterion = _find(criteria, criterion_id)
    await session.delete(criterion)
    _renumber([c for c in criteria if c is not criterion])
    await session.flush()


async def move_criterion(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    criterion_id: uuid.UUID,
    direction: str,
    *,
    slug: str | None = None,
) -> None:
    """Move a criterion one place up or down (unchanged at either end)."""
    _ctx, criteria = await _editable(session, actor, round_id, slug)
    _renumber(moved(criteria, criteria.index(_find(criteria, criterion_id)), direction))
    await session.flush()


def _renumber(criteria: Sequence[Criterion]) -> None:
    for position, criterion in enumerate(criteria, 1):
        criterion.position = position


async def copy_rubric(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    source_round_id: uuid.UUID | None,
    *,
    slug: str | None = None,
) -> list[Criterion]:
    """Fill an empty rubric with copies of another round's criteria (a round of a challenge the actor founds)."""
    ctx, criteria = await _editable(session, actor, round_id, slug)
    if source_round_id is None:
        raise InvalidInput({"source_round_id": _("Choose the round whose rubric to copy.")})
    if source_round_id == round_id:
        raise InvalidInput({"source_round_id": _("Choose another round than this one.")})
    if criteria:
        raise Conflict(
            detail=_(
                "This rubric already has criteria: a copy only fills an empty rubric. "
                "Remove its criteria first to replace them."
            )
        )
    source = await setup_round(session, actor, source_round_id, "rubric:edit")
    originals = await _criteria(session, source_round_id)
    if not originals:
        raise Conflict(detail=_("%(round)s has no criteria to copy.", round=source.round.name))
    copies = [
        Criterion(
            round_id=round_id,
            position=position,
            name=c.name,
            description=c.description,
            weight=c.weight,
            scale_min=c.scale_min,
            scale_max=c.scale_max,
            scale_step=c.scale_step,
            descriptors=[dict(item) for item in c.descriptors],
        )
        for position, c in enumerate(originals, 1)
    ]
    session.add_all(copies)
    await audit.record(
        session,
        actor,
        "rubric:copy",
        "round",
        ctx.round.id,
        {"challenge": ctx.challenge.slug, "from_round": str(source_round_id), "criteria": len(copies)},
    )
    await session.flush()
    return copies
