"""Which audit entries are about one challenge, or one dataset: scopes read at query time.

An entry names its object by type and id (`audit_log.object_type`, `object_id` as text); a scope is a
UNION ALL of one branch per object type, each a join from the objects of that type belonging to the
challenge (or dataset) to their entries through ix_audit_log_object, so a scope costs what it holds, not
what the log holds. Like app.authz, this module reads other domains' tables, imported where used.

What each scope holds (README, "Audit log"):
- a challenge: the challenge itself, its rounds, registrations, teams, submissions, judges, reviews,
  prizes and the offerings of datasets to it — all things its founders already see and run;
- a dataset: the dataset itself, its offerings, access requests (with the stewards' internal comments)
  and grants. Access requests and grants stay out of the challenge's scope: their entries carry the
  stewards' comments and reasons, which are not the founders'.
Offerings are in both: they are agreed between the founders and the stewards, who both act on them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, literal, select, union_all

from app.platform.models import AuditEntry

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, CompoundSelect, Select


def _about(
    object_type: str, object_ids: Select[Any] | None = None, object_id: uuid.UUID | None = None
) -> Any:
    """The ids of the entries about objects of `object_type` whose ids `object_ids` selects (or one object)."""
    if object_ids is None:
        return select(AuditEntry.id).where(
            AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id)
        )
    ids = object_ids.subquery()
    key: ColumnElement[Any] = cast(ids.c[0], String)
    return select(AuditEntry.id).join(
        ids, and_(AuditEntry.object_type == literal(object_type), AuditEntry.object_id == key)
    )


def challenge_entries(challenge_id: uuid.UUID) -> CompoundSelect:
    """The ids of the entries about the challenge and what belongs to it."""
    from app.challenges.models import Prize, Registration, Round
    from app.data_sharing.models import Offering
    from app.judging.models import Judge, Review
    from app.teams.models import Submission, Team

    rounds = select(Round.id).where(Round.challenge_id == challenge_id)
    return union_all(
        _about("challenge", object_id=challenge_id),
        _about("round", rounds),
        _about("registration", select(Registration.id).where(Registration.challenge_id == challenge_id)),
        _about("team", select(Team.id).where(Team.challenge_id == challenge_id)),
        _about("submission", select(Submission.id).where(Submission.round_id.in_(rounds))),
        _about("judge", select(Judge.id).where(Judge.challenge_id == challenge_id)),
        _about("review", select(Review.id).where(Review.round_id.in_(rounds))),
        _about("prize", select(Prize.id).where(Prize.challenge_id == challenge_id)),
        _about("offering", select(Offering.id).where(Offering.challenge_id == challenge_id)),
    )


def dataset_entries(dataset_id: uuid.UUID) -> CompoundSelect:
    """The ids of the entries about the dataset and what belongs to it."""
    from app.data_sharing.models import AccessRequest, Grant, Offering

    return union_all(
        _about("dataset", object_id=dataset_id),
        _about("offering", select(Offering.id).where(Offering.dataset_id == dataset_id)),
        _about("access_request", select(AccessRequest.id).where(AccessRequest.dataset_id == dataset_id)),
        _about("grant", select(Grant.id).where(Grant.dataset_id == dataset_id)),
    )
