"""What the judges' API takes and gives: a queue, one's own review of an entry, scores to save.

A judge's review view carries their own scores only; there is no field through which another judge's
could come. Request bodies name criteria and values, never a judge, a review id or a status. Values go
out as JSON numbers and come in as exact decimals (checked against the scale's step).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import msgspec

from app.teams.submission_schemas import FileView


class JudgingClockView(msgspec.Struct):
    state: str  # "not_open" | "open" | "closed"
    opens_at: dt.datetime
    closes_at: dt.datetime | None


class QueueEntryView(msgspec.Struct):
    submission_id: uuid.UUID
    team: str
    status: str  # "not_started" | "draft" | "finalized"
    scored_criteria: int
    updated_at: dt.datetime | None
    url: str


class QueueView(msgspec.Struct):
    round_id: uuid.UUID
    round: str
    challenge: str
    judging: JudgingClockView
    scored: int  # finalized, over the whole queue
    total: int  # entries in the whole queue
    entries: list[QueueEntryView]  # one page of them, those still to finalize first
    page: int
    per_page: int
    pages: int


class LevelView(msgspec.Struct):
    value: float
    descriptor: str


class CriterionView(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str
    weight: float
    scale_min: float
    scale_max: float
    scale_step: float
    levels: list[LevelView]


class ScoreView(msgspec.Struct):
    value: float | None
    comment: str
    updated_at: dt.datetime


class ReviewView(msgspec.Struct):
    """The caller's own review of an entry, with the entry as submitted and the rubric."""

    submission_id: uuid.UUID
    round_id: uuid.UUID
    team: str
    status: str
    judging: JudgingClockView
    comment: str
    finalized_at: dt.datetime | None
    updated_at: dt.datetime | None
    criteria: list[CriterionView]
    scores: dict[uuid.UUID, ScoreView]
    answers: dict[str, Any]
    files: dict[str, FileView]


class ScoreUpdate(msgspec.Struct, forbid_unknown_fields=True):
    value: Decimal | None = None
    comment: str = ""


class ReviewUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Scores by criterion id (each replaces that criterion's value and comment; others stay), and the
    overall comment (left as it is when absent)."""

    scores: dict[uuid.UUID, ScoreUpdate] = msgspec.field(default_factory=dict)
    comment: str | None = None
