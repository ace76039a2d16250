"""JSON API of rankings under /api/v1 (founders): the same services and permissions as the ranking page."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import agreement, ranking_views

PRIVATE = CacheControlHeader(no_store=True)


class RankedEntryView(msgspec.Struct):
    rank: int | None  # None: no counted review yet
    tied: bool
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team: str
    judges: int
    mean: float | None  # 0-100
    median: float | None  # 0-100
    z_mean: float | None  # mean of the judges' z-scores
    spread: float | None  # highest minus lowest total
    stdev: float | None
    score: float | None  # the value ranked on
    discuss: bool  # judges disagree enough to talk it over


class AgreementView(msgspec.Struct):
    alpha: float | None  # Krippendorff's alpha, interval, over the judges' totals
    verdict: str  # good, tentative, low, unknown
    units: int  # entries with at least two judges' totals
    pairable: int


class RankingView(msgspec.Struct):
    round_id: uuid.UUID
    requested: str  # auto, mean, median or z
    method: str  # the method used: mean, median or z
    subsets_differ: bool
    judges: int
    discuss_spread: float
    discuss_stdev: float
    agreement: AgreementView
    entries: list[RankedEntryView]


def _float(value: object) -> float | None:
    return None if value is None else round(float(value), 6)  # type: ignore[arg-type]


@get("/api/v1/rounds/{round_id:uuid}/ranking", name="ranking:api_show", cache_control=PRIVATE)
async def api_show_ranking(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    round_id: FromPath[uuid.UUID],
    method: Annotated[
        str, Parameter(pattern=r"^(|auto|mean|median|z)$", description="auto, mean, median or z")
    ] = "",
) -> RankingView:
    """The round's ranking and the judges' agreement (founders of the challenge only)."""
    _round, ranking, requested = await ranking_views.ranking_table(db, actor, round_id, method)
    agreed = await agreement.round_agreement(db, round_id)
    tied = ranking_views.tied_ranks(ranking)
    return RankingView(
        round_id=round_id,
        requested=requested,
        method=ranking.method,
        subsets_differ=ranking.subsets_differ,
        judges=ranking.judges,
        discuss_spread=float(ranking_views.DISCUSS_SPREAD),
        discuss_stdev=float(ranking_views.DISCUSS_STDEV),
        agreement=AgreementView(
            alpha=_float(agreed.alpha), verdict=agreed.verdict, units=agreed.units, pairable=agreed.pairable
        ),
        entries=[
            RankedEntryView(
                rank=entry.rank,
                tied=entry.rank in tied,
                submission_id=entry.submission_id,
                team_id=entry.team_id,
                team=entry.team_name,
                judges=entry.judges,
                mean=_float(entry.mean),
                median=_float(entry.median),
                z_mean=_float(entry.z_mean),
                spread=_float(entry.spread),
                stdev=_float(entry.stdev),
                score=_float(entry.score),
                discuss=ranking_views.needs_discussion(entry),
            )
            for entry in ranking.entries
        ],
    )


ROUTES = [api_show_ranking]
