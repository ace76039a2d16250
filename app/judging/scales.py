"""A criterion's scale as judges use it: its levels with their descriptors, and the check of a value given.

A value is valid when it lies on the scale (min <= value <= max) and on a step from the minimum
((value - min) is a whole number of steps). Decimal arithmetic throughout, so 0.1 steps are exact.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from app.platform.i18n import format_number
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from app.judging.models import Criterion

# Above this many levels a scale is typed as a number rather than chosen among buttons.
MAX_BUTTONS = 11
COMMENT_MAX = 5000
OVERALL_COMMENT_MAX = 10_000
# Scales are stored as NUMERIC(8, 2): anything this large is off every scale.
LARGEST = Decimal(10) ** 9


class Scale(Protocol):
    """What checking a value reads of a criterion: a Criterion, or the columns a plain-row read loaded."""

    @property
    def scale_min(self) -> Decimal: ...
    @property
    def scale_max(self) -> Decimal: ...
    @property
    def scale_step(self) -> Decimal: ...


class BadValue(ValueError):
    """A value refused, with the message shown beside the criterion."""


@dataclasses.dataclass(frozen=True, slots=True)
class Level:
    value: Decimal
    descriptor: str

    @property
    def label(self) -> str:
        return number(self.value)


def number(value: Decimal | None) -> str:
    """A scale value as people read it, in their language: 7.5, 10 (never 1E+1), 7,5 in French."""
    if value is None:
        return ""
    if not abs(value) < LARGEST:
        return str(value)  # a typing slip like 1e400: shown as typed, it only needs to be refused
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        normalized = normalized.quantize(Decimal(1))
    return format_number(normalized)  # type: ignore[arg-type]


def _decimal(raw: Any) -> Decimal:
    try:
        return Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise BadValue(_("Enter a number.")) from None


def same_level(given: Any, level: Decimal) -> bool:
    """Whether a value shown on the page (saved, or just posted as text) is this level."""
    if given is None or given == "":
        return False
    try:
        return _decimal(given) == level
    except BadValue:
        return False


def descriptors(criterion: Criterion) -> dict[Decimal, str]:
    """The founders' text for each level that has one, by value."""
    found: dict[Decimal, str] = {}
    for item in criterion.descriptors or []:
        try:
            value = Decimal(str(item.get("value")))
        except (InvalidOperation, ValueError, AttributeError):
            continue
        text = str(item.get("text") or "").strip()
        if text and value.is_finite():
            found[value] = text
    return found


def level_count(criterion: Criterion) -> int:
    return int((criterion.scale_max - criterion.scale_min) / criterion.scale_step) + 1


def levels(criterion: Criterion) -> list[Level]:
    """Every level of a short scale (buttons), or only the described ones of a long scale (a guide)."""
    texts = descriptors(criterion)
    if level_count(criterion) > MAX_BUTTONS:
        return [Level(value, text) for value, text in sorted(texts.items())]
    values = [criterion.scale_min + index * criterion.scale_step for index in range(level_count(criterion))]
    return [Level(value, texts.get(value, "")) for value in values]


def uses_buttons(criterion: Criterion) -> bool:
    return level_count(criterion) <= MAX_BUTTONS


def checked_value(criterion: Scale, raw: Any) -> Decimal | None:
    """The value a judge gave, or None for "not scored yet"; BadValue with the reason otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = raw if isinstance(raw, Decimal) else _decimal(raw)
    if not value.is_finite():
        raise BadValue(_("Enter a number."))
    low, high, step = criterion.scale_min, criterion.scale_max, criterion.scale_step
    if not low <= value <= high:
        raise BadValue(
            _(
                "%(value)s is outside the scale: choose a value from %(min)s to %(max)s.",
                value=number(value),
                min=number(low),
                max=number(high),
            )
        )
    if (value - low) % step != 0:
        raise BadValue(
            _(
                "%(value)s is not a level of the scale: choose from %(min)s to %(max)s in steps of %(step)s.",
                value=number(value),
                min=number(low),
                max=number(high),
                step=number(step),
            )
        )
    return value


def checked_comment(raw: Any, limit: int = COMMENT_MAX) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise BadValue(_("Answer with text."))
    # PostgreSQL refuses NUL in text; browsers send \r\n, which would count twice against the limit.
    text = raw.replace("\x00", "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise BadValue(_("Use at most %(num)s characters.", num=limit))
    return text
