"""Tables of programs, challenges, their organizers, prizes, rounds and forms, registrations and announcements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

PROGRAM_KINDS = ("technology", "pathology", "patient_population", "public_health")
VISIBILITIES = ("public", "invitation")
APPROVAL_MODES = ("manual", "verified", "domain", "everyone")
REGISTRATION_STATUSES = ("pending", "approved", "rejected", "withdrawn")
FIELD_KINDS = ("short_text", "long_text", "url", "file", "single_choice", "multiple_choice")

# Weighted text for search, in both languages the platform speaks; a generated column keeps it current.
SEARCH_EXPRESSION = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('french', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('french', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C') || "
    "setweight(to_tsvector('french', coalesce(description, '')), 'C')"
)


class Program(IdMixin, CreatedMixin, Base):
    """A theme held for one or two years, co-founded by organizations, grouping challenges."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('technology', 'pathology', 'patient_population', 'public_health')", name="kind"
        ),
        CheckConstraint("ends_on > starts_on AND ends_on <= starts_on + interval '2 years'", name="period"),
    )

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    description: Mapped[str] = mapped_column(Text, server_default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ProgramOrganization(Base):
    __tablename__ = "program_organizations"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Challenge(IdMixin, CreatedMixin, Base):
    """A themed challenge. Its phase is never stored: app.challenges.lifecycle derives it from the timeline."""

    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("visibility IN ('public', 'invitation')", name="visibility"),
        CheckConstraint(
            "approval_mode IN ('manual', 'verified', 'domain', 'everyone')", name="approval_mode"
        ),
        CheckConstraint("team_min >= 1 AND team_max >= team_min AND team_max <= 50", name="team_size"),
        Index("ix_challenges_search", "search", postgresql_using="gin"),
        Index("ix_challenges_published", "published_at", postgresql_where=text("published_at IS NOT NULL")),
    )

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    program_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), server_default="")
    description: Mapped[str] = mapped_column(Text, server_default="")
    rules: Mapped[str] = mapped_column(Text, server_default="")
    # Bumped whenever the rules text changes after publishing; registrations record the version accepted.
    rules_version: Mapped[int] = mapped_column(Integer, server_default="1")
    allowed_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    allowed_countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default="{}")
    team_min: Mapped[int] = mapped_column(Integer, server_default="1")
    team_max: Mapped[int] = mapped_column(Integer, server_default="5")
    visibility: Mapped[str] = mapped_column(String(12), server_default="public")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(60), server_default="Europe/Paris")
    registration_opens_at: Mapped[dt.datetime | None]
    registration_closes_at: Mapped[dt.datetime | None]
    judging_ends_at: Mapped[dt.datetime | None]
    results_at: Mapped[dt.datetime | None]
    approval_mode: Mapped[str] = mapped_column(String(10), server_default="manual")
    approval_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)), server_default="{}")
    # [{"key": "q1", "label": "...", "required": true}], answered at registration.
    registration_questions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    # Set by the founders' actions; everything else about the phase comes from the timeline.
    published_at: Mapped[dt.datetime | None]
    results_published_at: Mapped[dt.datetime | None]
    # What the public results page shows besides the winners: "winners" only, or the full "ranking".
    results_visibility: Mapped[str] = mapped_column(String(10), server_default="winners")
    archived_at: Mapped[dt.datetime | None]
    # Token of the shareable link that lets people see an invitation-only challenge.
    invitation_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    search: Mapped[Any] = mapped_column(TSVECTOR, Computed(SEARCH_EXPRESSION, persisted=True))


class ChallengeOrganizer(Base):
    """An organizer organization: its members are the challenge's founders."""

    __tablename__ = "challenge_organizers"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ChallengeInvitee(Base):
    """Someone who followed the invitation link of an invitation-only challenge (or was invited by e-mail)."""

    __tablename__ = "challenge_invitees"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))


class Prize(IdMixin, Base):
    __tablename__ = "prizes"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    # An amount ("10 000 €") or a benefit ("6 months of incubation"), as the founders write it.
    reward: Mapped[str] = mapped_column(String(200), server_default="")


class Round(IdMixin, Base):
    """One step of a challenge, with its own form, opening and deadline (then rubric and panel: issue #5)."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("challenge_id", "position"),
        CheckConstraint("deadline > opens_at", name="dates"),
    )

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    opens_at: Mapped[dt.datetime]
    deadline: Mapped[dt.datetime]
    # Founders say a rubric is planned before writing it (publishing checks "present or planned").
    rubric_planned: Mapped[bool] = mapped_column(server_default="true")


class RoundField(IdMixin, Base):
    """A question of a round's submission form. Never deleted once answered: retired, so answers stay readable."""

    __tablename__ = "round_fields"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('short_text', 'long_text', 'url', 'file', 'single_choice', 'multiple_choice')",
            name="kind",
        ),
        UniqueConstraint("round_id", "key"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(server_default="false")
    help_text: Mapped[str] = mapped_column(Text, server_default="")
    choices: Mapped[list[str]] = mapped_column(ARRAY(String(200)), server_default="{}")
    max_size_mb: Mapped[int | None] = mapped_column(Integer)
    allowed_types: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    retired_at: Mapped[dt.datetime | None]


class Registration(IdMixin, CreatedMixin, Base):
    """A person's registration to a challenge: one per person and challenge, whatever happens concurrently."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'withdrawn')", name="status"),
        Index("ix_registrations_pending", "challenge_id", postgresql_where=text("status = 'pending'")),
    )

    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The organization the person registers for; its kind and country decide eligibility.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    rules_version: Mapped[int] = mapped_column(Integer)
    rules_accepted_at: Mapped[dt.datetime]
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class Announcement(IdMixin, CreatedMixin, Base):
    __tablename__ = "announcements"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class DeadlineReminder(Base):
    """A reminder sent to one person before one milestone, at one horizon (72 h, 24 h before).

    The primary key is the idempotency key: a job run twice, or two runs at once, insert the same
    row and only the one that inserted it notifies. `sent_at` lets a deadline moved later arm the
    reminder again (see app.challenges.jobs).
    """

    __tablename__ = "deadline_reminders"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    # "registration_closes" or "round:<round id>".
    milestone: Mapped[str] = mapped_column(String(60), primary_key=True)
    horizon_hours: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    due_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime]
