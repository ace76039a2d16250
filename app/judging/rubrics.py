"""A round's rubric: criteria with a weight, a scale (min, max, step) and what each level of the scale means.

Invariants kept here:
- A scale has max > min, step > 0 and lands on max: (max - min) is a whole number of steps, so its levels
  are min, min + step, ..., max; at most LEVELS_MAX of them (a judge reads every descriptor).
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
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select

from app.challenges.choices import when
from app.challenges.inputs import Errors, line, markdown
from app.challenges.models import Challenge, ChallengeOrganizer, Round
from app.challenges.prizes import moved
from app.judging.models import Criterion, Review
from app.judging.setup import plain_number, setup_round
from app.organizations.models import OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.judging.rounds import RoundContext

NAME_MAX = 200
DESCRIPTION_MAX = 2_000
DESCRIPTOR_MAX = 500
CRITERIA_MAX = 30
LEVELS_MAX = 21
WEIGHT_MAX = Decimal(1000)
SCALE_LIMIT = Decimal(10_000)
CENT = Decimal("0.01")
# A new criterion starts on the scale most rubrics use.
DEFAULT_SCALE = {"scale_min": "1", "scale_max": "5", "scale_step": "1", "weight": "1"}


@dataclasses.dataclass(frozen=True, slots=True)
class Level:
    value: Decimal
    text: str

    @property
    def key(self) -> str:
        return plain_number(self.value)


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


def levels(criterion: Criterion) -> list[Level]:
    """Every level of the criterion's scale, with its descriptor (empty when none was written)."""
    texts = descriptor_texts(criterion.descriptors)
    values = scale_values(criterion.scale_min, criterion.scale_max, criterion.scale_step)
    return [Level(value, texts.get(plain_number(value), "")) for value in values]


def scale_values(low: Decimal, high: Decimal, step: Decimal) -> list[Decimal]:
    count = int((high - low) / step) + 1
    return [low + step * index for index in range(count)]


def descriptor_texts(descriptors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {plain_number(item["value"]): str(item.get("text", "")) for item in descriptors if "value" in item}


# --- input -------------------------------------------------------------------------------------------


def _decimal(
    errors: Errors, name: str, value: Any, message: str, *, low: Decimal, high: Decimal
) -> Decimal | None:
    """A number from a form ("2,5" or "2.5") or JSON, with at most two decimals, within [low, high]."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        errors.first(name, message)
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        number = None
    if (
        number is None
        or not number.is_finite()
        or number != number.quantize(CENT)
        or not low <= number <= high
    ):
        errors.first(name, message)
        return None
    return number


def _scale(errors: Errors, values: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal] | None:
    limits = {"low": -SCALE_LIMIT, "high": SCALE_LIMIT}
    bound = _(
        "Enter a number between %(low)s and %(high)s, with at most two decimals.",
        low=-SCALE_LIMIT,
        high=SCALE_LIMIT,
    )
    low = _decimal(errors, "scale_min", values.get("scale_min"), bound, **limits)
    high = _decimal(errors, "scale_max", values.get("scale_max"), bound, **limits)
    step = _decimal(
        errors,
        "scale_step",
        values.get("scale_step"),
        _("Enter a step greater than 0, with at most two decimals."),
        low=CENT,
        high=2 * SCALE_LIMIT,
    )
    if low is None or high is None or step is None:
        return None
    if high <= low:
        errors.first("scale_max", _("The highest value must be above the lowest one."))
        return None
    if (high - low) % step:
        errors.first(
            "scale_step",
            _(
                "Steps of %(step)s from %(low)s do not land on %(high)s: choose a step that divides %(range)s.",
                step=plain_number(step),
                low=plain_number(low),
                high=plain_number(high),
                range=plain_number(high - low),
            ),
        )
        return None
    count = int((high - low) / step) + 1
    if count > LEVELS_MAX:
        errors.first(
            "scale_step",
            _(
                "This scale has %(num)s levels; use at most %(max)s (a larger step or a narrower range).",
                num=count,
                max=LEVELS_MAX,
            ),
        )
        return None
    return low, high, step


def _descriptors(
    errors: Errors,
    values: Mapping[str, Any],
    scale: tuple[Decimal, Decimal, Decimal],
    kept: Mapping[str, str],
    strict: bool,
) -> list[dict[str, Any]]:
    """One {"value", "text"} per level: the text given for it, else the one it had. `strict` (the API)
    refuses texts for values that are not levels; a form's texts for the levels of a scale just changed
    are dropped instead."""
    given: Mapping[str, Any] = values.get("descriptors") or {}
    wanted = {plain_number(value): value for value in scale_values(*scale)}
    if strict and (unknown := sorted(set(given) - set(wanted))):
        errors.first("descriptors", _("%(value)s is not a level of this scale.", value=unknown[0]))
    result = []
    for key, value in wanted.items():
        text = " ".join(str(given[key]).split()) if key in given else kept.get(key, "")
        if len(text) > DESCRIPTOR_MAX:
            errors.first(f"level.{key}", _("Use at most %(num)s characters.", num=DESCRIPTOR_MAX))
        result.append(
            {"value": int(value) if value == value.to_integral_value() else float(value), "text": text}
        )
    return result


def criterion_input(
    values: Mapping[str, Any], current: Criterion | None = None, *, strict: bool = False
) -> dict[str, Any]:
    """Checked values of a criterion. With `current` (an update), absent fields keep their value.

    `values["descriptors"]` maps a level's value as text ("2.5") to its descriptor."""
    base: dict[str, Any] = (
        {}
        if current is None
        else {
            "name": current.name,
            "description": current.description,
            "weight": current.weight,
            "scale_min": current.scale_min,
            "scale_max": current.scale_max,
            "scale_step": current.scale_step,
        }
    )
    merged = {**base, **{key: value for key, value in values.items() if key != "descriptors"}}
    errors = Errors()
    data: dict[str, Any] = {
        "name": line(errors, "name", merged.get("name"), maximum=NAME_MAX),
        "description": markdown(errors, "description", merged.get("description"), maximum=DESCRIPTION_MAX),
        "weight": _decimal(
            errors,
            "weight",
            merged.get("weight"),
            _(
                "Enter a weight greater than 0 and at most %(max)s, with at most two decimals.",
                max=WEIGHT_MAX,
            ),
            low=CENT,
            high=WEIGHT_MAX,
        ),
    }
    scale = _scale(errors, merged)
    if scale is not None:
        data["scale_min"], data["scale_max"], data["scale_step"] = scale
        kept = descriptor_texts(current.descriptors) if current is not None else {}
        data["descriptors"] = _descriptors(errors, values, scale, kept, strict)
    errors.raise_any()
    return data


def form_levels(values: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """The levels a criterion form's scale gives, with the texts typed for them; None while the scale is wrong."""
    scale = _scale(Errors(), values)
    if scale is None:
        return None
    typed: Mapping[str, Any] = values.get("descriptors") or {}
    return [(key, str(typed.get(key, ""))) for key in map(plain_number, scale_values(*scale))]


def scale_errors(values: Mapping[str, Any]) -> dict[str, str]:
    errors = Errors()
    _scale(errors, values)
    return dict(errors)


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
