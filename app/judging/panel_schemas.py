"""What the panel API takes in (closed structs: unknown fields are a 400) and sends out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class JudgesInvite(msgspec.Struct, forbid_unknown_fields=True):
    emails: list[str]


class JudgeView(msgspec.Struct):
    id: uuid.UUID
    email: str
    status: str  # invited | accepted | removed
    user_id: uuid.UUID | None
    name: str | None
    invited_at: dt.datetime
    accepted_at: dt.datetime | None
    removed_at: dt.datetime | None
    assigned: int = 0
    reviewed: int = 0


class SkippedAddress(msgspec.Struct):
    email: str
    reason: str


class InviteResult(msgspec.Struct):
    invited: list[JudgeView]
    skipped: list[SkippedAddress]


class AssignmentRun(msgspec.Struct, forbid_unknown_fields=True):
    policy: str | None = None  # "all" | "k_per_entry"; the round's setting when absent
    judges_per_entry: int | None = None
    seed: int | None = None


class AssignmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    submission_id: uuid.UUID
    user_id: uuid.UUID


class AssignmentView(msgspec.Struct):
    submission_id: uuid.UUID
    team_name: str
    user_id: uuid.UUID
    judge_name: str
    manual: bool
    reviewed: bool
    current: bool


class JudgeLoad(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    assigned: int
    reviewed: int
    finalized: int


class JobView(msgspec.Struct):
    id: uuid.UUID
    status: str  # queued | running | done | failed
    done: int
    total: int
    result: dict[str, Any] | None = None
    error: str | None = None


class AssignmentList(msgspec.Struct):
    policy: str
    judges_per_entry: int
    seed: int
    items: list[AssignmentView]
    loads: list[JudgeLoad]
    page: int
    pages: int
    entries: int


class RunResult(msgspec.Struct):
    """An inline run's summary (`job` null), or the job computing a large round (`summary` null)."""

    summary: dict[str, Any] | None
    job: JobView | None


class ConflictCreate(msgspec.Struct, forbid_unknown_fields=True):
    team_id: uuid.UUID
    reason: str = ""


class ConflictView(msgspec.Struct):
    judge_id: uuid.UUID
    judge_name: str
    team_id: uuid.UUID
    team_name: str
    kind: str  # declared | startup | member
    reason: str
    id: uuid.UUID | None = None  # declared ones only
    declared_at: dt.datetime | None = None
