"""What the JSON API of programs and challenges accepts (bodies) and sends out (views).

Bodies list the only fields a client may send: ids, slugs of existing objects, publication and
organizers (except `organizations` when creating) are the platform's to set. Unknown fields are
refused; values are then checked by app.challenges.inputs like a form's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class ProgramCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    organizations: list[str]
    description: str = ""


class ProgramUpdate(msgspec.Struct, forbid_unknown_fields=True):
    title: str | msgspec.UnsetType = msgspec.UNSET
    kind: str | msgspec.UnsetType = msgspec.UNSET
    starts_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ends_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    # Slugs of the caller's own organizations to add as co-founders.
    add_organizations: list[str] | msgspec.UnsetType = msgspec.UNSET


class OrganizerView(msgspec.Struct):
    slug: str
    name: str
    verified: bool


class ChallengeLink(msgspec.Struct):
    slug: str
    title: str
    summary: str


class ProgramView(msgspec.Struct):
    slug: str
    title: str
    kind: str
    kind_label: str
    starts_on: dt.date
    ends_on: dt.date
    description: str
    organizations: list[OrganizerView] | None = None
    challenges: list[ChallengeLink] | None = None
    challenge_count: int | None = None


class ProgramList(msgspec.Struct):
    items: list[ProgramView]
    page: int
    per_page: int
    total: int
    pages: int


class PrizeBody(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    description: str = ""
    reward: str = ""


class QuestionBody(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    required: bool = False
    # An existing question's key keeps it (and its answers); without one, the question is new.
    key: str | None = None


class _ChallengeFields(msgspec.Struct, forbid_unknown_fields=True):
    summary: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    rules: str | msgspec.UnsetType = msgspec.UNSET
    program: str | msgspec.UnsetType | None = msgspec.UNSET
    contact_email: str | msgspec.UnsetType | None = msgspec.UNSET
    visibility: str | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    allowed_kinds: list[str] | msgspec.UnsetType = msgspec.UNSET
    allowed_countries: list[str] | msgspec.UnsetType = msgspec.UNSET
    team_min: int | msgspec.UnsetType = msgspec.UNSET
    team_max: int | msgspec.UnsetType = msgspec.UNSET
    approval_mode: str | msgspec.UnsetType = msgspec.UNSET
    approval_domains: list[str] | msgspec.UnsetType = msgspec.UNSET
    registration_questions: list[QuestionBody] | msgspec.UnsetType = msgspec.UNSET
    prizes: list[PrizeBody] | msgspec.UnsetType = msgspec.UNSET
    registration_opens_at: dt.datetime | msgspec.UnsetType | None = msgspec.UNSET
    registration_closes_at: dt.datetime | msgspec.UnsetType | None = msgspec.UNSET
    judging_ends_at: dt.datetime | msgspec.UnsetType | None = msgspec.UNSET
    results_at: dt.datetime | msgspec.UnsetType | None = msgspec.UNSET


class ChallengeCreate(_ChallengeFields, kw_only=True):
    title: str
    # Slugs of the caller's own organizations that organize the challenge.
    organizations: list[str]


class ChallengeUpdate(_ChallengeFields, kw_only=True):
    title: str | msgspec.UnsetType = msgspec.UNSET
    # Changeable only while the challenge is a draft.
    slug: str | msgspec.UnsetType = msgspec.UNSET


class RoundCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    opens_at: dt.datetime
    deadline: dt.datetime
    description: str = ""
    rubric_planned: bool = True


class RoundUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    opens_at: dt.datetime | msgspec.UnsetType = msgspec.UNSET
    deadline: dt.datetime | msgspec.UnsetType = msgspec.UNSET
    rubric_planned: bool | msgspec.UnsetType = msgspec.UNSET


class FieldCreate(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    kind: str
    required: bool = False
    help_text: str = ""
    choices: list[str] = []
    allowed_types: list[str] = []
    max_size_mb: int | None = None


class Extension(msgspec.Struct, forbid_unknown_fields=True):
    until: dt.datetime


class AnnouncementCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    body: str


class AnnouncementView(msgspec.Struct):
    id: uuid.UUID
    title: str
    body: str
    created_at: dt.datetime


class FieldView(msgspec.Struct):
    id: uuid.UUID
    key: str
    label: str
    kind: str
    required: bool
    help_text: str
    choices: list[str]
    allowed_types: list[str]
    max_size_mb: int | None
    retired_at: dt.datetime | None


class RoundView(msgspec.Struct):
    id: uuid.UUID
    position: int
    name: str
    description: str
    opens_at: dt.datetime
    deadline: dt.datetime
    rubric_planned: bool
    fields: list[FieldView]


class PrizeView(msgspec.Struct):
    title: str
    description: str
    reward: str


class MilestoneView(msgspec.Struct):
    kind: str
    at: dt.datetime
    label: str


class ChallengeView(msgspec.Struct):
    slug: str
    title: str
    summary: str
    description: str
    rules: str
    rules_version: int
    program: str | None
    visibility: str
    contact_email: str | None
    timezone: str
    allowed_kinds: list[str]
    allowed_countries: list[str]
    team_min: int
    team_max: int
    approval_mode: str
    approval_domains: list[str]
    registration_questions: list[dict[str, Any]]
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    judging_ends_at: dt.datetime | None
    results_at: dt.datetime | None
    published_at: dt.datetime | None
    phase: str
    registration_open: bool
    next_deadline: MilestoneView | None
    organizers: list[OrganizerView]
    prizes: list[PrizeView]
    rounds: list[RoundView]


def body_values(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a client actually sent, as plain values (nested structs as dicts)."""
    values = {}
    for name in body.__struct_fields__:
        value = getattr(body, name)
        if value is msgspec.UNSET:
            continue
        if isinstance(value, list):
            value = [
                msgspec.structs.asdict(item) if isinstance(item, msgspec.Struct) else item for item in value
            ]
        values[name] = value
    return values
