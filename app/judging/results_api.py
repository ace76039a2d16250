"""JSON API of the shortlist, the results and the public vote under /api/v1: the pages' services and permissions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.api import API, PUBLIC_API
from app.judging import results, shortlist, votes
from app.judging.results_schemas import (
    AdvanceRequest,
    AdvanceResult,
    PeoplesChoiceView,
    PrizeView,
    PublishResult,
    RankView,
    ResultsView,
    RoundRef,
    ShortlistEntry,
    ShortlistView,
    VoteChoice,
    VoteCount,
    VoteRequest,
    VoteView,
    WinnerView,
)

TAGS = ["judging"]
JUDGING_API: dict[str, Any] = {**API, "tags": TAGS}
PUBLIC_JUDGING_API: dict[str, Any] = {**PUBLIC_API, "tags": TAGS}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _shortlist_view(page: shortlist.Shortlist) -> ShortlistView:
    next_round = page.next_round
    return ShortlistView(
        round_id=page.ctx.round.id,
        method=page.ranking.method,
        next_round=RoundRef(next_round.id, next_round.name, next_round.opens_at, next_round.deadline)
        if next_round
        else None,
        next_round_closed=page.next_closed,
        entries=[
            ShortlistEntry(
                team_id=row.entry.team_id,
                team=row.entry.team_name,
                rank=row.entry.rank,
                score=_number(row.entry.score),
                judges=row.entry.judges,
                advanced=row.advanced,
                started_next_round=row.started,
            )
            for row in page.rows
        ],
    )


@get("/api/v1/rounds/{round_id:uuid}/shortlist", name="shortlist:api_show", **JUDGING_API)
async def api_show_shortlist(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
) -> ShortlistView:
    """The round's ranking with, per team, whether it is advanced to the next round (founders)."""
    return _shortlist_view(await shortlist.shortlist_page(db, actor, round_id, now))


@post(
    "/api/v1/rounds/{round_id:uuid}/shortlist", name="shortlist:api_advance", status_code=200, **JUDGING_API
)
async def api_advance(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[AdvanceRequest],
) -> AdvanceResult:
    """Make `team_ids` the teams taking part in the next round. `reason` is required when they are not the
    top of the ranking; 409 when there is no next round, its deadline passed, or a removed team started there."""
    result = await shortlist.advance_teams(
        db, actor, round_id, now, team_ids=data.team_ids, reason=data.reason, notify_others=data.notify_others
    )
    return AdvanceResult(
        added=sorted(result.added),
        removed=sorted(result.removed),
        told_not_advanced=sorted(result.told_not_advanced),
        shortlist=_shortlist_view(result.shortlist),
    )


def _count(count: votes.Count) -> VoteCount:
    return VoteCount(count.submission_id, count.team_id, count.team_name, count.votes)


def _results_view(shown: results.Results) -> ResultsView:
    challenge = shown.challenge
    return ResultsView(
        challenge=challenge.slug,
        title=challenge.title,
        published_at=challenge.results_published_at,
        visibility=challenge.results_visibility,
        prizes=[
            PrizeView(
                id=item.prize.id,
                title=item.prize.title,
                reward=item.prize.reward,
                winners=[WinnerView(w.team_id, w.team_name, w.organization) for w in item.winners],
            )
            for item in shown.prizes
        ],
        ranking=[RankView(e.rank or 0, e.team_name, _number(e.score)) for e in shown.ranking]
        if shown.ranking is not None
        else None,
        ranking_method=shown.method,
        peoples_choice=[
            PeoplesChoiceView(c.round.id, c.round.name, [_count(w) for w in c.winners], c.total)
            for c in shown.peoples_choice
        ],
        gallery_url=f"/challenges/{challenge.slug}/gallery",
    )


@get("/api/v1/challenges/{slug:str}/results", name="results:api_show", **PUBLIC_JUDGING_API)
async def api_show_results(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None], slug: FromPath[str]
) -> ResultsView:
    """The published results (404 before publication), for whoever may see the challenge."""
    return _results_view(await results.public_results(db, actor, slug))


@post("/api/v1/challenges/{slug:str}/results", name="results:api_publish", status_code=200, **JUDGING_API)
async def api_publish_results(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> PublishResult:
    """Publish the results (founders). `published_now` is false when they already were; 409 while the last
    round's judging is open."""
    published = await results.publish_results(db, actor, slug, now)
    return PublishResult(
        published_now=published, results=_results_view(await results.public_results(db, actor, slug))
    )


def _vote_view(booth: votes.Booth) -> VoteView:
    mine = booth.my_vote
    return VoteView(
        round_id=booth.ctx.round.id,
        open=booth.open,
        closed_reason=booth.closed_message,
        my_vote=VoteChoice(mine.submission_id, mine.team_id, mine.team_name) if mine else None,
        tally=[_count(count) for count in booth.tally] if booth.tally is not None else None,
    )


@get("/api/v1/rounds/{round_id:uuid}/votes", name="votes:api_show", **JUDGING_API)
async def api_show_votes(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
) -> VoteView:
    """Whether the round's public vote is open, your vote, and the tally when you may see it."""
    return _vote_view(await votes.vote_booth(db, actor, round_id, now))


@post("/api/v1/rounds/{round_id:uuid}/votes", name="votes:api_cast", status_code=201, **JUDGING_API)
async def api_cast_vote(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[VoteRequest],
) -> Response[Any]:
    """Vote once in the round's public vote; 409 when you already voted (it says for whom) or the vote is closed."""
    await votes.cast_vote(db, actor, round_id, data.submission_id, now)
    view = _vote_view(await votes.vote_booth(db, actor, round_id, now))
    return Response(view, status_code=201)


ROUTES = [
    api_show_shortlist,
    api_advance,
    api_show_results,
    api_publish_results,
    api_show_votes,
    api_cast_vote,
]
