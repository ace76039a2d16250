"""What founders see of a round's judging results: the ranking with its method, agreement, judges'
distributions and progress, in a constant number of queries whatever the size of the round.

Entries are flagged for discussion when their judges disagree a lot: a spread (highest minus lowest
total) of DISCUSS_SPREAD points or more, or a standard deviation of DISCUSS_STDEV points or more, on
the 0-100 scale. Both are shown on the page so founders know what the flag means.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from app.judging import agreement, charts, completion
from app.judging.access import founder_round_row
from app.judging.ranking import RankedEntry, Ranking, compute_ranking
from app.platform.i18n import format_decimal, get_locale
from app.platform.i18n import gettext as _
from app.platform.pagination import Page

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

DISCUSS_SPREAD = Decimal(30)
DISCUSS_STDEV = Decimal(15)
PER_PAGE = 50  # entries per page of the ranking page (exports and the API give them all)
CHOICES: tuple[str, ...] = ("auto", "mean", "median", "z")
Choice = Literal["auto", "mean", "median", "z"]


@dataclasses.dataclass(frozen=True, slots=True)
class RankingPage:
    round: asyncpg.Record  # access.founder_round_row: the round and its challenge
    ranking: Ranking
    requested: str  # the method asked for: auto, mean, median or z
    agreement: agreement.Agreement
    chart: charts.BoxChart
    progress: list[completion.JudgeProgress]
    closed: bool
    tied_ranks: frozenset[int]

    @property
    def late_judges(self) -> int:
        return sum(1 for judge in self.progress if judge.late)


def parse_method(value: str | None, default: str = "auto") -> Choice:
    """A method from the address; unknown or empty values fall back to the round's default."""
    chosen = value if value in CHOICES else default
    return chosen if chosen in CHOICES else "auto"  # type: ignore[return-value]


async def ranking_page(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    method: str | None,
    now: dt.datetime,
    page: int = 1,
) -> RankingPage:
    """Everything on the ranking page. Queries: the round, the ranking, the judges' distributions with the
    agreement between them, and their progress: the same few whatever the number of entries."""
    round_ = await founder_round_row(session, actor, round_id, "ranking:view", slug)
    requested = parse_method(method, round_["ranking_method"])
    ranking = await compute_ranking(session, round_id, requested, page=page, per_page=PER_PAGE)
    distributions, agreed = await charts.judge_distributions(session, round_id)
    closes_at = round_["closes_at"]
    return RankingPage(
        round=round_,
        ranking=ranking,
        requested=requested,
        agreement=agreed,
        chart=charts.box_chart(distributions),
        progress=await completion.judge_progress(session, round_id),
        closed=closes_at is not None and now >= closes_at,
        tied_ranks=tied_ranks(ranking),
    )


async def ranking_table(
    session: AsyncSession,
    actor: Actor | None,
    round_id: uuid.UUID,
    method: str | None,
    slug: str | None = None,
    page: int | None = None,
) -> tuple[asyncpg.Record, Ranking, str]:
    """Only the ranking (for the htmx method switch, one page, and the API, which names no challenge: all of
    it), with the round (access.founder_round_row)."""
    round_ = await founder_round_row(session, actor, round_id, "ranking:view", slug)
    requested = parse_method(method, round_["ranking_method"])
    return (
        round_,
        await compute_ranking(session, round_id, requested, page=page, per_page=PER_PAGE),
        requested,
    )


def ranking_rows(ranking: Ranking) -> Page[RankedEntry]:
    """The page of the ranking shown, for the page links and the "1–50 of 2,000" count."""
    return Page(
        items=ranking.entries, number=ranking.offset // PER_PAGE + 1, size=PER_PAGE, total=ranking.total
    )


def tied_ranks(ranking: Ranking) -> frozenset[int]:
    """Ranks held by more than one entry of the whole ranking (a tie may straddle two pages)."""
    return frozenset(entry.rank for entry in ranking.entries if entry.tied and entry.rank is not None)


def needs_discussion(entry: RankedEntry) -> bool:
    if entry.judges < 2 or entry.spread is None or entry.stdev is None:
        return False
    return entry.spread >= DISCUSS_SPREAD or entry.stdev >= DISCUSS_STDEV


def method_label(method: str) -> str:
    return {
        "auto": _("Automatic"),
        "mean": _("Mean"),
        "median": _("Median"),
        "z": _("Z-scores"),
    }.get(method, method)


def method_explanations() -> list[tuple[str, str]]:
    """(method, plain-words explanation) for every method, in the order of the switch."""
    return [
        ("auto", _("Z-scores when judges scored different sets of entries, otherwise the mean.")),
        (
            "mean",
            _("The average of the judges’ totals. Simple and fair when every judge scored every entry."),
        ),
        ("median", _("The middle total: one unusually generous or severe judge barely moves it.")),
        (
            "z",
            _(
                "Each judge’s totals are first compared with that judge’s own average and spread, then "
                "averaged. It removes the effect of lenient or harsh judges, which matters when judges "
                "scored different entries. Shown in standard deviations: 0 is a judge’s average entry."
            ),
        ),
    ]


def auto_reason(ranking: Ranking) -> str:
    if ranking.subsets_differ:
        return _("Judges scored different sets of entries, so the automatic choice is z-scores.")
    return _("Every judge scored every ranked entry, so the automatic choice is the mean.")


def format_total(value: Decimal | float | None) -> str:
    """A 0-100 total with one decimal, in the reader's language ("56.7", "56,7")."""
    return "—" if value is None else _rounded_text(round(Decimal(str(value)), 1), "0.0", get_locale())


def format_z(value: Decimal | float | None) -> str:
    """A z-score with two decimals and its sign ("+1.06", "−0.05")."""
    return _signed(value, 2, "0.00")


def format_gap(value: Decimal | float | None) -> str:
    """A difference of totals with one decimal and its sign ("+6.2", "−6.3")."""
    return _signed(value, 1, "0.0")


def _signed(value: Decimal | float | None, places: int, pattern: str) -> str:
    if value is None:
        return "—"
    rounded = round(Decimal(str(value)), places)
    text = _rounded_text(abs(rounded), pattern, get_locale())
    if rounded == 0:
        return "+" + text
    # The minus sign, not a hyphen: it reads as negative in every language and aligns with "+".
    return ("+" if rounded > 0 else "\u2212") + text


def _rounded_text(rounded: Decimal, pattern: str, locale: str) -> str:
    """A value already rounded to the pattern's decimals: a ranking has few distinct ones (0.0-100.0), so
    each is formatted once per process. The sign is in the key, as -0.0 equals 0.0 but may not read alike."""
    return _formatted(rounded, rounded.is_signed(), pattern, locale)


@functools.lru_cache(maxsize=8192)
def _formatted(rounded: Decimal, _signed: bool, pattern: str, locale: str) -> str:
    return format_decimal(rounded, pattern, locale)


def format_alpha(value: float | None) -> str:
    """Alpha with three decimals, as Krippendorff reports it."""
    return "—" if value is None else format_decimal(round(value, 3), "0.000")


def template_helpers() -> dict[str, object]:
    return {
        "format_total": format_total,
        "format_gap": format_gap,
        "format_z": format_z,
        "format_alpha": format_alpha,
        "needs_discussion": needs_discussion,
        "method_label": method_label,
        "method_explanations": method_explanations,
        "auto_reason": auto_reason,
        "discuss_spread": int(DISCUSS_SPREAD),
        "discuss_stdev": int(DISCUSS_STDEV),
        "methods": CHOICES,
    }
