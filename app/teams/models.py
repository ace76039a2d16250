"""Tables of teams, their members, invitations and join requests, submissions, their versions and files."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

SUBMISSION_STATUSES = ("draft", "submitted", "withdrawn")
JOIN_REQUEST_STATUSES = ("pending", "approved", "declined", "cancelled")


class Team(IdMixin, CreatedMixin, Base):
    """A team within one challenge. `member_count` is the seat counter: it only moves through a conditional
    UPDATE checked against the challenge's maximum, so concurrent joins can never overfill a team."""

    __tablename__ = "teams"
    __table_args__ = (
        Index("uq_teams_challenge_name", "challenge_id", func.lower(text("name")), unique=True),
        # (id, challenge_id) is what team_members refers to, so a member row cannot name another challenge.
        UniqueConstraint("id", "challenge_id"),
        CheckConstraint("member_count >= 0", name="member_count"),
    )

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    captain_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The startup the team represents, if any. Indexed: a judge's conflicts look up their organizations' teams.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    member_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # The team agrees to appear in the public gallery once results are published.
    gallery_opt_in: Mapped[bool] = mapped_column(server_default="false")


class TeamMember(Base):
    """A person in a team. The unique (challenge_id, user_id) is what keeps anyone in two teams of a challenge."""

    __tablename__ = "team_members"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id"),
        ForeignKeyConstraint(
            ["team_id", "challenge_id"],
            ["teams.id", "teams.challenge_id"],
            ondelete="CASCADE",
            name="fk_team_members_team",
        ),
        CheckConstraint("role IN ('captain', 'member')", name="role"),
        # One captain per team, whatever requests race: the services keep teams.captain_id on that row.
        Index("uq_team_members_captain", "team_id", unique=True, postgresql_where=text("role = 'captain'")),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    challenge_id: Mapped[uuid.UUID] = mapped_column()
    role: Mapped[str] = mapped_column(String(10), server_default="member")
    joined_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class TeamInvitation(IdMixin, CreatedMixin, Base):
    """An e-mailed invitation to a team; the link carries a signed id; accepting stamps accepted_at once."""

    __tablename__ = "team_invitations"
    __table_args__ = (
        Index(
            "uq_team_invitations_open",
            "team_id",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    invited_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None]


class JoinRequest(IdMixin, CreatedMixin, Base):
    __tablename__ = "join_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'declined', 'cancelled')", name="status"),
        Index(
            "uq_join_requests_pending",
            "team_id",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(1000), server_default="")
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]


class Submission(IdMixin, CreatedMixin, Base):
    """One per team per round (unique), pointing at its latest version."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("team_id", "round_id"),
        CheckConstraint("status IN ('draft', 'submitted', 'withdrawn')", name="status"),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), server_default="draft")
    # Number of the latest version; a save based on an older number is a conflict, never a silent overwrite.
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    submitted_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class SubmissionVersion(IdMixin, CreatedMixin, Base):
    """Every save, kept: the answers by field key, and the stored file ids by field key."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    files: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # What happened: save, upload, submit, withdraw, restore (of version `restored_from`).
    action: Mapped[str] = mapped_column(String(20), server_default="save")
    restored_from: Mapped[int | None] = mapped_column(Integer)


class StoredFile(IdMixin, CreatedMixin, Base):
    """A file in the storage backend under a generated key; the original name is kept for display only."""

    __tablename__ = "stored_files"

    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Whose file it is: the team (submissions); dataset files come with issue #6.
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
