"""Translations (Babel catalogs read from .po files), the current locale and locale-aware formatting."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gettext as gettext_module
from collections.abc import Iterator
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.pofile import read_po
from babel.support import Translations

from app.settings import LOCALES

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

_current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default="en")


@functools.cache
def translations(locale: str) -> gettext_module.NullTranslations:
    """Load a catalog straight from its .po file, so no compiled .mo needs to be built or committed."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext_module.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    result = Translations()
    # Translations keeps its messages in _catalog; fill it from the parsed .po, skipping empty and fuzzy entries.
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (tuple, list)):
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            for index, string in enumerate(strings):
                if string:
                    result._catalog[(message.id[0], index)] = string
        elif isinstance(message.string, str) and message.string:
            result._catalog[message.id] = message.string
    if catalog.plural_expr:
        result.plural = _plural_function(catalog.plural_expr)
    return result


def _plural_function(expr: str):
    return gettext_module.c2py(expr)


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current_locale.set(locale if locale in LOCALES else "en")


def reset_locale(token: contextvars.Token[str]) -> None:
    _current_locale.reset(token)


@contextlib.contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Render the enclosed strings in `locale` (an e-mail's recipient's), then return to the caller's language."""
    token = set_locale(locale)
    try:
        yield
    finally:
        reset_locale(token)


def get_locale() -> str:
    return _current_locale.get()


def gettext(message: str, **params: object) -> str:
    text = translations(get_locale()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(get_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext


def lazy(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it with gettext where it is shown."""
    return message


def negotiate(accept_language: str | None, default: str) -> str:
    if not accept_language:
        return default
    preferred = []
    for part in accept_language.split(","):
        lang, _sep, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        preferred.append((weight, lang.strip().lower()[:2]))
    for _weight, lang in sorted(preferred, key=lambda item: -item[0]):
        if lang in LOCALES:
            return lang
    return default


def format_datetime(value: dt.datetime | None, tz: str = "Europe/Paris", fmt: str = "medium") -> str:
    """A moment in the given time zone; "medium" is the locale's medium date with its short time (no seconds:
    nobody plans a deadline to the second, and seconds on every page read as noise)."""
    if value is None:
        return ""
    zone = dates.get_timezone(tz)
    locale = get_locale()
    if fmt != "medium":
        return dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)
    local = value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=dt.UTC).astimezone(zone)
    day = dates.format_date(local, "medium", locale=locale)
    time = dates.format_time(local, "short", tzinfo=zone, locale=locale)
    combine = Locale.parse(locale).datetime_formats["medium"]
    return str(combine).replace("{1}", day).replace("{0}", time)


def format_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_date(value, fmt, locale=get_locale())


def format_number(value: float | int) -> str:
    return numbers.format_decimal(value, locale=get_locale())


def language_name(locale: str) -> str:
    return (Locale.parse(locale).get_display_name(locale) or locale).capitalize()
