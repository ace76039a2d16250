"""What the JSON API of webhooks takes and sends."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The only fields a client may send: the organization comes from the path, the secret is made here."""

    url: str
    events: list[str]
    description: str = ""


class WebhookView(msgspec.Struct):
    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    active: bool
    created_at: dt.datetime


class WebhookCreated(WebhookView):
    """The answer to creating: `secret` is shown this once."""

    secret: str
