"""JSON shapes of the grants, download links and access log API (app.data_sharing.access_api)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class GrantMemberView(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    removed_at: dt.datetime | None
    removed_reason: str | None


class GrantView(msgspec.Struct):
    id: uuid.UUID
    team_id: uuid.UUID
    team: str
    dataset_id: uuid.UUID
    dataset: str
    challenge_id: uuid.UUID
    starts_at: dt.datetime
    expires_at: dt.datetime
    # active, scheduled, expired or revoked, at the time of the request
    status: str
    revoked_at: dt.datetime | None
    revoke_reason: str | None
    members: list[GrantMemberView] | None = None


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class LinkView(msgspec.Struct):
    # A path on this server; GET it, signed in as the same person, before `expires_at`.
    url: str
    expires_at: dt.datetime
    file_id: uuid.UUID
    name: str
    size: int
    sha256: str


class AccessLogView(msgspec.Struct):
    id: int
    at: dt.datetime
    user_id: uuid.UUID | None
    person: str | None
    dataset_id: uuid.UUID
    dataset: str
    team_id: uuid.UUID | None
    team: str | None
    file_id: uuid.UUID | None
    action: str
    outcome: str
    reason: str
    ip: str | None


class AccessLogList(msgspec.Struct):
    items: list[AccessLogView]
    per_page: int
    # Pass it as `cursor` for the next (older) entries; null on the last page.
    next_cursor: str | None
