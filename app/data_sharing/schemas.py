"""Bodies and views of the data-sharing JSON API (msgspec structs, documented in the OpenAPI schema).

Views describe datasets, never their content: no file view carries a link, and workspace instructions
are given to the dataset's stewards only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec


class DatasetCreate(msgspec.Struct, forbid_unknown_fields=True):
    organization: str  # slug of one of the caller's organizations: the steward organization
    title: str
    sensitivity: str  # open, restricted, sensitive
    agreement: str  # version 1 of the data use agreement
    description: str = ""
    access_mode: str = "files"  # files, workspace
    workspace_instructions: str = ""
    max_grant_days: int = 180


class DatasetUpdate(msgspec.Struct, forbid_unknown_fields=True):
    title: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    sensitivity: str | msgspec.UnsetType = msgspec.UNSET
    access_mode: str | msgspec.UnsetType = msgspec.UNSET
    workspace_instructions: str | msgspec.UnsetType = msgspec.UNSET
    max_grant_days: int | msgspec.UnsetType = msgspec.UNSET


class ChallengeRef(msgspec.Struct):
    slug: str
    title: str


class PersonRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class DatasetSummary(msgspec.Struct):
    slug: str
    title: str
    description: str
    organization: str
    sensitivity: str
    access_mode: str
    max_grant_days: int
    offered_to: list[ChallengeRef]


class DatasetList(msgspec.Struct):
    items: list[DatasetSummary]
    page: int
    per_page: int
    total: int
    pages: int


class DatasetView(DatasetSummary, kw_only=True):
    id: uuid.UUID
    agreement_version: int
    stewards: list[PersonRef]
    is_steward: bool
    # Stewards only; null for everyone else.
    workspace_instructions: str | None = None


class AgreementCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class AgreementVersionView(msgspec.Struct):
    version: int
    text: str
    created_at: dt.datetime


class DatasetFileView(msgspec.Struct):
    id: uuid.UUID
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class FiveSafes(msgspec.Struct, forbid_unknown_fields=True):
    projects: str = ""
    people: str = ""
    settings: str = ""
    data: str = ""
    outputs: str = ""


class OfferingCreate(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal["ask", "offer"]  # ask: a founder of the challenge; offer: a steward of the dataset
    dataset: str  # slug
    challenge: str  # slug
    from_round: int | None = None  # position of the first round whose teams may request the dataset
    five_safes: FiveSafes | None = None  # required to offer


class OfferingAction(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal["agree", "withdraw"]
    five_safes: FiveSafes | None = None  # a steward agreeing may complete the checklist here


class OfferingView(msgspec.Struct):
    id: uuid.UUID
    dataset: str
    challenge: str
    from_round_id: uuid.UUID | None
    founder_agreed_at: dt.datetime | None
    steward_agreed_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    available: bool
    five_safes: dict[str, str]
