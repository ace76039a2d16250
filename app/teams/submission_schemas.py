"""What comes in when a team answers a round's form (checked field by field), and what the API sends out."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec

from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy

if TYPE_CHECKING:
    from app.teams.submission_queries import FieldFacts

SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 20_000
URL_MAX = 2000
TEXT_LIMITS = {"short_text": SHORT_TEXT_MAX, "long_text": LONG_TEXT_MAX, "url": URL_MAX}
# Answers posted by the page's form are named "answer.<field key>".
ANSWER_PREFIX = "answer."

STATUS_LABELS = {
    "draft": lazy("Draft"),
    "submitted": lazy("Submitted"),
    "withdrawn": lazy("Withdrawn"),
}
ACTION_LABELS = {
    "save": lazy("saved the draft"),
    "upload": lazy("uploaded a file"),
    "submit": lazy("submitted"),
    "withdraw": lazy("withdrew the submission"),
    "restore": lazy("restored an earlier version"),
    "return": lazy("returned the submission for changes"),
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def action_label(action: str, restored_from: int | None = None) -> str:
    if action == "restore" and restored_from is not None:
        return _("restored version %(number)s", number=restored_from)
    return _(ACTION_LABELS.get(action, action))


def editable(field: FieldFacts) -> bool:
    """Whether the team may still answer the field: retired fields keep their answers, read-only."""
    return field.retired_at is None


def clean_text(value: str) -> str:
    # PostgreSQL refuses NUL in JSONB text; browsers send \r\n, which would count twice against maxlength.
    return value.replace("\x00", "").replace("\r\n", "\n").strip()


def answers_from_form(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The page's posted answers by field key ("answer.<key>"): a list when a key comes several times.

    Like the API's PUT, the form sends every editable answer: a question it does not send (no box
    ticked) counts as cleared.
    """
    posted: dict[str, list[str]] = {}
    for name, value in items:
        if name.startswith(ANSWER_PREFIX) and isinstance(value, str):
            posted.setdefault(name.removeprefix(ANSWER_PREFIX), []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in posted.items()}


def checked_answers(fields: Sequence[FieldFacts], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to the form's editable questions, cleaned, empty ones left out.

    Raise InvalidInput with every problem (keys `answers.<field key>`, or `answers` for questions that
    are not on the form). Nothing is required here: a draft may be incomplete; submit() checks that.
    """
    by_key = {field.key: field for field in fields}
    errors: dict[str, str] = {}
    unknown = sorted(str(key) for key in answers if key not in by_key)
    if unknown:
        errors["answers"] = _(
            "These are not questions of this form: %(keys)s.", keys=", ".join(unknown)[:300]
        )
    checked: dict[str, Any] = {}
    for key, raw in answers.items():
        field = by_key.get(key)
        if field is None:
            continue
        try:
            value = _checked_value(field, raw)
        except _BadAnswer as exc:
            errors[f"answers.{key}"] = str(exc)
            continue
        if value:
            checked[key] = value
    if errors:
        raise InvalidInput(errors)
    return checked


class _BadAnswer(Exception):
    """One answer's problem, as the message shown beside it."""


def _checked_value(field: FieldFacts, raw: Any) -> Any:
    if not editable(field):
        raise _BadAnswer(_("This question was withdrawn by the founders: its answer can no longer change."))
    if field.kind == "file":
        raise _BadAnswer(_("Upload files with the file upload, not as an answer."))
    if field.kind == "multiple_choice":
        return _checked_choices(field, raw)
    if not isinstance(raw, str):
        raise _BadAnswer(_("Answer with text."))
    value = clean_text(raw)
    if not value:
        return ""
    if field.kind == "single_choice":
        if value not in field.choices:
            raise _BadAnswer(_("Choose one of the listed options."))
        return value
    limit = TEXT_LIMITS.get(field.kind, LONG_TEXT_MAX)
    if len(value) > limit:
        raise _BadAnswer(_("Use at most %(num)s characters.", num=limit))
    if field.kind == "url" and not is_web_address(value):
        raise _BadAnswer(_("Enter a web address starting with http:// or https://."))
    return value


def _checked_choices(field: FieldFacts, raw: Any) -> list[str]:
    if isinstance(raw, str):
        # One box ticked in the page's form.
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _BadAnswer(_("Choose among the listed options."))
    chosen = {item.strip() for item in raw if item.strip()}
    if chosen - set(field.choices):
        raise _BadAnswer(_("Choose among the listed options."))
    # In the founders' order, so that the same choices always compare equal.
    return [choice for choice in field.choices if choice in chosen]


def is_web_address(value: str) -> bool:
    if any(character.isspace() for character in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def missing_required(
    fields: Sequence[FieldFacts], answers: Mapping[str, Any], files: Mapping[str, Any]
) -> dict[str, str]:
    """Required questions still unanswered (or files not uploaded), by `answers.<field key>`."""
    errors: dict[str, str] = {}
    for field in fields:
        if not field.required or not editable(field):
            continue
        if field.kind == "file" and not files.get(field.key):
            errors[f"answers.{field.key}"] = _("Upload this file before submitting.")
        elif field.kind != "file" and not answers.get(field.key):
            errors[f"answers.{field.key}"] = _("Answer this question before submitting.")
    return errors


# --- JSON API ------------------------------------------------------------------------------------------


class SubmissionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A draft saved through the API: every editable answer (PUT replaces them all), and the version it
    was based on. Never a status, a version number to set, a team or files."""

    base_version: int
    answers: dict[str, str | list[str]] = msgspec.field(default_factory=dict)


class SubmitRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Optional body of submit and restore: the version the caller saw, refused (409) if another came since."""

    base_version: int | None = None


class FileView(msgspec.Struct):
    id: uuid.UUID
    name: str
    size: int
    content_type: str
    sha256: str
    url: str


class PersonRef(msgspec.Struct):
    id: uuid.UUID | None
    name: str | None


class FieldView(msgspec.Struct):
    key: str
    label: str
    kind: str
    required: bool
    retired: bool
    choices: list[str]
    allowed_types: list[str]
    max_size_mb: int | None


class SubmissionView(msgspec.Struct):
    team_id: uuid.UUID
    round_id: uuid.UUID
    round: str
    status: str
    version: int
    open: bool
    opens_at: dt.datetime
    deadline: dt.datetime
    submitted_at: dt.datetime | None
    updated_at: dt.datetime | None
    updated_by: PersonRef | None
    answers: dict[str, Any]
    files: dict[str, FileView]
    fields: list[FieldView]


class SubmissionSummary(msgspec.Struct):
    round_id: uuid.UUID
    round: str
    position: int
    may_enter: bool
    status: str
    version: int
    deadline: dt.datetime
    submitted_at: dt.datetime | None
    updated_at: dt.datetime | None


class VersionSummary(msgspec.Struct):
    number: int
    action: str
    restored_from: int | None
    created_at: dt.datetime
    created_by: PersonRef | None
    changed: list[str]


class VersionList(msgspec.Struct):
    items: list[VersionSummary]
    page: int
    per_page: int
    total: int
    pages: int


class VersionView(msgspec.Struct):
    number: int
    action: str
    restored_from: int | None
    created_at: dt.datetime
    created_by: PersonRef | None
    answers: dict[str, Any]
    files: dict[str, FileView]
