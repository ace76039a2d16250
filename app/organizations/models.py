"""Tables of organizations, their members and pending invitations."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

ORGANIZATION_KINDS = ("company", "startup", "hospital", "public_body", "academic_lab", "association")
MEMBER_ROLES = ("owner", "member")


class Organization(IdMixin, CreatedMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('company', 'startup', 'hospital', 'public_body', 'academic_lab', 'association')",
            name="kind",
        ),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country"),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[dt.datetime | None]
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class OrganizationMember(Base):
    __tablename__ = "organization_members"
    __table_args__ = (CheckConstraint("role IN ('owner', 'member')", name="role"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10), server_default="member")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class OrganizationInvitation(IdMixin, CreatedMixin, Base):
    """An e-mailed invitation; the link carries a signed id, and accepting it stamps accepted_at once."""

    __tablename__ = "organization_invitations"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'member')", name="role"),
        # One open invitation per address and organization.
        Index(
            "uq_organization_invitations_open",
            "organization_id",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10), server_default="member")
    invited_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[dt.datetime | None]
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None]
