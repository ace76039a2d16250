"""Tables of webhooks: an organization's endpoints and the log of what was sent to them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

# What an organization may subscribe to; `ping` is the test event sent by hand, never subscribed to.
EVENTS = (
    "submission.submitted",
    "registration.decided",
    "access_request.decided",
    "grant.revoked",
    "grant.expired",
    "results.published",
)
PING = "ping"


class Webhook(IdMixin, CreatedMixin, Base):
    """An endpoint of an organization. Its signing secret is never stored: it is derived from SECRET_KEY and
    `secret_seed` (app.webhooks.signing), so the database alone (a backup, a dump) does not give it away;
    rotating the secret draws a new seed."""

    __tablename__ = "webhooks"
    __table_args__ = (CheckConstraint("cardinality(events) > 0", name="events"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), server_default="")
    events: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    secret_seed: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    secret_rotated_at: Mapped[dt.datetime | None]


class WebhookDelivery(IdMixin, CreatedMixin, Base):
    """One event for one endpoint, sent by the `deliver_webhook` job and kept as the endpoint's delivery log.

    Its id is the `webhook-id` header, the same on every attempt, so that receivers drop a repeat."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),)

    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(server_default="0")
    last_attempt_at: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None]
    # Given up: the attempts ran out, the address was refused, or the endpoint was deactivated.
    failed_at: Mapped[dt.datetime | None]
    # While an attempt is on the wire (no transaction open), a second run of the job waits until this passes.
    sending_until: Mapped[dt.datetime | None]
