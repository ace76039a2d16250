"""The fixed choices of programs and challenges, labelled in the reader's language, and their time zones."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from babel import dates

from app.challenges.lifecycle import Phase
from app.challenges.models import APPROVAL_MODES, FIELD_KINDS, PROGRAM_KINDS, VISIBILITIES
from app.platform.i18n import format_datetime, get_locale, gettext, lazy

PROGRAM_KIND_LABELS = {
    "technology": lazy("Technology"),
    "pathology": lazy("Pathology"),
    "patient_population": lazy("Patient population"),
    "public_health": lazy("Public health"),
}
VISIBILITY_LABELS = {"public": lazy("Public"), "invitation": lazy("Invitation only")}
APPROVAL_LABELS = {
    "manual": lazy("Approved one by one by the founders"),
    "verified": lazy("Automatic for members of verified organizations"),
    "domain": lazy("Automatic for e-mail addresses of the listed domains"),
    "everyone": lazy("Automatic for everyone"),
}
FIELD_KIND_LABELS = {
    "short_text": lazy("Short text"),
    "long_text": lazy("Long text"),
    "url": lazy("Web address (URL)"),
    "file": lazy("File"),
    "single_choice": lazy("Single choice"),
    "multiple_choice": lazy("Multiple choice"),
}
PHASE_LABELS = {
    Phase.DRAFT: lazy("Draft"),
    Phase.UPCOMING: lazy("Upcoming"),
    Phase.REGISTRATION_OPEN: lazy("Registration open"),
    Phase.IN_PROGRESS: lazy("In progress"),
    Phase.JUDGING: lazy("Judging"),
    Phase.RESULTS: lazy("Results published"),
    Phase.ARCHIVED: lazy("Archived"),
}
assert set(PROGRAM_KIND_LABELS) == set(PROGRAM_KINDS) and set(VISIBILITY_LABELS) == set(VISIBILITIES)
assert set(APPROVAL_LABELS) == set(APPROVAL_MODES) and set(FIELD_KIND_LABELS) == set(FIELD_KINDS)

# Extensions a file field may accept; the submission upload (issue #4) checks content against them.
FILE_TYPES = ("pdf", "png", "jpg", "zip", "csv", "txt", "docx", "xlsx", "pptx", "odt", "mp4")
DEFAULT_TIMEZONE = "Europe/Paris"
# Offered in the select list; any other IANA zone is accepted through the API.
COMMON_TIMEZONES = (
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Luxembourg",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Copenhagen",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Athens",
    "Europe/Bucharest",
    "UTC",
    "Africa/Casablanca",
    "Africa/Algiers",
    "Africa/Tunis",
    "Africa/Dakar",
    "Africa/Abidjan",
    "Africa/Johannesburg",
    "America/Martinique",
    "America/Guadeloupe",
    "America/Cayenne",
    "America/Montreal",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Indian/Reunion",
    "Indian/Mayotte",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Auckland",
)


def program_kind_label(kind: str) -> str:
    return gettext(PROGRAM_KIND_LABELS[kind])


def program_kind_choices() -> list[tuple[str, str]]:
    return [(kind, program_kind_label(kind)) for kind in PROGRAM_KINDS]


def visibility_label(visibility: str) -> str:
    return gettext(VISIBILITY_LABELS[visibility])


def approval_label(mode: str) -> str:
    return gettext(APPROVAL_LABELS[mode])


def field_kind_label(kind: str) -> str:
    return gettext(FIELD_KIND_LABELS[kind])


def phase_label(phase: Phase | str) -> str:
    return gettext(PHASE_LABELS[Phase(phase)])


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in _known_zones()


def timezone_choices(current: str | None = None) -> list[str]:
    """The common zones, plus the challenge's own when it was set to another one through the API."""
    zones = list(COMMON_TIMEZONES)
    if current and current not in zones:
        zones.insert(0, current)
    return zones


# --- milestones and the countdown ---------------------------------------------------------------------

MILESTONE_LABELS = {
    "registration_opens": lazy("Registration opens"),
    "registration_closes": lazy("Registration closes"),
    "round_opens": lazy("%(round)s opens"),
    "round_deadline": lazy("%(round)s: submission deadline"),
    "judging_ends": lazy("Judging ends"),
    "results": lazy("Results announced"),
}
# "Registration closes in 3 days": `when` is Babel's relative time, in the reader's language.
COUNTDOWN_LABELS = {
    "registration_closes": lazy("Registration closes %(when)s"),
    "round_deadline": lazy("Submissions for %(round)s close %(when)s"),
}


def milestone_label(kind: str, round_name: str = "") -> str:
    return (
        gettext(MILESTONE_LABELS[kind], round=round_name)
        if "round" in kind
        else gettext(MILESTONE_LABELS[kind])
    )


def countdown(kind: str, at: dt.datetime, now: dt.datetime, round_name: str = "") -> str:
    """The sentence above the exact date: "Registration closes in 3 days"."""
    when = dates.format_timedelta(at - now, add_direction=True, threshold=1.5, locale=get_locale())
    if "round" in kind:
        return gettext(COUNTDOWN_LABELS[kind], round=round_name, when=when)
    return gettext(COUNTDOWN_LABELS[kind], when=when)


def when(value: dt.datetime | None, timezone: str) -> str:
    """A time in the challenge's zone, with the zone named: "12 Mar 2027, 18:00:00 (Europe/Paris)"."""
    if value is None:
        return ""
    return _when(value, timezone, get_locale())


@functools.lru_cache(maxsize=4096)
def _when(value: dt.datetime, timezone: str, locale: str) -> str:
    # A challenge's page shows the same few instants to everyone, and Babel's formatting costs more than
    # reading them. `locale` is the current one (format_datetime reads it too): part of the key.
    return f"{format_datetime(value, timezone)} ({timezone})"
