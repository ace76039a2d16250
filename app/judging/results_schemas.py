"""JSON shapes of the shortlist, results and vote API (msgspec structs, documented in the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class RoundRef(msgspec.Struct):
    id: uuid.UUID
    name: str
    opens_at: dt.datetime
    deadline: dt.datetime


class ShortlistEntry(msgspec.Struct):
    team_id: uuid.UUID
    team: str
    rank: int | None
    score: float | None
    judges: int
    advanced: bool
    started_next_round: bool


class ShortlistView(msgspec.Struct):
    round_id: uuid.UUID
    method: str
    next_round: RoundRef | None
    next_round_closed: bool
    entries: list[ShortlistEntry]


class AdvanceRequest(msgspec.Struct, forbid_unknown_fields=True):
    team_ids: list[uuid.UUID]
    reason: str = ""
    notify_others: bool = False


class AdvanceResult(msgspec.Struct):
    added: list[uuid.UUID]
    removed: list[uuid.UUID]
    told_not_advanced: list[uuid.UUID]
    shortlist: ShortlistView


class WinnerView(msgspec.Struct):
    team_id: uuid.UUID
    team: str
    organization: str | None


class PrizeView(msgspec.Struct):
    id: uuid.UUID
    title: str
    reward: str
    winners: list[WinnerView]


class RankView(msgspec.Struct):
    rank: int
    team: str
    score: float | None


class VoteCount(msgspec.Struct):
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team: str
    votes: int


class PeoplesChoiceView(msgspec.Struct):
    round_id: uuid.UUID
    round: str
    winners: list[VoteCount]
    total_votes: int


class ResultsView(msgspec.Struct):
    challenge: str
    title: str
    published_at: dt.datetime | None
    visibility: str
    prizes: list[PrizeView]
    # The final round's ranking, when the challenge shows it ("ranking" visibility).
    ranking: list[RankView] | None
    ranking_method: str | None
    peoples_choice: list[PeoplesChoiceView]
    gallery_url: str


class PublishResult(msgspec.Struct):
    published_now: bool
    results: ResultsView


class VoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    submission_id: uuid.UUID


class VoteChoice(msgspec.Struct):
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team: str


class VoteView(msgspec.Struct):
    round_id: uuid.UUID
    open: bool
    closed_reason: str | None
    my_vote: VoteChoice | None
    # Votes per entry: for founders at any time, for everyone once the results are published; else null.
    tally: list[VoteCount] | None
