"""Tables of judging: per-round settings, rubric criteria, screening, panels, conflicts, assignments, reviews
and scores, advancement to the next round, prize awards, public votes and long-running judging jobs.

Who judges is a fact about a person and a round (`judges`); what they judge is `assignments`; what they
said is one `reviews` row per (entry, judge) with one `scores` row per criterion. Scores are never deleted
when an assignment is removed: reassigning keeps what was given. Conflicts of interest are declared rows
here; the automatic ones (shared organization) are computed in SQL when needed, so they follow membership
changes without any bookkeeping (app.judging.conflicts).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

ASSIGNMENT_POLICIES = ("all", "k_per_entry")
SCREENING_DECISIONS = ("eligible", "ineligible", "returned")
JOB_KINDS = ("assign", "export")
JOB_STATUSES = ("queued", "running", "done", "failed")


class JudgingRound(Base):
    """Judging settings of one round (one row per round, created on first use with the defaults).

    Judging of a round is open from the round's deadline until `closes_at` (or, when unset, the
    challenge's `judging_ends_at`); founders may close it early, which sets `closes_at`.
    """

    __tablename__ = "judging_rounds"
    __table_args__ = (
        CheckConstraint("policy IN ('all', 'k_per_entry')", name="policy"),
        CheckConstraint("judges_per_entry BETWEEN 1 AND 50", name="judges_per_entry"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    policy: Mapped[str] = mapped_column(String(12), server_default="all")
    judges_per_entry: Mapped[int] = mapped_column(Integer, server_default="3")
    seed: Mapped[int] = mapped_column(Integer, server_default="1")
    closes_at: Mapped[dt.datetime | None]
    public_vote: Mapped[bool] = mapped_column(server_default="false")
    # Ranking method shown by default: "auto" picks z-scores when judges saw different subsets.
    ranking_method: Mapped[str] = mapped_column(String(10), server_default="auto")
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Criterion(IdMixin, Base):
    """One criterion of a round's rubric. `descriptors` holds one text per level: [{"value": 3, "text": ...}].
    The rubric is frozen once a review of the round is finalized (app.judging.rubrics)."""

    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight"),
        CheckConstraint("scale_step > 0", name="scale_step"),
        CheckConstraint("scale_max > scale_min", name="scale"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), server_default="1")
    scale_min: Mapped[Decimal] = mapped_column(Numeric(8, 2), server_default="0")
    scale_max: Mapped[Decimal] = mapped_column(Numeric(8, 2), server_default="10")
    scale_step: Mapped[Decimal] = mapped_column(Numeric(8, 2), server_default="1")
    descriptors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))


class Screening(Base):
    """The founders' decision on a submitted entry before judging. Only eligible entries are assigned."""

    __tablename__ = "screenings"
    __table_args__ = (CheckConstraint("decision IN ('eligible', 'ineligible', 'returned')", name="decision"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Judge(IdMixin, CreatedMixin, Base):
    """A seat on a round's panel: an e-mailed invitation until a signed-in person with that address accepts
    it (user_id set). The link carries a signed id (like team invitations)."""

    __tablename__ = "judges"
    __table_args__ = (
        Index("uq_judges_round_email", "round_id", func.lower(text("email")), unique=True),
        Index(
            "uq_judges_round_user",
            "round_id",
            "user_id",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL"),
        ),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[dt.datetime | None]
    removed_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]


class Conflict(IdMixin, Base):
    """A conflict of interest declared by a judge with a team of the challenge (automatic ones are computed)."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    declared_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Assignment(Base):
    """Judge `user_id` reviews `submission_id` in the round."""

    __tablename__ = "assignments"
    # A judge's queue is their assignments of one round (app.judging.queue): an index-only range. It serves
    # the lookups by judge alone too.
    __table_args__ = (Index("ix_assignments_user_round", "user_id", "round_id", "submission_id"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    manual: Mapped[bool] = mapped_column(server_default="false")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Review(IdMixin, Base):
    """One judge's review of one entry: the overall comment and whether it is final. Draft until finalized."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("submission_id", "user_id"),
        Index("ix_reviews_round_user", "round_id", "user_id"),
    )

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    comment: Mapped[str] = mapped_column(Text, server_default="")
    finalized_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    # The judge's weighted total on 0-100, kept by the database (triggers of migration 0004) whenever the
    # review is finalized or its scores or the round's criteria change; NULL while a draft. Rankings read
    # it instead of re-adding 8 scores per review (app.judging.ranking).
    total: Mapped[float | None] = mapped_column(Double, server_default=None)


class Score(Base):
    """A judge's value for one criterion of one entry, with an optional comment."""

    __tablename__ = "scores"

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    comment: Mapped[str] = mapped_column(Text, server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Advancement(Base):
    """Team `team_id` takes part in round `round_id` (a later round): decided by the founders, with a reason."""

    __tablename__ = "advancements"

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(Text, server_default="")
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class PrizeAward(Base):
    """A prize of the challenge given to a team (a prize may go to several teams, e.g. ex aequo)."""

    __tablename__ = "prize_awards"

    prize_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prizes.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    awarded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    awarded_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Vote(Base):
    """A signed-in person's one vote in a round's public vote: the primary key is what keeps it to one."""

    __tablename__ = "votes"

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class JudgingJob(IdMixin, CreatedMixin, Base):
    """Long work on a round run by the arq worker (assignment of a large round, exports), with its progress
    for the page and, for exports, the stored result to download."""

    __tablename__ = "judging_jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('assign', 'export')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(String(10), server_default="queued")
    done: Mapped[int] = mapped_column(Integer, server_default="0")
    total: Mapped[int] = mapped_column(Integer, server_default="0")
    result_key: Mapped[str | None] = mapped_column(String(200))
    result_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    finished_at: Mapped[dt.datetime | None]
