"""The fixed choices of an organization, labelled in the reader's language: kinds, roles, countries."""

from __future__ import annotations

import functools
import unicodedata

from babel import Locale

from app.organizations.models import MEMBER_ROLES, ORGANIZATION_KINDS
from app.platform.i18n import get_locale, gettext, lazy

KIND_LABELS = {
    "company": lazy("Company"),
    "startup": lazy("Startup"),
    "hospital": lazy("Hospital"),
    "public_body": lazy("Public body"),
    "academic_lab": lazy("Academic lab"),
    "association": lazy("Association"),
}
ROLE_LABELS = {"owner": lazy("Owner"), "member": lazy("Member")}
assert set(KIND_LABELS) == set(ORGANIZATION_KINDS) and set(ROLE_LABELS) == set(MEMBER_ROLES)

# Two-letter codes CLDR names that are not countries of ISO 3166-1 (unions, pseudo-regions, reservations).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS[kind])


def role_label(role: str) -> str:
    return gettext(ROLE_LABELS[role])


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, kind_label(kind)) for kind in ORGANIZATION_KINDS]


def role_choices() -> list[tuple[str, str]]:
    return [(role, role_label(role)) for role in MEMBER_ROLES]


@functools.cache
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    codes = (
        code
        for code in names
        if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )
    return tuple(sorted(((code, names[code]) for code in codes), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    # "Égypte" sorts with the E's, as a French reader expects.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def country_choices() -> tuple[tuple[str, str], ...]:
    """(ISO code, name) pairs in the reader's language, sorted by name."""
    return _countries(get_locale())


@functools.cache
def _country_names(locale: str) -> dict[str, str]:
    return dict(_countries(locale))


def is_country(code: str) -> bool:
    return code in _country_names("en")


def country_name(code: str) -> str:
    return _country_names(get_locale()).get(code, code)
