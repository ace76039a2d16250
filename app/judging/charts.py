"""Each judge's distribution of 0-100 totals, summarised in SQL and drawn as a server-rendered SVG box plot.

One row per judge on a shared 0-100 axis: the box spans the middle half of their totals (first to
third quartile) with the median inside, the whiskers reach their lowest and highest totals, and a dot
marks their mean. Boxes sitting to the right belong to lenient judges, to the left to harsh ones; a
narrow box is a judge who barely separates entries. The numbers come from one aggregate query over
the ranking's totals; the geometry is computed here so the template only places shapes (no JavaScript).
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Float, bindparam, cast, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY, array

from app.accounts.models import User
from app.judging.agreement import AGREEMENT_SUMS, Agreement, agreement_of_sums, agreement_sums
from app.judging.ranking import judge_totals
from app.platform.rows import Query

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# Drawing sizes, in SVG user units (the chart scales to its container's width).
LABEL_WIDTH = 170
PLOT_WIDTH = 520
RIGHT_MARGIN = 20
ROW_HEIGHT = 34
TOP = 14
AXIS_HEIGHT = 40
TICKS = tuple(range(0, 101, 10))


@dataclasses.dataclass(frozen=True, slots=True)
class JudgeDistribution:
    judge_id: uuid.UUID
    name: str
    count: int
    mean: float
    sd: float
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float


@dataclasses.dataclass(frozen=True, slots=True)
class BoxRow:
    """One judge's shapes: x positions in SVG units, y of the row's centre line."""

    judge: JudgeDistribution
    y: float
    x_min: float
    x_q1: float
    x_median: float
    x_q3: float
    x_max: float
    x_mean: float


@dataclasses.dataclass(frozen=True, slots=True)
class BoxChart:
    rows: list[BoxRow]
    width: int
    height: int
    plot_left: int
    plot_right: int
    axis_y: float
    ticks: list[tuple[int, float]]  # (value, x)
    row_height: int
    panel_mean: float | None  # the mean of every counted total, to compare each judge with


@functools.cache
def _distributions_query() -> Query:
    """Per judge with counted reviews: count, mean, SD (population), min, quartiles, max, each row with the
    round's agreement sums (agreement.agreement_sums) over the same totals, which PostgreSQL computes once.
    A plain-row read compiled once. Parameter: round_id."""
    totals = judge_totals(bindparam("round_id"))
    total = cast(totals.c.total, Float)
    quartiles = func.percentile_cont(cast(array([0.25, 0.5, 0.75]), ARRAY(Float))).within_group(total)
    agreed = agreement_sums(totals)
    return Query(
        select(
            totals.c.judge_id,
            User.name,
            func.count().label("count"),
            func.avg(total).label("mean"),
            func.coalesce(func.stddev_pop(total), 0).label("sd"),
            func.min(total).label("minimum"),
            quartiles.label("quartiles"),
            func.max(total).label("maximum"),
            *agreed.c,
        )
        .join(User, User.id == totals.c.judge_id)
        .join(agreed, true())
        .group_by(totals.c.judge_id, User.name, *agreed.c)
        .order_by(func.lower(User.name), totals.c.judge_id)
    )


async def judge_distributions(
    session: AsyncSession, round_id: uuid.UUID
) -> tuple[list[JudgeDistribution], Agreement]:
    """Each judge's distribution of counted totals, and the round's agreement between judges: one query."""
    rows = await _distributions_query().all(session, round_id=round_id)
    distributions = [
        JudgeDistribution(
            judge_id=row["judge_id"],
            name=row["name"],
            count=row["count"],
            mean=float(row["mean"]),
            sd=float(row["sd"]),
            minimum=float(row["minimum"]),
            q1=float(row["quartiles"][0]),
            median=float(row["quartiles"][1]),
            q3=float(row["quartiles"][2]),
            maximum=float(row["maximum"]),
        )
        for row in rows
    ]
    # Without any counted total there is no judge's row to carry the agreement, and nothing to agree on.
    sums = [rows[0][key] for key in AGREEMENT_SUMS] if rows else [0, 0, 0, 0, 0]
    return distributions, agreement_of_sums(*sums)


def box_chart(distributions: list[JudgeDistribution]) -> BoxChart:
    """The geometry of the box plot: one row per judge on one 0-100 axis."""
    left, right = LABEL_WIDTH, LABEL_WIDTH + PLOT_WIDTH

    def x(value: float | Decimal) -> float:
        clamped = min(max(float(value), 0.0), 100.0)
        return round(left + PLOT_WIDTH * clamped / 100, 1)

    rows = [
        BoxRow(
            judge=judge,
            y=TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2,
            x_min=x(judge.minimum),
            x_q1=x(judge.q1),
            x_median=x(judge.median),
            x_q3=x(judge.q3),
            x_max=x(judge.maximum),
            x_mean=x(judge.mean),
        )
        for index, judge in enumerate(distributions)
    ]
    axis_y = TOP + ROW_HEIGHT * len(rows) + 4
    return BoxChart(
        rows=rows,
        width=right + RIGHT_MARGIN,
        height=int(axis_y + AXIS_HEIGHT),
        plot_left=left,
        plot_right=right,
        axis_y=axis_y,
        ticks=[(value, x(value)) for value in TICKS],
        row_height=ROW_HEIGHT,
        panel_mean=panel_mean(distributions),
    )


def panel_mean(distributions: list[JudgeDistribution]) -> float | None:
    count = sum(judge.count for judge in distributions)
    return sum(judge.mean * judge.count for judge in distributions) / count if count else None
