"""What comes in about teams (checked field by field) and what the JSON API sends out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from typing import Any, Literal

import msgspec
from email_validator import EmailNotValidError, validate_email

from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy

NAME_MAX = 120
MESSAGE_MAX = 1000
REASON_MAX = 1000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DECISIONS = {"approve": "approved", "decline": "declined"}
SUBMISSION_LABELS = {
    "none": lazy("Not started"),
    "draft": lazy("Draft"),
    "submitted": lazy("Submitted"),
    "withdrawn": lazy("Withdrawn"),
}
ROLE_LABELS = {"captain": lazy("Captain"), "member": lazy("Member")}


def submission_label(status: str | None) -> str:
    return _(SUBMISSION_LABELS.get(status or "none", status or ""))


def role_label(role: str) -> str:
    return _(ROLE_LABELS.get(role, role))


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


def tidy_text(value: Any) -> str:
    # PostgreSQL refuses NUL in text: such characters are dropped rather than failing on save.
    return " ".join(value.replace("\x00", "").split()) if isinstance(value, str) else ""


def _multiline(value: Any) -> str:
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


@dataclasses.dataclass(frozen=True, slots=True)
class TeamInput:
    name: str
    organization_id: uuid.UUID | None


def team_name_error(name: str) -> str | None:
    if len(name) < 2:
        return _("Give your team a name of at least 2 characters.")
    if len(name) > NAME_MAX or _CONTROL.search(name):
        return _("Use at most %(num)s ordinary characters.", num=NAME_MAX)
    return None


def team_input(name: Any, organization_id: Any) -> TeamInput:
    """A team's name (spaces tidied) and optional organization id; InvalidInput with every problem."""
    errors: dict[str, str] = {}
    if name is not None and not isinstance(name, str):
        errors["name"] = _("Give your team a name of at least 2 characters.")
    clean = tidy_text(name)
    if "name" not in errors and (error := team_name_error(clean)):
        errors["name"] = error
    organization = parse_id(organization_id)
    if organization is False:
        errors["organization"] = _("Choose one of your organizations.")
    if errors:
        raise InvalidInput(errors)
    return TeamInput(name=clean, organization_id=organization or None)


def email_input(email: Any) -> str:
    """The invited address, lower-cased, or InvalidInput on `email`."""
    try:
        return validate_email(str(email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput({"email": _("Enter a valid e-mail address.")}) from None


def message_input(message: Any) -> str:
    text = _multiline(message)
    if message is not None and not isinstance(message, str):
        raise InvalidInput({"message": _("Write your message as text.")})
    if len(text) > MESSAGE_MAX:
        raise InvalidInput({"message": _("Use at most %(num)s characters.", num=MESSAGE_MAX)})
    return text


def reason_input(reason: Any) -> str:
    """Founders changing a frozen team say why: the reason goes to the audit log."""
    text = _multiline(reason)
    if not text:
        raise InvalidInput(
            {"reason": _("Say why you change this team: the reason is kept in the audit log.")}
        )
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": _("Use at most %(num)s characters.", num=REASON_MAX)})
    return text


def addition_input(email: Any, reason: Any) -> tuple[str, str]:
    """The address and reason of a founder adding someone to a team; InvalidInput with both problems at once."""
    errors: dict[str, str] = {}
    address = why = ""
    try:
        address = email_input(email)
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        why = reason_input(reason)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return address, why


def decision_input(decision: Any) -> str:
    if decision not in DECISIONS:
        raise InvalidInput({"decision": _("Choose to approve or to decline.")})
    return DECISIONS[decision]


def member_input(user_id: Any) -> uuid.UUID:
    member = parse_id(user_id)
    if not isinstance(member, uuid.UUID):
        raise InvalidInput({"user_id": _("Choose a member of the team.")})
    return member


# --- JSON API ------------------------------------------------------------------------------------------


class TeamCreate(msgspec.Struct, forbid_unknown_fields=True):
    """What a participant sends to create a team: never a captain, a challenge or a member count."""

    name: str
    organization_id: uuid.UUID | None = None


class TeamUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The captain's fields; those left out stay as they are."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    organization_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    gallery_opt_in: bool | msgspec.UnsetType = msgspec.UNSET


class CaptainChange(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    # Required from founders (audited), ignored from the captain.
    reason: str = ""


class MemberAddition(msgspec.Struct, forbid_unknown_fields=True):
    """Founders add a person (by the e-mail of their account) to a team, saying why."""

    email: str
    reason: str


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: str


class JoinRequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    message: str = ""


class JoinDecision(msgspec.Struct, forbid_unknown_fields=True):
    decision: str


class PersonSummary(msgspec.Struct):
    id: uuid.UUID
    name: str


class MemberView(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    joined_at: dt.datetime


class SubmissionSummary(msgspec.Struct):
    round_id: uuid.UUID
    round_name: str
    deadline: dt.datetime
    status: str
    version: int
    submitted_at: dt.datetime | None


class TeamView(msgspec.Struct):
    id: uuid.UUID
    challenge: str
    name: str
    captain_id: uuid.UUID
    organization_id: uuid.UUID | None
    member_count: int
    team_max: int
    team_min: int
    gallery_opt_in: bool
    membership_frozen: bool
    created_at: dt.datetime
    members: list[MemberView]
    submissions: list[SubmissionSummary]
    # Why the team may not submit now, or None.
    submit_blocker: str | None


class TeamListItem(msgspec.Struct):
    id: uuid.UUID
    name: str
    member_count: int
    team_max: int
    organization: str | None
    # The caller's own pending request to this team, if any.
    my_join_request_id: uuid.UUID | None


class TeamList(msgspec.Struct):
    items: list[TeamListItem]
    page: int
    per_page: int
    total: int
    pages: int
    # The caller's own team in this challenge, if any.
    my_team_id: uuid.UUID | None


class InvitationView(msgspec.Struct):
    id: uuid.UUID
    email: str
    invited_by: PersonSummary
    created_at: dt.datetime
    expires_at: dt.datetime


class JoinRequestView(msgspec.Struct):
    id: uuid.UUID
    team_id: uuid.UUID
    person: PersonSummary
    message: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
