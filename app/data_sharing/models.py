"""Tables of governed data sharing: datasets and their stewards, agreement versions, files, offerings to
challenges, access requests with their append-only history, grants with their named members, each
person's acceptance of an agreement version, and the append-only access log.

The rules these tables serve (DESIGN.md): nobody downloads dataset content without an active grant
naming them, and no access leaves no trace. The history of a request and the access log are
append-only in the database itself (triggers in migration 0005, like the audit log); a request's
`state` column is written only by a trigger from its latest event, so the state is derived from the
history and can never disagree with it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedMixin, IdMixin

SENSITIVITIES = ("open", "restricted", "sensitive")
ACCESS_MODES = ("files", "workspace")
REQUEST_STATES = ("draft", "submitted", "approved", "rejected", "returned", "withdrawn")
# Event kinds of a request's history. Transitions set `to_state`; comments do not change the state.
EVENT_KINDS = (
    "created",
    "submitted",
    "resubmitted",
    "approved",
    "rejected",
    "returned",
    "withdrawn",
    "comment",  # seen by the team and the stewards
    "internal_comment",  # stewards only; never shown to the team
    "member_added",  # an amended request naming one more member
    "grant_revoked",  # a request to add a member closed (withdrawn) because its grant was revoked
    "grant_expired",  # ... or expired
)
FIVE_SAFES = ("projects", "people", "settings", "data", "outputs")


class Dataset(IdMixin, CreatedMixin, Base):
    __tablename__ = "datasets"
    __table_args__ = (
        CheckConstraint("sensitivity IN ('open', 'restricted', 'sensitive')", name="sensitivity"),
        CheckConstraint("access_mode IN ('files', 'workspace')", name="access_mode"),
        CheckConstraint("max_grant_days BETWEEN 1 AND 1830", name="max_grant_days"),
    )

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    steward_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    sensitivity: Mapped[str] = mapped_column(String(12))
    access_mode: Mapped[str] = mapped_column(String(10), server_default="files")
    # For access_mode "workspace": how entitled members reach the external secure workspace.
    workspace_instructions: Mapped[str] = mapped_column(Text, server_default="")
    max_grant_days: Mapped[int] = mapped_column(Integer, server_default="180")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    archived_at: Mapped[dt.datetime | None]


class DatasetSteward(Base):
    """A member of the steward organization named steward of the dataset."""

    __tablename__ = "dataset_stewards"

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class AgreementVersion(IdMixin, CreatedMixin, Base):
    """One version of the dataset's data use agreement; the highest number is the one in force."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class AgreementAcceptance(Base):
    """A person accepted version `version` of the dataset's agreement, themselves, at `accepted_at`."""

    __tablename__ = "agreement_acceptances"

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    accepted_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class DatasetFile(IdMixin, CreatedMixin, Base):
    """A file of the dataset in the storage backend under a generated key, with its checksum."""

    __tablename__ = "dataset_files"

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[dt.datetime | None]


class Offering(IdMixin, CreatedMixin, Base):
    """A dataset offered to a challenge: asked by a founder or offered by a steward, available once both sides
    agreed; optionally only to teams in a given round or later. Carries the steward's Five Safes checklist."""

    __tablename__ = "offerings"
    __table_args__ = (UniqueConstraint("dataset_id", "challenge_id"),)

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id"))
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    from_round_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    founder_agreed_at: Mapped[dt.datetime | None]
    founder_agreed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    steward_agreed_at: Mapped[dt.datetime | None]
    steward_agreed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # {"projects": "...", "people": "...", "settings": "...", "data": "...", "outputs": "..."}
    five_safes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    withdrawn_at: Mapped[dt.datetime | None]


class AccessRequest(IdMixin, CreatedMixin, Base):
    """A team's request for an offered dataset. `state` is written by a trigger from the latest event only."""

    __tablename__ = "access_requests"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'submitted', 'approved', 'rejected', 'returned', 'withdrawn')", name="state"
        ),
        Index("ix_access_requests_dataset_state", "dataset_id", "state"),
    )

    offering_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offerings.id"))
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id"))
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text, server_default="")
    # Set when this request amends a grant by naming one more member.
    amends_grant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grants.id", use_alter=True))
    state: Mapped[str] = mapped_column(String(10), server_default="draft")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class AccessRequestMember(Base):
    """A member the request names as someone who will access the data."""

    __tablename__ = "access_request_members"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_requests.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)


class AccessRequestEvent(Base):
    """One step of a request's history. Append-only (trigger); inserting a transition sets the request's state."""

    __tablename__ = "access_request_events"
    __table_args__ = (
        UniqueConstraint("request_id", "seq"),
        CheckConstraint(
            "to_state IS NULL OR to_state IN ('draft', 'submitted', 'approved', 'rejected', 'returned', 'withdrawn')",
            name="to_state",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("access_requests.id"))
    # 1, 2, 3... per request: the unique pair makes two concurrent transitions from one state collide.
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str | None] = mapped_column(String(10))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, server_default="")
    internal: Mapped[bool] = mapped_column(server_default="false")
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Grant(IdMixin, CreatedMixin, Base):
    """Access given on approval: a team, a dataset, a challenge, named members, a period; revocable with a reason."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("expires_at > starts_at", name="period"),
        Index("ix_grants_dataset_expires", "dataset_id", "expires_at"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("access_requests.id"), unique=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id"))
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id"))
    starts_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # Bookkeeping of the cron job; access is refused at `expires_at` whatever these say.
    warned_at: Mapped[dt.datetime | None]
    expired_at: Mapped[dt.datetime | None]


class GrantMember(Base):
    """A member named on the grant; a steward may remove one (with a reason) without revoking the grant."""

    __tablename__ = "grant_members"

    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    removed_at: Mapped[dt.datetime | None]
    removed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    removed_reason: Mapped[str | None] = mapped_column(Text)


class AccessLogEntry(Base):
    """Every access to dataset content, and every refused attempt: who, when, what, from where, outcome.
    Append-only (trigger). No foreign keys to things that may be deleted: the trace outlives them."""

    __tablename__ = "access_log"
    __table_args__ = (
        CheckConstraint("outcome IN ('allowed', 'refused')", name="outcome"),
        Index("ix_access_log_dataset_at", "dataset_id", "at"),
        Index("ix_access_log_user_at", "user_id", "at"),
        # newest first across datasets: the steward board and the API read the log by (at, id) descending
        Index("ix_access_log_at_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None]
    dataset_id: Mapped[uuid.UUID]
    file_id: Mapped[uuid.UUID | None]
    grant_id: Mapped[uuid.UUID | None]
    team_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(20))  # link, download, workspace
    outcome: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200), server_default="")
    ip: Mapped[str | None] = mapped_column(INET)
