"""What comes in about programs and challenges, from forms and JSON bodies, checked field by field.

Checkers take what a form or a JSON body holds (strings from forms, typed values from JSON) and
return normalized values, or raise InvalidInput with one translated message per bad field. Times
from forms are wall-clock times in the challenge's time zone (datetime-local inputs); times from
the API carry their offset. Both are stored in UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from email_validator import EmailNotValidError, validate_email

from app.challenges.choices import FILE_TYPES, is_timezone
from app.challenges.models import APPROVAL_MODES, FIELD_KINDS, PROGRAM_KINDS, VISIBILITIES
from app.organizations.choices import is_country
from app.organizations.models import ORGANIZATION_KINDS
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _

TITLE_MAX = 200
SUMMARY_MAX = 500
MARKDOWN_MAX = 50_000
HELP_MAX = 2_000
LABEL_MAX = 300
CHOICE_MAX = 200
CHOICES_MAX = 50
DOMAINS_MAX = 50
TEAM_LIMIT = 50
FILE_MB_MAX = 100
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,78}[a-z0-9])$")
# Paths under /challenges/ that a slug must not shadow.
RESERVED_SLUGS = frozenset({"new", "join"})
_DOMAIN = re.compile(r"^(?=.{3,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Dates outside these years are typing mistakes, and near the ends of Python's range they overflow.
YEARS = range(2000, 2200)
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


class Errors(dict[str, str]):
    """Messages by field; `first` keeps the first message a field gets."""

    def first(self, name: str, message: str) -> None:
        self.setdefault(name, message)

    def raise_any(self) -> None:
        if self:
            raise InvalidInput(dict(self))


# --- plain values ---------------------------------------------------------------------------------------


def line(errors: Errors, name: str, value: Any, *, maximum: int, required: bool = True) -> str:
    """One line of text, spaces collapsed."""
    text = " ".join(str(value or "").split())
    if required and not text:
        errors.first(name, _("This field is required."))
    elif len(text) > maximum or _CONTROL.search(text):
        errors.first(name, _("Use at most %(num)s ordinary characters.", num=maximum))
    return text


def markdown(errors: Errors, name: str, value: Any, *, maximum: int = MARKDOWN_MAX) -> str:
    """A Markdown text: kept as written (sanitized when rendered), line endings normalized."""
    text = str(value or "").replace("\r\n", "\n").strip()
    if len(text) > maximum or "\x00" in text:
        errors.first(name, _("Use at most %(num)s characters.", num=maximum))
    return text


def choice(errors: Errors, name: str, value: Any, allowed: Iterable[str]) -> str:
    text = str(value or "").strip()
    if text not in allowed:
        errors.first(name, _("Choose a value from the list."))
    return text


def integer(errors: Errors, name: str, value: Any, *, minimum: int, maximum: int) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not minimum <= number <= maximum:
        errors.first(name, _("Enter a whole number between %(low)s and %(high)s.", low=minimum, high=maximum))
        return minimum
    return number


def flag(value: Any) -> bool:
    """A checkbox (present when ticked) or a JSON boolean."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "on", "true", "yes")


def strings(value: Any) -> list[str]:
    """Repeated form fields arrive as a list, a single one as a string, none as nothing."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def lines_of(value: Any) -> list[str]:
    """A textarea with one item per line (or a JSON list), blank lines dropped."""
    items = value.splitlines() if isinstance(value, str) else strings(value)
    return [" ".join(item.split()) for item in items if item.strip()]


def email(errors: Errors, name: str, value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        errors.first(name, _("Enter a valid e-mail address."))
        return None


def day(errors: Errors, name: str, value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    try:
        date = dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.first(name, _("Enter a date such as 2027-01-31."))
        return None
    if date.year not in YEARS:
        errors.first(name, _("Enter a date between %(first)s and %(last)s.", first=YEARS[0], last=YEARS[-1]))
        return None
    return date


# --- times --------------------------------------------------------------------------------------------


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def parse_local(value: str, timezone: str) -> dt.datetime:
    """A wall-clock time in `timezone` (datetime-local input) as a UTC instant.

    In the autumn hour that happens twice, the first one is meant (fold=0). A time skipped by the
    spring change does not exist: ValueError, rather than silently moving it by an hour.
    """
    naive = None
    for pattern in LOCAL_FORMATS:
        try:
            naive = dt.datetime.strptime(value.strip(), pattern)  # noqa: DTZ007 (wall-clock time, zoned below)
            break
        except ValueError:
            continue
    if naive is None:
        raise ValueError(_("Enter a date and time such as 2027-01-31 18:00."))
    if naive.year not in YEARS:
        raise ValueError(_("Enter a date between %(first)s and %(last)s.", first=YEARS[0], last=YEARS[-1]))
    local = naive.replace(tzinfo=zone(timezone))
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone(timezone)).replace(tzinfo=None) != naive:
        raise ValueError(_("This time does not exist in %(zone)s: the clocks change then.", zone=timezone))
    return instant


def local_input(value: dt.datetime | None, timezone: str) -> str:
    """The value a datetime-local input shows for a stored instant."""
    if value is None:
        return ""
    return value.astimezone(zone(timezone)).strftime("%Y-%m-%dT%H:%M")


def instant(
    errors: Errors, name: str, value: Any, timezone: str, *, required: bool = False
) -> dt.datetime | None:
    """A time from a form (local, in `timezone`) or from JSON (with its offset), in UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.first(name, _("This field is required."))
        return None
    try:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(
                    _("Give the time with its offset from UTC, such as 2027-01-31T18:00:00+01:00.")
                )
            moment = value.astimezone(dt.UTC)
        else:
            moment = parse_local(str(value), timezone)
        if moment.year not in YEARS:
            raise ValueError(
                _("Enter a date between %(first)s and %(last)s.", first=YEARS[0], last=YEARS[-1])
            )
    except (ValueError, OverflowError) as exc:
        errors.first(
            name,
            str(exc) if isinstance(exc, ValueError) else _("Enter a date and time such as 2027-01-31 18:00."),
        )
        return None
    return moment


def timezone_name(errors: Errors, name: str, value: Any) -> str:
    text = str(value or "").strip()
    if not is_timezone(text):
        errors.first(name, _("Choose a time zone from the list."))
    return text


# --- programs -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ProgramInput:
    title: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    description: str


def add_years(date: dt.date, years: int) -> dt.date:
    """Like PostgreSQL's `+ interval 'n years'`: 29 February becomes 28 February."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def program_input(values: dict[str, Any]) -> ProgramInput:
    """A program's details: its period lasts one or two years (ends after it starts, at most 2 years on)."""
    errors = Errors()
    title = line(errors, "title", values.get("title"), maximum=TITLE_MAX)
    kind = choice(errors, "kind", values.get("kind"), PROGRAM_KINDS)
    starts_on = day(errors, "starts_on", values.get("starts_on"))
    ends_on = day(errors, "ends_on", values.get("ends_on"))
    description = markdown(errors, "description", values.get("description"))
    if starts_on and ends_on:
        if ends_on <= starts_on:
            errors.first("ends_on", _("The program must end after it starts."))
        elif ends_on > add_years(starts_on, 2):
            errors.first("ends_on", _("A program lasts at most two years."))
    errors.raise_any()
    assert starts_on is not None and ends_on is not None
    return ProgramInput(title, kind, starts_on, ends_on, description)


# --- challenges -----------------------------------------------------------------------------------------

DETAIL_FIELDS = (
    "title",
    "summary",
    "description",
    "rules",
    "contact_email",
    "visibility",
    "timezone",
    "allowed_kinds",
    "allowed_countries",
    "team_min",
    "team_max",
    "approval_mode",
    "approval_domains",
)


def challenge_details(values: dict[str, Any]) -> dict[str, Any]:
    """The editable details of a challenge present in `values` (all of them for forms), normalized.

    The slug and program are checked by the service, which needs the database for them.
    """
    errors = Errors()
    out: dict[str, Any] = {}
    given = values.keys()
    if "title" in given:
        out["title"] = line(errors, "title", values["title"], maximum=TITLE_MAX)
    if "summary" in given:
        out["summary"] = line(errors, "summary", values["summary"], maximum=SUMMARY_MAX, required=False)
    for name in ("description", "rules"):
        if name in given:
            out[name] = markdown(errors, name, values[name])
    if "contact_email" in given:
        out["contact_email"] = email(errors, "contact_email", values["contact_email"])
    if "visibility" in given:
        out["visibility"] = choice(errors, "visibility", values["visibility"], VISIBILITIES)
    if "timezone" in given:
        out["timezone"] = timezone_name(errors, "timezone", values["timezone"])
    if "allowed_kinds" in given:
        out["allowed_kinds"] = _kinds(errors, values["allowed_kinds"])
    if "allowed_countries" in given:
        out["allowed_countries"] = _countries(errors, values["allowed_countries"])
    for name in ("team_min", "team_max"):
        if name in given:
            out[name] = integer(errors, name, values[name], minimum=1, maximum=TEAM_LIMIT)
    if "approval_mode" in given:
        out["approval_mode"] = choice(errors, "approval_mode", values["approval_mode"], APPROVAL_MODES)
    if "approval_domains" in given:
        out["approval_domains"] = _domains(errors, values["approval_domains"])
    errors.raise_any()
    return out


def _kinds(errors: Errors, value: Any) -> list[str]:
    kinds = strings(value)
    if any(kind not in ORGANIZATION_KINDS for kind in kinds):
        errors.first("allowed_kinds", _("Choose kinds of organization from the list."))
    return sorted(set(kinds), key=ORGANIZATION_KINDS.index) if not errors.get("allowed_kinds") else []


def _countries(errors: Errors, value: Any) -> list[str]:
    codes = [code.strip().upper() for code in strings(value)]
    if any(not is_country(code) for code in codes):
        errors.first("allowed_countries", _("Choose countries from the list."))
        return []
    return sorted(set(codes))


def _domains(errors: Errors, value: Any) -> list[str]:
    domains = [item.lower().lstrip("@") for item in lines_of(value)]
    bad = [item for item in domains if not _DOMAIN.match(item)]
    if bad:
        errors.first(
            "approval_domains", _("These are not e-mail domains: %(items)s.", items=", ".join(bad[:5]))
        )
    elif len(domains) > DOMAINS_MAX:
        errors.first("approval_domains", _("List at most %(num)s domains.", num=DOMAINS_MAX))
    return list(dict.fromkeys(domains))


def check_slug(errors: Errors, value: Any) -> str:
    slug = str(value or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        errors.first("slug", _("Use 3 to 80 lower-case letters, digits and hyphens, such as cardio-2027."))
    elif slug in RESERVED_SLUGS:
        errors.first("slug", _("This address is reserved. Choose another one."))
    return slug


TIMELINE_FIELDS = ("registration_opens_at", "registration_closes_at", "judging_ends_at", "results_at")


def timeline_input(values: dict[str, Any], timezone: str) -> dict[str, dt.datetime | None]:
    """The challenge's own milestones present in `values`; blank ones are unset."""
    errors = Errors()
    out = {name: instant(errors, name, values[name], timezone) for name in TIMELINE_FIELDS if name in values}
    errors.raise_any()
    return out


# --- rounds and their forms -------------------------------------------------------------------------------

ROUND_FIELDS = ("name", "description", "opens_at", "deadline", "rubric_planned")


def round_input(values: dict[str, Any], timezone: str, *, partial: bool = False) -> dict[str, Any]:
    """A round's details; its deadline comes after its opening."""
    errors = Errors()
    out: dict[str, Any] = {}
    if "name" in values or not partial:
        out["name"] = line(errors, "name", values.get("name"), maximum=TITLE_MAX)
    if "description" in values or not partial:
        out["description"] = markdown(errors, "description", values.get("description"))
    for name in ("opens_at", "deadline"):
        if name in values or not partial:
            out[name] = instant(errors, name, values.get(name), timezone, required=True)
    if "rubric_planned" in values or not partial:
        out["rubric_planned"] = flag(values.get("rubric_planned"))
    opens, deadline = out.get("opens_at"), out.get("deadline")
    if opens and deadline and deadline <= opens:
        errors.first("deadline", _("The deadline must come after the opening."))
    errors.raise_any()
    return out


FIELD_FIELDS = ("label", "kind", "required", "help_text", "choices", "allowed_types", "max_size_mb")


def field_input(values: dict[str, Any], *, kind: str | None = None) -> dict[str, Any]:
    """A question of a round's submission form. `kind` is the current one when it may no longer change."""
    errors = Errors()
    out: dict[str, Any] = {
        "label": line(errors, "label", values.get("label"), maximum=LABEL_MAX),
        "kind": kind or choice(errors, "kind", values.get("kind"), FIELD_KINDS),
        "required": flag(values.get("required")),
        "help_text": markdown(errors, "help_text", values.get("help_text"), maximum=HELP_MAX),
        "choices": [],
        "allowed_types": [],
        "max_size_mb": None,
    }
    if out["kind"] in ("single_choice", "multiple_choice"):
        out["choices"] = _choices(errors, values.get("choices"))
    if out["kind"] == "file":
        types = [item.lower().lstrip(".") for item in strings(values.get("allowed_types"))]
        if not types or any(item not in FILE_TYPES for item in types):
            errors.first("allowed_types", _("Tick at least one type of file."))
        out["allowed_types"] = [item for item in FILE_TYPES if item in types]
        out["max_size_mb"] = integer(
            errors, "max_size_mb", values.get("max_size_mb"), minimum=1, maximum=FILE_MB_MAX
        )
    errors.raise_any()
    return out


def _choices(errors: Errors, value: Any) -> list[str]:
    items = list(dict.fromkeys(lines_of(value)))
    if len(items) < 2:
        errors.first("choices", _("Give at least two choices, one per line."))
    elif len(items) > CHOICES_MAX or any(len(item) > CHOICE_MAX for item in items):
        errors.first(
            "choices",
            _("Give at most %(num)s choices of %(size)s characters each.", num=CHOICES_MAX, size=CHOICE_MAX),
        )
    return items


# --- prizes, registration questions, announcements ------------------------------------------------------


def prize_input(values: dict[str, Any]) -> dict[str, str]:
    errors = Errors()
    out = {
        "title": line(errors, "title", values.get("title"), maximum=TITLE_MAX),
        "description": markdown(errors, "description", values.get("description"), maximum=HELP_MAX),
        "reward": line(errors, "reward", values.get("reward"), maximum=TITLE_MAX, required=False),
    }
    errors.raise_any()
    return out


def question_input(values: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out = {
        "label": line(errors, "label", values.get("label"), maximum=LABEL_MAX),
        "required": flag(values.get("required")),
    }
    errors.raise_any()
    return out


def announcement_input(values: dict[str, Any]) -> dict[str, str]:
    errors = Errors()
    out = {
        "title": line(errors, "title", values.get("title"), maximum=TITLE_MAX),
        "body": markdown(errors, "body", values.get("body"), maximum=20_000),
    }
    if not out["body"]:
        errors.first("body", _("This field is required."))
    errors.raise_any()
    return out


def prefixed(errors: dict[str, str], prefix: str) -> dict[str, str]:
    """Field errors of an item of a list, named after its place (`prizes[2].title`) for the API."""
    return {f"{prefix}.{name}": message for name, message in errors.items()}


def unique_items(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))
