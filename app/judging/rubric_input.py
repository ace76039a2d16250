"""What a rubric's criterion is made of, checked field by field: a name, a description, a weight and a scale
(min, max, step) with a descriptor per level. Numbers come from forms ("2,5" or "2.5") or JSON; a scale has
max > min, step > 0 and lands on max ((max - min) is a whole number of steps), with at most LEVELS_MAX
levels, since a judge reads every descriptor."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from app.challenges.inputs import Errors, line, markdown
from app.judging.setup import plain_number
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from app.judging.models import Criterion

NAME_MAX = 200
DESCRIPTION_MAX = 2_000
DESCRIPTOR_MAX = 500
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
