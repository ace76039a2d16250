"""Prizes, publishing the results, and the public results page.

- Founders (`results:publish`) give each prize of the challenge to one or more teams (ex aequo) while
  the results are unpublished; every award and removal is audited. Once published, prizes no longer
  change (409): results are public facts, and there is no unpublishing.
- What the public sees besides the winners is `challenges.results_visibility`: "winners" only, or
  also the final round's "ranking" (rank, team, score; never a judge's name or comment). Founders may
  change it at any time, audited.
- Publishing is refused (409) until the last round's judging has closed. It stamps
  `results_published_at` once: publishing again changes nothing and tells nobody twice (the
  challenge's row is locked, so two founders publishing at once publish once). Every member of every
  team is notified; the decision is audited.
- The public page (and its API) is 404 until then, then open to whoever may see the challenge. The
  people's choice of each round with a public vote is shown apart from the jury's results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from babel import numbers
from litestar.exceptions import NotFoundException
from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from app import authz
from app.challenges.models import Prize, Round
from app.challenges.queries import Visible, load_challenge
from app.judging import votes
from app.judging.models import JudgingRound, PrizeAward
from app.judging.ranking import METHODS, RankedEntry, Ranking, compute_ranking
from app.notifications.services import notify
from app.organizations.models import Organization
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import format_datetime, get_locale
from app.platform.i18n import gettext as _
from app.teams.models import Team, TeamMember
from app.webhooks import events as webhook_events

if TYPE_CHECKING:
    from sqlalchemy import CursorResult
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

VISIBILITIES = ("winners", "ranking")


@dataclasses.dataclass(frozen=True, slots=True)
class Winner:
    team_id: uuid.UUID
    team_name: str
    organization: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class PrizeResult:
    prize: Prize
    winners: list[Winner]


@dataclasses.dataclass(frozen=True, slots=True)
class PeoplesChoice:
    round: Round
    winners: list[votes.Count]
    total: int


@dataclasses.dataclass(frozen=True, slots=True)
class Results:
    """What the public results page shows (and the founders' preview of it)."""

    visible: Visible
    prizes: list[PrizeResult]
    final_round: Round | None
    # The final round's ranked entries when the challenge shows its ranking, else None.
    ranking: list[RankedEntry] | None
    method: str | None
    peoples_choice: list[PeoplesChoice]

    @property
    def challenge(self) -> Any:
        return self.visible.challenge


@dataclasses.dataclass(frozen=True, slots=True)
class Management:
    """The founders' page: the preview, the teams prizes may go to, and why publishing is refused now."""

    results: Results
    # (team id, name, rank in the final round or None), by rank then name.
    teams: list[tuple[uuid.UUID, str, int | None]]
    blocker: str | None

    @property
    def published(self) -> bool:
        return self.results.challenge.results_published_at is not None


def method_label(method: str | None) -> str:
    """What the scores of a ranking are, in words."""
    labels = {
        "z": _(
            "standardized scores: the mean of each judge’s z-scores, which removes lenient or harsh judges’ bias"
        ),
        "mean": _("the mean of the judges’ totals, out of 100"),
        "median": _("the median of the judges’ totals, out of 100"),
    }
    return labels.get(method or "", "")


def score_text(value: Decimal | None, method: str | None) -> str:
    """A score as the public reads it: 0-100 with one decimal, z-scores with two."""
    if value is None:
        return "—"
    pattern = "0.00" if method == "z" else "0.0"
    return numbers.format_decimal(value, format=pattern, locale=get_locale())


# --- reading ----------------------------------------------------------------------------------------------


async def _settings(session: AsyncSession, round_: Round | None) -> JudgingRound | None:
    if round_ is None:
        return None
    return await session.scalar(select(JudgingRound).where(JudgingRound.round_id == round_.id))


async def _final_ranking(
    session: AsyncSession, round_: Round | None, settings: JudgingRound | None
) -> Ranking | None:
    if round_ is None:
        return None
    method = (
        settings.ranking_method if settings is not None and settings.ranking_method in METHODS else "auto"
    )
    return await compute_ranking(session, round_.id, method)


async def _prizes(session: AsyncSession, challenge_id: uuid.UUID) -> list[PrizeResult]:
    """Every prize in order with its winners by name (one query)."""
    rows = await session.execute(
        select(Prize, Team.id, Team.name, Organization.name)
        .outerjoin(PrizeAward, PrizeAward.prize_id == Prize.id)
        .outerjoin(Team, Team.id == PrizeAward.team_id)
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .where(Prize.challenge_id == challenge_id)
        .order_by(Prize.position, Prize.id, func.lower(Team.name))
    )
    results: dict[uuid.UUID, PrizeResult] = {}
    for prize, team_id, team_name, organization in rows:
        result = results.setdefault(prize.id, PrizeResult(prize, []))
        if team_id is not None:
            result.winners.append(Winner(team_id, team_name, organization))
    return list(results.values())


async def _peoples_choice(session: AsyncSession, visible: Visible) -> list[PeoplesChoice]:
    rounds = {round_.id: round_ for round_ in visible.rounds}
    with_vote = await votes.vote_round_ids(session, visible.challenge.id)
    vote_rounds = [round_id for round_id in rounds if round_id in with_vote]
    if not vote_rounds:
        return []
    counts = await votes.tally(session, vote_rounds)
    return [
        PeoplesChoice(
            rounds[round_id], votes.winners(counts[round_id]), sum(c.votes for c in counts[round_id])
        )
        for round_id in vote_rounds
        if counts[round_id]
    ]


async def build_results(session: AsyncSession, visible: Visible, final: Ranking | None = None) -> Results:
    """The results as the public sees them; `final` reuses a ranking already computed."""
    challenge = visible.challenge
    final_round = visible.rounds[-1] if visible.rounds else None
    ranking: list[RankedEntry] | None = None
    method = None
    if challenge.results_visibility == "ranking" and final_round is not None:
        final = final or await _final_ranking(session, final_round, await _settings(session, final_round))
        assert final is not None
        ranking = [entry for entry in final.entries if entry.rank is not None]
        method = final.method
    return Results(
        visible,
        await _prizes(session, challenge.id),
        final_round,
        ranking,
        method,
        await _peoples_choice(session, visible),
    )


async def public_results(session: AsyncSession, actor: Actor | None, slug: str) -> Results:
    """The published results for whoever may see the challenge; 404 before they are published."""
    visible = await load_challenge(session, actor, slug)
    if visible.challenge.results_published_at is None:
        raise NotFoundException()
    return await build_results(session, visible)


async def _founders(session: AsyncSession, actor: Actor | None, slug: str, *, lock: bool = False) -> Visible:
    visible = await load_challenge(session, actor, slug, for_update=lock)
    authz.require(actor, "results:publish", visible.relations)
    return visible


def publish_blocker(visible: Visible, settings: JudgingRound | None, now: dt.datetime) -> str | None:
    """Why the results cannot be published at `now`: the last round's judging has not closed."""
    if not visible.rounds:
        return _("The challenge has no round: there are no results to publish.")
    last = visible.rounds[-1]
    closes = (settings.closes_at if settings is not None else None) or visible.challenge.judging_ends_at
    if closes is None:
        return _(
            "Judging of %(round)s is still open: close it before publishing the results.", round=last.name
        )
    if now < closes:
        return _(
            "Judging of %(round)s is open until %(date)s: publish the results once it has closed.",
            round=last.name,
            date=format_datetime(closes, visible.challenge.timezone),
        )
    return None


async def manage_results(
    session: AsyncSession, actor: Actor | None, slug: str, now: dt.datetime
) -> Management:
    """The founders' page: prizes and their winners, teams to choose from, the preview, the publish check."""
    visible = await _founders(session, actor, slug)
    final_round = visible.rounds[-1] if visible.rounds else None
    settings = await _settings(session, final_round)
    final = await _final_ranking(session, final_round, settings)
    ranks = {entry.team_id: entry.rank for entry in final.entries} if final else {}
    teams = [
        (team_id, name, ranks.get(team_id))
        for team_id, name in await session.execute(
            select(Team.id, Team.name).where(Team.challenge_id == visible.challenge.id)
        )
    ]
    teams.sort(key=lambda team: (team[2] is None, team[2] or 0, team[1].casefold()))
    results = await build_results(session, visible, final)
    return Management(results, teams, publish_blocker(visible, settings, now))


# --- changing ---------------------------------------------------------------------------------------------


def _unpublished(visible: Visible) -> None:
    if visible.challenge.results_published_at is not None:
        raise Conflict(detail=_("The results are published: prizes can no longer change."))


async def _of_challenge(
    session: AsyncSession, model: Any, object_id: uuid.UUID | None, challenge_id: uuid.UUID
) -> Any:
    if object_id is None:
        return None
    return await session.scalar(
        select(model).where(model.id == object_id, model.challenge_id == challenge_id)
    )


async def _prize_and_team(
    session: AsyncSession, visible: Visible, prize_id: uuid.UUID | None, team_id: uuid.UUID | None
) -> tuple[Prize, Team]:
    prize = await _of_challenge(session, Prize, prize_id, visible.challenge.id)
    if prize is None:
        raise InvalidInput({"prize": _("Choose a prize of this challenge.")})
    team = await _of_challenge(session, Team, team_id, visible.challenge.id)
    if team is None:
        raise InvalidInput({"team": _("Choose a team of this challenge.")})
    return prize, team


async def award_prize(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    prize_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    now: dt.datetime,
) -> tuple[Prize, Team, bool]:
    """Give the prize to the team (another winner when it already has one); says whether it was new."""
    visible = await _founders(session, actor, slug, lock=True)
    _unpublished(visible)
    prize, team = await _prize_and_team(session, visible, prize_id, team_id)
    inserted = await session.scalar(
        insert(PrizeAward)
        .values(prize_id=prize.id, team_id=team.id, awarded_by_id=actor.id, awarded_at=now)
        .on_conflict_do_nothing(index_elements=["prize_id", "team_id"])
        .returning(PrizeAward.team_id)
    )
    if inserted is not None:
        await audit.record(
            session, actor, "results:award", "prize", prize.id,
            {"challenge": visible.challenge.slug, "prize": prize.title, "team": str(team.id), "team_name": team.name},
        )  # fmt: skip
    return prize, team, inserted is not None


async def remove_award(
    session: AsyncSession, actor: Actor, slug: str, prize_id: uuid.UUID | None, team_id: uuid.UUID | None
) -> tuple[Prize, Team]:
    """Take the prize back from the team, before publication."""
    visible = await _founders(session, actor, slug, lock=True)
    _unpublished(visible)
    prize, team = await _prize_and_team(session, visible, prize_id, team_id)
    result = await session.execute(
        delete(PrizeAward).where(PrizeAward.prize_id == prize.id, PrizeAward.team_id == team.id)
    )
    if cast("CursorResult[Any]", result).rowcount:
        await audit.record(
            session, actor, "results:award_removed", "prize", prize.id,
            {"challenge": visible.challenge.slug, "prize": prize.title, "team": str(team.id), "team_name": team.name},
        )  # fmt: skip
    return prize, team


async def set_visibility(session: AsyncSession, actor: Actor, slug: str, value: str) -> str:
    """Choose what the public results page shows besides the winners: "winners" or "ranking"."""
    visible = await _founders(session, actor, slug, lock=True)
    if value not in VISIBILITIES:
        raise InvalidInput({"visibility": _("Choose the winners only, or the full final ranking.")})
    challenge = visible.challenge
    if challenge.results_visibility != value:
        previous = challenge.results_visibility
        challenge.results_visibility = value
        await session.flush()
        await audit.record(
            session, actor, "results:visibility", "challenge", challenge.id,
            {"challenge": challenge.slug, "from": previous, "to": value},
        )  # fmt: skip
    return value


async def publish_results(session: AsyncSession, actor: Actor, slug: str, now: dt.datetime) -> bool:
    """Publish the results now; True when this call published them, False when they already were."""
    visible = await _founders(session, actor, slug, lock=True)
    challenge = visible.challenge
    if challenge.results_published_at is not None:
        return False
    final_round = visible.rounds[-1] if visible.rounds else None
    blocker = publish_blocker(visible, await _settings(session, final_round), now)
    if blocker:
        raise Conflict(detail=blocker)
    challenge.results_published_at = now
    await session.flush()
    members = await session.execute(
        select(TeamMember.team_id, TeamMember.user_id)
        .where(TeamMember.challenge_id == challenge.id)
        .order_by(TeamMember.team_id, TeamMember.user_id)
    )
    notified = 0
    for team_id, user_id in members:
        await notify(
            session,
            user_id,
            "results_published",
            {"challenge": challenge.title},
            f"/teams/{team_id}/feedback",
        )
        notified += 1
    awards = await session.scalar(
        select(func.count())
        .select_from(PrizeAward)
        .join(Prize, and_(Prize.id == PrizeAward.prize_id, Prize.challenge_id == challenge.id))
    )
    await audit.record(
        session, actor, "results:publish", "challenge", challenge.id,
        {"challenge": challenge.slug, "visibility": challenge.results_visibility, "awards": awards or 0, "notified": notified},
    )  # fmt: skip
    await webhook_events.results_published(session, challenge)
    return True
