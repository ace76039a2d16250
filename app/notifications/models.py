"""Tables of in-app notifications and of the mail log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin


class Notification(IdMixin, CreatedMixin, Base):
    """What happened, kept as a kind and parameters so it renders in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_unread", "user_id", postgresql_where=text("read_at IS NULL")),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    link: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[dt.datetime | None]
    # Set once the notification went out by e-mail, alone or in a digest.
    emailed_at: Mapped[dt.datetime | None]


class MailMessage(IdMixin, CreatedMixin, Base):
    """Every e-mail the platform sends; without SMTP_URL this is the mail log admins read."""

    __tablename__ = "mail_messages"

    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # The same key twice means the same message: a job run twice sends it once.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    transport: Mapped[str | None] = mapped_column(String(10))
    sent_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
