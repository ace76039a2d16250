"""Agreement between judges: Krippendorff's alpha over their 0-100 totals, and what it means in plain words.

Alpha compares how much judges disagree about the same entry (observed disagreement, D_o) with how
much any two totals of the round differ (expected disagreement, D_e): alpha = 1 - D_o / D_e. It is 1
when judges agree perfectly, 0 when their agreement is what chance would give, negative when they
disagree systematically. Units are entries, coders are judges; an entry seen by only one judge has no
pairable value and is left out, so judges who saw different subsets (k judges per entry) are fine.

We follow Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): values are pairable
within a unit; each ordered pair of values of a unit with m_u values adds 1/(m_u - 1) to the
coincidence matrix; n is the number of pairable values. For interval data the difference is
(c - k)^2, and the sums over pairs are done with running sums (sum of squares and square of sums),
so a round of 10,000 totals costs O(n) instead of a values-by-values matrix. Nominal, ordinal and
ratio differences go through the coincidence matrix (small value sets; they exist for the tests
against the paper's worked example and for completeness).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import CTE, Float, Subquery, cast, func, select

from app.judging.ranking import judge_totals
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Level = Literal["nominal", "ordinal", "interval", "ratio"]
# Krippendorff's own guidance: rely on data with alpha >= .800, draw tentative conclusions from
# .667 to .800, and not on data below .667.
GOOD = 0.8
TENTATIVE = 0.667


@dataclasses.dataclass(frozen=True, slots=True)
class Agreement:
    alpha: float | None  # None when it cannot be computed (no pairable values, or no variation at all)
    units: int  # entries with at least two judges' totals
    pairable: int  # totals in those entries

    @property
    def verdict(self) -> str:
        """ "good", "tentative", "low" or "unknown": a key for templates and the API."""
        if self.alpha is None:
            return "unknown"
        if self.alpha >= GOOD:
            return "good"
        return "tentative" if self.alpha >= TENTATIVE else "low"

    def explanation(self) -> str:
        """The verdict in plain words, for founders."""
        if self.alpha is None:
            return _(
                "Not enough ratings yet: agreement needs entries scored by at least two judges, with "
                "some difference between totals."
            )
        return {
            "good": _(
                "Good agreement: judges largely see the entries the same way. The ranking can be relied on."
            ),
            "tentative": _(
                "Moderate agreement: judges partly disagree. Use the ranking with care and discuss the "
                "flagged entries."
            ),
            "low": _(
                "Low agreement: judges see the entries quite differently. Discuss the criteria and the "
                "flagged entries before relying on the ranking."
            ),
        }[self.verdict]


def krippendorff_alpha(
    units: Iterable[Sequence[float | Hashable | None]], level: Level = "interval"
) -> float | None:
    """Alpha for reliability data given unit by unit (each a sequence of the coders' values, None when
    missing). None when undefined: fewer than two pairable values, or every pairable value equal."""
    values = [[value for value in unit if value is not None] for unit in units]
    pairable = [unit for unit in values if len(unit) >= 2]
    if level == "interval":
        return _interval_alpha(pairable)
    return _matrix_alpha(pairable, level)


def _interval_alpha(units: list[list[float | Hashable]]) -> float | None:
    sums = []
    for unit in units:
        numbers = [float(value) for value in unit]  # type: ignore[arg-type]
        sums.append((len(numbers), sum(numbers), sum(v * v for v in numbers)))
    return _interval_alpha_of_sums(sums)


def _interval_alpha_of_sums(units: Iterable[tuple[int, float, float]]) -> float | None:
    """Interval alpha from each pairable unit's (m, sum of values, sum of squares).
    Over the ordered pairs of a list of m values: sum (a - b)^2 = 2 m sum(v^2) - 2 (sum v)^2."""
    n = 0
    total = squares = observed = 0.0
    for m, s1, s2 in units:
        observed += (2 * m * s2 - 2 * s1 * s1) / (m - 1)
        n += m
        total += s1
        squares += s2
    return _interval_alpha_of_totals(n, total, squares, observed)


def _interval_alpha_of_totals(n: int, total: float, squares: float, observed: float) -> float | None:
    """Interval alpha from the sums over every pairable unit: n values, their sum and sum of squares, and
    the observed disagreement (each unit's sum over its ordered pairs of (a - b)^2, divided by m - 1)."""
    if n < 2:
        return None
    expected = (2 * n * squares - 2 * total * total) / (n - 1)
    if expected <= 1e-12 * max(1.0, squares):
        return None
    return 1 - observed / expected


def _matrix_alpha(units: list[list[float | Hashable]], level: Level) -> float | None:
    coincidences: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for unit in units:
        counts = Counter(unit)
        m = len(unit)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    coincidences[(c, k)] += pairs / (m - 1)
    marginals: dict[Hashable, float] = defaultdict(float)
    for (c, _k), weight in coincidences.items():
        marginals[c] += weight
    n = sum(marginals.values())
    if n < 2 or len(marginals) < 2:
        return None
    delta = _difference(level, marginals)
    observed = sum(weight * delta(c, k) for (c, k), weight in coincidences.items())
    expected = sum(n_c * n_k * delta(c, k) for c, n_c in marginals.items() for k, n_k in marginals.items())
    return None if expected == 0 else 1 - (n - 1) * observed / expected


def _difference(level: Level, marginals: Mapping[Any, float]):
    """The squared difference function of the level (Krippendorff 2011, section on metrics)."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "ratio":
        return lambda c, k: 0.0 if c == k else ((c - k) / (c + k)) ** 2
    if level != "ordinal":
        raise ValueError(f"unknown level of measurement {level!r}")
    ordered = sorted(marginals)
    position = {value: index for index, value in enumerate(ordered)}
    cumulative = [0.0]
    for value in ordered:
        cumulative.append(cumulative[-1] + marginals[value])

    def ordinal(c: Hashable, k: Hashable) -> float:
        low, high = sorted((position[c], position[k]))
        between = cumulative[high + 1] - cumulative[low]  # n_g for g from low to high, both included
        return (between - (marginals[c] + marginals[k]) / 2) ** 2

    return ordinal


AGREEMENT_SUMS = ("units", "pairable", "total", "squares", "observed")  # the columns of agreement_sums


def agreement_sums(totals: CTE) -> Subquery:
    """A one-row subquery of everything interval alpha needs over the ranking's totals (`judge_totals`):
    units (entries with at least two totals), pairable (their totals), total, squares and observed (see
    `_interval_alpha_of_totals`). PostgreSQL sums 2,000 entries' figures instead of sending them; a page
    may join it to another query over the same totals, which PostgreSQL then computes once."""
    value = cast(totals.c.total, Float)
    units = (
        select(
            cast(func.count(), Float).label("m"),
            func.sum(value).label("s1"),
            func.sum(value * value).label("s2"),
        )
        .group_by(totals.c.submission_id)
        .having(func.count() >= 2)
        .subquery("pairable")
    )
    m, s1, s2 = units.c.m, units.c.s1, units.c.s2
    return select(
        func.count().label("units"),
        func.coalesce(func.sum(m), 0.0).label("pairable"),
        func.coalesce(func.sum(s1), 0.0).label("total"),
        func.coalesce(func.sum(s2), 0.0).label("squares"),
        func.coalesce(func.sum((2 * m * s2 - 2 * s1 * s1) / (m - 1)), 0.0).label("observed"),
    ).subquery("agreement")


def agreement_of_sums(
    units: int, pairable: float, total: float, squares: float, observed: float
) -> Agreement:
    """The Agreement from the columns of `agreement_sums`."""
    n = int(pairable)
    return Agreement(alpha=_interval_alpha_of_totals(n, total, squares, observed), units=units, pairable=n)


async def round_agreement(session: AsyncSession, round_id: uuid.UUID) -> Agreement:
    """Alpha (interval) over the judges' counted 0-100 totals of the round, in one query."""
    sums = agreement_sums(judge_totals(round_id))
    row = (await session.execute(select(sums))).one()
    return agreement_of_sums(*row)


def agreement_of(totals: Iterable[tuple[Hashable, object]]) -> Agreement:
    """Agreement from (entry, total) pairs, one pair per counted review."""
    by_entry: dict[Hashable, list[float]] = defaultdict(list)
    for entry, total in totals:
        by_entry[entry].append(float(total))  # type: ignore[arg-type]
    pairable = [values for values in by_entry.values() if len(values) >= 2]
    return Agreement(
        alpha=_interval_alpha(pairable),  # type: ignore[arg-type]
        units=len(pairable),
        pairable=sum(len(values) for values in pairable),
    )
