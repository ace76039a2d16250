"""What the JSON API of a round's judging setup accepts (bodies) and sends out (views): rubric, screening
and settings. Bodies list the only fields a client may send; ids, positions, deciders and times are the
platform's. Numbers of the rubric are JSON numbers with at most two decimals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec


class LevelBody(msgspec.Struct, forbid_unknown_fields=True):
    value: float
    text: str = ""


class CriterionCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    description: str = ""
    weight: float = 1
    scale_min: float = 1
    scale_max: float = 5
    scale_step: float = 1
    # One text per level of the scale; levels left out have no descriptor.
    descriptors: list[LevelBody] = []


class CriterionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    weight: float | msgspec.UnsetType = msgspec.UNSET
    scale_min: float | msgspec.UnsetType = msgspec.UNSET
    scale_max: float | msgspec.UnsetType = msgspec.UNSET
    scale_step: float | msgspec.UnsetType = msgspec.UNSET
    # Levels named here get these texts; the others keep theirs (when still on the scale).
    descriptors: list[LevelBody] | msgspec.UnsetType = msgspec.UNSET


class MoveRequest(msgspec.Struct, forbid_unknown_fields=True):
    # Declared as the two values it takes, so that the API's document says so.
    direction: Literal["up", "down"]


class CopyRequest(msgspec.Struct, forbid_unknown_fields=True):
    source_round_id: uuid.UUID


class LevelView(msgspec.Struct):
    value: float
    text: str


class CriterionView(msgspec.Struct):
    id: uuid.UUID
    position: int
    name: str
    description: str
    weight: float
    # The weight as a percentage of the rubric's total weight.
    share: float
    scale_min: float
    scale_max: float
    scale_step: float
    levels: list[LevelView]


class RubricView(msgspec.Struct):
    round_id: uuid.UUID
    round: str
    frozen: bool
    frozen_since: dt.datetime | None
    frozen_reason: str | None
    total_weight: float
    criteria: list[CriterionView]


class ScreeningDecisionBody(msgspec.Struct, forbid_unknown_fields=True):
    submission_id: uuid.UUID
    # eligible, ineligible (reason required) or returned (comment required; only while the round is open)
    decision: str
    reason: str = ""


class ScreeningEntryView(msgspec.Struct):
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team: str
    organization: str | None
    status: str
    version: int
    submitted_at: dt.datetime | None
    # unscreened, eligible, ineligible or returned
    decision: str
    reason: str
    decided_by: str | None
    decided_at: dt.datetime | None
    was_returned: bool


class ScreeningListView(msgspec.Struct):
    items: list[ScreeningEntryView]
    page: int
    per_page: int
    total: int
    pages: int
    # Number of entries per decision (unscreened included), whatever the filter.
    counts: dict[str, int]
    can_return: bool


class BulkScreeningView(msgspec.Struct):
    marked: int


class JudgingSummaryView(msgspec.Struct):
    submitted: int
    unscreened: int
    eligible: int
    ineligible: int
    returned: int
    judges_invited: int
    judges_accepted: int
    assignments: int
    reviews_finalized: int


class JudgingSettingsView(msgspec.Struct):
    round_id: uuid.UUID
    round: str
    policy: str
    judges_per_entry: int
    seed: int
    # Set for this round (None: the challenge's end of judging applies), and the one in force.
    closes_at: dt.datetime | None
    effective_closes_at: dt.datetime | None
    public_vote: bool
    ranking_method: str
    # before (submissions still open), open or closed
    state: str
    summary: JudgingSummaryView


class JudgingSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    policy: str | msgspec.UnsetType = msgspec.UNSET
    judges_per_entry: int | msgspec.UnsetType = msgspec.UNSET
    seed: int | msgspec.UnsetType = msgspec.UNSET
    # null: close with the challenge's end of judging.
    closes_at: dt.datetime | msgspec.UnsetType | None = msgspec.UNSET
    public_vote: bool | msgspec.UnsetType = msgspec.UNSET
    ranking_method: str | msgspec.UnsetType = msgspec.UNSET
