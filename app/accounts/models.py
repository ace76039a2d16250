"""Tables of people, their sessions and their API tokens."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

NOTIFY_MODES = ("immediate", "digest")


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Stored lower-cased by the service; the index keeps it unique whatever writes it.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        CheckConstraint("locale IN ('en', 'fr')", name="locale"),
        CheckConstraint("notify_mode IN ('immediate', 'digest')", name="notify_mode"),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), server_default="en")
    notify_mode: Mapped[str] = mapped_column(String(10), server_default="immediate")
    email_verified_at: Mapped[dt.datetime | None]
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    password_changed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class UserSession(Base):
    """A signed-in browser. The id is the SHA-256 of the cookie value, so a database leak holds no live session."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(IdMixin, CreatedMixin, Base):
    """A personal token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
