"""What comes in when people register or founders decide (checked field by field), and what the API sends out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy

ANSWER_MAX = 5000
REASON_MAX = 2000
# One bulk action decides at most this many registrations: a page of the review holds fewer.
DECISIONS_MAX = 500
DECISIONS = {"approve": "approved", "reject": "rejected"}
STATUS_LABELS = {
    "pending": lazy("Pending"),
    "approved": lazy("Approved"),
    "rejected": lazy("Not accepted"),
    "withdrawn": lazy("Withdrawn"),
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


@dataclasses.dataclass(frozen=True, slots=True)
class Question:
    key: str
    label: str
    required: bool


def questions_of(challenge: Any) -> list[Question]:
    """The founders' registration questions; a malformed entry is skipped rather than break the page."""
    questions = []
    for item in challenge.registration_questions or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str) or not item["key"]:
            continue
        label = item.get("label")
        questions.append(
            Question(
                item["key"], label if isinstance(label, str) else item["key"], item.get("required") is True
            )
        )
    return questions


def clean_text(value: Any) -> str:
    # PostgreSQL refuses NUL characters in text and JSONB: dropped here rather than failing on save.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


@dataclasses.dataclass(frozen=True, slots=True)
class RegistrationInput:
    organization_id: uuid.UUID | None
    answers: dict[str, str]


def registration_input(
    questions: Sequence[Question],
    current_rules_version: int,
    *,
    organization_id: Any,
    accepted_version: Any,
    answers: Mapping[str, Any],
) -> RegistrationInput:
    """Check the form or body; raise InvalidInput with every problem (keys: organization, rules, answers.<key>)."""
    errors: dict[str, str] = {}
    rules_error = rules_acceptance_error(current_rules_version, accepted_version)
    if rules_error:
        errors["rules"] = rules_error
    organization = parse_id(organization_id)
    if organization is False:
        errors["organization"] = _("Choose one of your organizations.")
    checked = _answers(questions, answers, errors)
    if errors:
        raise InvalidInput(errors)
    return RegistrationInput(organization_id=organization or None, answers=checked)


def rules_acceptance_error(current_version: int, accepted: Any) -> str | None:
    """Why the acceptance does not count, or None: the version accepted must be the one in force."""
    try:
        version = int(accepted) if accepted not in (None, "") else None
    except (TypeError, ValueError):
        version = None
    if version is None:
        return _("Accept the rules to register.")
    if version != current_version:
        return _(
            "The rules have changed since you opened this page: read version %(version)s and accept it.",
            version=current_version,
        )
    return None


def parse_id(value: Any) -> uuid.UUID | Literal[False] | None:
    """An id from a form or body: None when not given, False when not an id at all."""
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return False


def _answers(
    questions: Sequence[Question], answers: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, str]:
    known = {question.key for question in questions}
    unknown = sorted(str(key) for key in answers if key not in known)
    if unknown:
        errors["answers"] = _(
            "These are not questions of this challenge: %(keys)s.", keys=", ".join(unknown)[:300]
        )
    checked = {}
    for question in questions:
        raw = answers.get(question.key)
        value = clean_text(raw)
        field = f"answers.{question.key}"
        if raw is not None and not isinstance(raw, str):
            errors[field] = _("Answer with text.")
        elif question.required and not value:
            errors[field] = _("Answer this question.")
        elif len(value) > ANSWER_MAX:
            errors[field] = _("Use at most %(num)s characters.", num=ANSWER_MAX)
        elif value:
            checked[question.key] = value
    return checked


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    registration_id: uuid.UUID
    # "approved" or "rejected": the status the decision leads to.
    status: str
    reason: str


def decisions_input(items: Sequence[tuple[Any, Any, Any]]) -> list[Decision]:
    """(registration id, "approve" | "reject", reason) triples, checked; a rejection needs its reason."""
    if not items:
        raise InvalidInput({"registrations": _("Select at least one registration.")})
    if len(items) > DECISIONS_MAX:
        raise InvalidInput(
            {"registrations": _("Decide at most %(num)s registrations at once.", num=DECISIONS_MAX)}
        )
    errors: dict[str, str] = {}
    decisions: dict[uuid.UUID, Decision] = {}
    for raw_id, raw_decision, raw_reason in items:
        registration_id = parse_id(raw_id)
        reason = clean_text(raw_reason)
        if not isinstance(registration_id, uuid.UUID):
            errors["registrations"] = _("Select registrations from the list.")
            continue
        if raw_decision not in DECISIONS:
            errors["decision"] = _("Choose to approve or to reject.")
            continue
        if raw_decision == "reject" and not reason:
            errors["reason"] = _("Give the reason for the rejection: the person will read it.")
        elif len(reason) > REASON_MAX:
            errors["reason"] = _("Use at most %(num)s characters.", num=REASON_MAX)
        if registration_id in decisions:
            errors["registrations"] = _("Each registration can be decided only once per action.")
        decisions[registration_id] = Decision(registration_id, DECISIONS[raw_decision], reason)
    if errors:
        raise InvalidInput(errors)
    return list(decisions.values())


# --- JSON API ------------------------------------------------------------------------------------------


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """What a person sends to register: never a status, a person or a challenge id."""

    accept_rules_version: int
    answers: dict[str, str] = msgspec.field(default_factory=dict)
    organization_id: uuid.UUID | None = None


class RulesAcceptance(msgspec.Struct, forbid_unknown_fields=True):
    accept_rules_version: int


class DecisionItem(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    decision: str
    reason: str = ""


class OrganizationSummary(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    country: str
    verified: bool


class PersonSummary(msgspec.Struct):
    id: uuid.UUID
    name: str
    email: str


class RegistrationView(msgspec.Struct):
    id: uuid.UUID
    challenge: str
    status: str
    organization: OrganizationSummary | None
    answers: dict[str, str]
    rules_version: int
    rules_accepted_at: dt.datetime
    current_rules_version: int
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str | None


class ReviewItem(msgspec.Struct):
    id: uuid.UUID
    status: str
    person: PersonSummary
    organization: OrganizationSummary | None
    answers: dict[str, str]
    rules_version: int
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str | None


class ReviewList(msgspec.Struct):
    items: list[ReviewItem]
    page: int
    per_page: int
    total: int
    pages: int


class DecisionResult(msgspec.Struct):
    id: uuid.UUID
    # approved / rejected: done now; unchanged: it already was; conflict: decided otherwise or withdrawn meanwhile.
    result: str
    status: str
