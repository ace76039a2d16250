"""What accounts accept and return: field checks shared by pages and API, and the API's shapes."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from typing import Literal
from urllib.parse import urlsplit

import msgspec
from email_validator import EmailNotValidError, validate_email

from app.accounts.models import NOTIFY_MODES
from app.accounts.passwords import password_problem
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.settings import LOCALES

NAME_MAX = 120
TOKEN_NAME_MAX = 80
EMAIL_MAX = 254


def _unreadable(value: str) -> bool:
    # Control characters break e-mails and PostgreSQL (NUL);
    # U+FFFD means the browser sent bytes that were not UTF-8.
    return any(unicodedata.category(c) in ("Cc", "Cs") or c == "\ufffd" for c in value)


def clean_text(value: object, *, max_length: int, required: bool = True) -> str:
    """A one-line text field: trimmed, readable, within its length. Raises ValueError with the message."""
    if not isinstance(value, str):
        raise ValueError(_("Enter text."))
    value = value.strip()
    if required and not value:
        raise ValueError(_("This field is required."))
    if len(value) > max_length:
        raise ValueError(_("Use at most %(num)s characters.", num=max_length))
    if _unreadable(value):
        raise ValueError(_("Remove the invisible or unreadable characters."))
    return value


def canonical_email(value: str) -> str:
    """The form an address is stored and looked up in: validated, normalized, lower-cased."""
    value = value.strip()
    if not value:
        raise ValueError(_("This field is required."))
    if len(value) > EMAIL_MAX or _unreadable(value):
        raise ValueError(_("Enter a valid e-mail address."))
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(_("Enter a valid e-mail address.")) from None


def lookup_email(value: str) -> str | None:
    """The stored form of an address typed at sign-in, or None when it cannot be anyone's address.

    Never stricter than what may be stored: accounts made by operators (create-admin, the demo's
    `.local` addresses) can hold addresses the sign-up form would refuse.
    """
    try:
        return canonical_email(value)
    except ValueError:
        plain = value.strip().lower()
        return plain if 3 <= len(plain) <= EMAIL_MAX and "@" in plain and plain.isprintable() else None


def check_password(password: str, *, email: str = "", name: str = "") -> str:
    if _unreadable(password):
        raise ValueError(_("Remove the invisible or unreadable characters."))
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ValueError(problem)
    return password


def check_choice(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(_("Choose one of the options."))
    return value


def check_locale(value: str) -> str:
    return check_choice(value, LOCALES)


def check_notify_mode(value: str) -> str:
    return check_choice(value, NOTIFY_MODES)


class Checker:
    """Runs field checks and gathers every message, so a form shows all its problems at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, field: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as exc:
            self.errors.setdefault(field, str(exc))
            return None

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def safe_next(value: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a relative path, never `//host` or `/\\host`."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if "\\" in value or _unreadable(value) or any(c.isspace() for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


# --- JSON API ------------------------------------------------------------------------------------------


class MembershipView(msgspec.Struct):
    organization: str
    slug: str
    role: str
    url: str


class MeView(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    locale: str
    notify_mode: str
    email_verified: bool
    is_admin: bool
    created_at: dt.datetime
    organizations: list[MembershipView]


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only these fields can change through the API; anything else in the body is refused."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    locale: Literal["en", "fr"] | msgspec.UnsetType = msgspec.UNSET
    notify_mode: Literal["immediate", "digest"] | msgspec.UnsetType = msgspec.UNSET


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class TokenView(msgspec.Struct):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class TokenCreated(msgspec.Struct):
    """The only time the secret is shown: it is kept hashed afterwards."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: dt.datetime
    token: str
