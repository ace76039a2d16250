"""The ranking of a round, computed by PostgreSQL in one query (window functions), never by loading scores.

For each finalized review (one judge, one entry) the judge's weighted total is put on a 0-100 scale (kept
on the review by the database, `reviews.total`):
each criterion's value is first placed on 0-1 within its own scale ((value - min) / (max - min)), then
weighted, and the weighted sum divided by the sum of weights. Per entry we then give:

- `mean`: the plain average of its judges' totals;
- `median`: the middle total (the average of the two middle ones for an even count), robust to one
  outlying judge;
- `z_mean`: the average of its judges' z-scores. A judge's z-score for an entry is how far the total
  lies from that judge's own average, in units of that judge's own spread (standard deviation over
  the entries they finalized). It removes lenient and harsh judges' bias, which matters when judges
  see different subsets of entries. A judge who gave every entry the same total (or finalized only
  one entry) tells nothing about order: their z-scores are 0, never a division by zero;
- `judges`, and the spread between judges: `spread` (highest minus lowest total) and `stdev`.

Reviews of a judge in conflict with the entry's team (declared or automatic, see app.judging.conflicts)
are left out, so a conflict declared after scoring removes that score from the ranking. Draft reviews
never count. Ranks use rank(): equal scores (to 6 decimals) share a rank and the next rank is skipped
(1, 2, 2, 4), so ties show as ties. Entries without any finalized review come last, unranked.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import (
    CTE,
    ColumnElement,
    Numeric,
    Select,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)

from app.judging.conflicts import conflicted_pairs
from app.judging.models import Review, Screening
from app.platform.rows import Query
from app.teams.models import Submission, Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Method = Literal["mean", "median", "z"]
METHODS: tuple[Method, ...] = ("z", "mean", "median")


@dataclasses.dataclass(frozen=True, slots=True)
class RankedEntry:
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team_name: str
    judges: int
    mean: Decimal | None
    median: Decimal | None
    z_mean: Decimal | None
    spread: Decimal | None
    stdev: Decimal | None
    rank: int | None  # by the ranking's method; None without any finalized review
    score: Decimal | None  # the value ranked on
    tied: bool = False  # another entry of the whole ranking (maybe on another page) holds the same rank


@dataclasses.dataclass(frozen=True, slots=True)
class Ranking:
    method: Method
    # Whether judges saw different subsets of the ranked entries (then z-scores are the default).
    subsets_differ: bool
    judges: int  # distinct judges with at least one counted review
    entries: list[RankedEntry]  # all of them, or one page of them (from `offset`)
    total: int = 0  # entries in the whole ranking
    offset: int = 0


def eligible_entries(round_id: Any) -> list[Any]:
    """Conditions on `submissions` for the entries a ranking is about: submitted to the round, screened eligible."""
    eligible = exists().where(Screening.submission_id == Submission.id, Screening.decision == "eligible")
    return [Submission.round_id == round_id, Submission.status == "submitted", eligible]


def judge_totals(round_id: Any) -> CTE:
    """One row per counted review (finalized, of an eligible entry, judge not in conflict) with its 0-100
    weighted total. The total is kept on the review by the database (`reviews.total`, triggers of
    migration 0004: each criterion's value placed on 0-1 within its scale, weighted, divided by the sum
    of the round's weights), so a ranking reads one row per review instead of adding up its scores.
    A CTE: PostgreSQL computes it once however many times the ranking reads it."""
    # The round's conflicted (judge, team) pairs, computed once and anti-joined, not checked per review.
    conflicted = conflicted_pairs(
        select(Review.user_id).where(Review.round_id == round_id),
        select(Submission.team_id).where(Submission.round_id == round_id),
        name="conflicted",
    )
    return (
        select(
            Review.id.label("review_id"),
            Review.submission_id.label("submission_id"),
            Review.user_id.label("judge_id"),
            Review.total.label("total"),
        )
        .join(Submission, Submission.id == Review.submission_id)
        .where(
            Review.round_id == round_id,
            Review.finalized_at.is_not(None),
            Review.total.is_not(None),
            *eligible_entries(round_id),
            ~exists().where(
                conflicted.c.judge_id == Review.user_id, conflicted.c.team_id == Submission.team_id
            ),
        )
        .cte("totals")
    )


def ranked_entries_query(round_id: Any, method: Method | Literal["auto"] = "auto") -> Select[Any]:
    """The whole ranking as one SELECT: entries (eligible ones of the round) with their aggregates and rank."""
    totals = judge_totals(round_id)
    judge_mean = func.avg(totals.c.total).over(partition_by=totals.c.judge_id)
    judge_sd = func.stddev_pop(totals.c.total).over(partition_by=totals.c.judge_id)
    z = func.coalesce((totals.c.total - judge_mean) / func.nullif(judge_sd, 0), 0)
    scored = select(totals.c.submission_id, totals.c.total, z.label("z")).subquery("scored")
    per_entry = (
        select(
            scored.c.submission_id,
            func.count().label("judges"),
            func.avg(scored.c.total).label("mean"),
            func.percentile_cont(0.5).within_group(scored.c.total).label("median"),
            func.avg(scored.c.z).label("z_mean"),
            (func.max(scored.c.total) - func.min(scored.c.total)).label("spread"),
            func.coalesce(func.stddev_pop(scored.c.total), 0).label("stdev"),
        )
        .group_by(scored.c.submission_id)
        .cte("per_entry")
    )
    distinct_judges = select(func.count(func.distinct(totals.c.judge_id))).scalar_subquery()
    # Judges saw different subsets when some reviewed entry was reviewed by fewer than all judges.
    overall = select(
        distinct_judges.label("judges"),
        func.coalesce(func.bool_or(per_entry.c.judges < distinct_judges), False).label("differ"),
    ).subquery("overall")
    chosen = {"mean": per_entry.c.mean, "median": per_entry.c.median, "z": per_entry.c.z_mean}
    score: ColumnElement[Any]
    if method == "auto":
        score = case((overall.c.differ, per_entry.c.z_mean), else_=per_entry.c.mean)
    else:
        score = chosen[method]
    # Equal to 6 decimals is equal: the same totals reached through other sums stay tied.
    rounded = func.round(cast(score, Numeric), 6)
    rank = case(
        (per_entry.c.judges.is_not(None), func.rank().over(order_by=rounded.desc().nulls_last())), else_=None
    )
    ranked = (
        select(
            Submission.id,
            Team.id.label("team_id"),
            Team.name,
            func.coalesce(per_entry.c.judges, 0).label("judges"),
            per_entry.c.mean,
            per_entry.c.median,
            per_entry.c.z_mean,
            per_entry.c.spread,
            per_entry.c.stdev,
            rank.label("rank"),
            score.label("score"),
            overall.c.differ.label("subsets_differ"),
            overall.c.judges.label("distinct_judges"),
            rounded.label("sort_score"),
            func.lower(Team.name).label("sort_name"),
        )
        .join(Team, Team.id == Submission.team_id)
        .join(overall, literal(True))
        .outerjoin(per_entry, per_entry.c.submission_id == Submission.id)
        .where(*eligible_entries(round_id))
        .subquery("ranked")
    )
    # Over the whole ranking, so that one page still knows the number of entries and the ties across pages.
    sharing = func.count().over(partition_by=ranked.c.rank)
    return select(
        *[column for column in ranked.c if not column.key.startswith("sort_")],
        func.count().over().label("total"),
        (ranked.c.rank.is_not(None) & (sharing > 1)).label("tied"),
    ).order_by(ranked.c.sort_score.desc().nulls_last(), ranked.c.sort_name, ranked.c.id)


@functools.cache
def _ranking_query(method: Method | Literal["auto"], paged: bool) -> Query:
    """The ranking as a plain-row read, built and compiled once per method: a big statement, which
    SQLAlchemy would otherwise rebuild, key and process again for every page shown. Parameters:
    round_id (and limit, offset when paged)."""
    statement = ranked_entries_query(bindparam("round_id"), method)
    if paged:
        statement = statement.limit(bindparam("limit")).offset(bindparam("offset"))
    return Query(statement)


@functools.cache
def _ranking_size() -> Query:
    entries = ranked_entries_query(bindparam("round_id"), "mean").order_by(None).subquery()
    return Query(select(func.count()).select_from(entries))


async def compute_ranking(
    session: AsyncSession,
    round_id: uuid.UUID,
    method: Method | Literal["auto"] = "auto",
    *,
    page: int | None = None,
    per_page: int = 50,
) -> Ranking:
    """The round's ranking in one round trip. With "auto", z-scores when judges saw different subsets.
    With `page` (from 1), only that page of `per_page` entries (LIMIT/OFFSET over the whole ranking); a page
    past the end gives the last one (a second statement, only then)."""
    offset = 0
    if page is not None:
        offset = (max(page, 1) - 1) * per_page
        paged = _ranking_query(method, paged=True)
        rows = await paged.all(session, round_id=round_id, limit=per_page, offset=offset)
        if not rows and offset:
            total = await _ranking_size().scalar(session, round_id=round_id) or 0
            offset = max(0, (total - 1) // per_page * per_page)
            rows = await paged.all(session, round_id=round_id, limit=per_page, offset=offset)
    else:
        rows = await _ranking_query(method, paged=False).all(session, round_id=round_id)
    differ = bool(rows and rows[0]["subsets_differ"])
    chosen: Method = ("z" if differ else "mean") if method == "auto" else method
    entries = [
        RankedEntry(
            submission_id=row["id"],
            team_id=row["team_id"],
            team_name=row["name"],
            judges=row["judges"],
            mean=_dec(row["mean"]),
            median=_dec(row["median"]),
            z_mean=_dec(row["z_mean"]),
            spread=_dec(row["spread"]),
            stdev=_dec(row["stdev"]),
            rank=row["rank"],
            score=_dec(row["score"]),
            tied=bool(row["tied"]),
        )
        for row in rows
    ]
    total = rows[0]["total"] if rows else 0
    return Ranking(
        chosen, differ, rows[0]["distinct_judges"] if rows else 0, entries, total=total, offset=offset
    )


def _dec(value: object) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))
