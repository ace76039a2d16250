"""What comes in (checked field by field) and what the JSON API sends out about organizations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from urllib.parse import urlsplit

import msgspec
from email_validator import EmailNotValidError, validate_email

from app.organizations.choices import is_country
from app.organizations.models import MEMBER_ROLES, ORGANIZATION_KINDS
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _

NAME_MAX = 200
WEBSITE_MAX = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclasses.dataclass(frozen=True, slots=True)
class OrganizationInput:
    name: str
    kind: str
    country: str
    website: str | None


def organization_input(name: str, kind: str, country: str, website: str | None) -> OrganizationInput:
    """Check and normalize an organization's details; raise InvalidInput with a message per bad field."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if len(name) < 2:
        errors["name"] = _("Enter the organization’s name.")
    elif len(name) > NAME_MAX or _CONTROL.search(name):
        errors["name"] = _("Use at most %(num)s ordinary characters.", num=NAME_MAX)
    if kind not in ORGANIZATION_KINDS:
        errors["kind"] = _("Choose a kind of organization from the list.")
    country = country.strip().upper()
    if not is_country(country):
        errors["country"] = _("Choose a country from the list.")
    website, website_error = _website(website)
    if website_error:
        errors["website"] = website_error
    if errors:
        raise InvalidInput(errors)
    return OrganizationInput(name=name, kind=kind, country=country, website=website)


def _website(value: str | None) -> tuple[str | None, str | None]:
    value = (value or "").strip()
    if not value:
        return None, None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    host = parts.hostname or ""
    valid = (
        parts.scheme in ("http", "https")
        and "." in host
        and not re.search(r"\s", value)
        and len(value) <= WEBSITE_MAX
    )
    if not valid:
        return None, _("Enter a web address such as https://example.org.")
    return value, None


def invitation_input(email: str, role: str) -> tuple[str, str]:
    """The invited address (lower-cased) and role, or InvalidInput."""
    errors: dict[str, str] = {}
    address = ""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = _("Enter a valid e-mail address.")
    if role not in MEMBER_ROLES:
        errors["role"] = _("Choose a role from the list.")
    if errors:
        raise InvalidInput(errors)
    return address, role


# --- JSON API ------------------------------------------------------------------------------------------


class OrganizationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The only fields a client may send: slug, id and verification are the platform's to set."""

    name: str
    kind: str
    country: str
    website: str | None = None


class OrganizationView(msgspec.Struct):
    slug: str
    name: str
    kind: str
    kind_label: str
    country: str
    country_name: str
    website: str | None
    verified: bool
    member_count: int
    created_at: dt.datetime


class OrganizationList(msgspec.Struct):
    items: list[OrganizationView]
    page: int
    per_page: int
    total: int
    pages: int


class MemberView(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    since: dt.datetime
