"""Translations (Babel catalogs read from .po files), the current locale and locale-aware formatting."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gettext as gettext_module
from collections.abc import Iterator
from decimal import Decimal
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
    # A count summed by PostgreSQL arrives as a Decimal; the plural rules take an integer.
    count = int(n) if n == int(n) else n
    text = translations(get_locale()).ngettext(singular, plural, count)
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


@functools.cache
def babel_locale(locale: str) -> Locale:
    """The parsed Babel locale, once per process: Locale.parse costs more than formatting a number."""
    return Locale.parse(locale)


@functools.lru_cache(maxsize=256)
def _number_pattern(locale: str, fmt: str | None) -> numbers.NumberPattern:
    return numbers.parse_pattern(fmt if fmt is not None else babel_locale(locale).decimal_formats[None])


@functools.lru_cache(maxsize=256)
def _date_pattern(locale: str, fmt: str) -> dates.DateTimePattern:
    if fmt in ("full", "long", "medium", "short"):
        return dates.parse_pattern(dates.get_date_format(fmt, locale=babel_locale(locale)))  # type: ignore[arg-type]
    return dates.parse_pattern(fmt)


@functools.lru_cache(maxsize=256)
def _time_pattern(locale: str, fmt: str) -> dates.DateTimePattern:
    if fmt in ("full", "long", "medium", "short"):
        return dates.parse_pattern(dates.get_time_format(fmt, locale=babel_locale(locale)))  # type: ignore[arg-type]
    return dates.parse_pattern(fmt)


@functools.cache
def _datetime_combination(locale: str, fmt: str) -> str:
    return str(babel_locale(locale).datetime_formats[fmt]).replace("'", "")


@functools.lru_cache(maxsize=4096)
def _day_text(locale: str, fmt: str, day: dt.date) -> str:
    return _date_pattern(locale, fmt).apply(day, babel_locale(locale))


@functools.lru_cache(maxsize=4096)
def _short_time_text(locale: str, hour: int, minute: int) -> str:
    # The locales' short times show hours and minutes only (no seconds, no zone): one text per minute of the day.
    return _time_pattern(locale, "short").apply(dt.time(hour, minute), babel_locale(locale))


def format_decimal(value: float | int | Decimal, fmt: str | None = None, locale: str | None = None) -> str:
    """babel.numbers.format_decimal in `locale` (by default the current one), with the locale and the pattern
    parsed once per process instead of at every call (the same text: the same pattern applied the same way)."""
    locale = locale or get_locale()
    return _number_pattern(locale, fmt).apply(value, babel_locale(locale))


def format_datetime(value: dt.datetime | None, tz: str = "Europe/Paris", fmt: str = "medium") -> str:
    """A moment in the given time zone; "medium" is the locale's medium date with its short time (no seconds:
    nobody plans a deadline to the second, and seconds on every page read as noise)."""
    if value is None:
        return ""
    zone = dates.get_timezone(tz)
    locale = get_locale()
    if fmt not in ("medium", "short"):
        return dates.format_datetime(value, fmt, tzinfo=zone, locale=babel_locale(locale))
    local = value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=dt.UTC).astimezone(zone)
    # What babel.dates.format_datetime does, each day's and each minute's text made once: a list of a
    # hundred moments formats a handful of days.
    day = _day_text(locale, fmt, local.date())
    time = _short_time_text(locale, local.hour, local.minute)
    return _datetime_combination(locale, fmt).replace("{1}", day).replace("{0}", time)


def format_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    day = value.date() if isinstance(value, dt.datetime) else value
    locale = get_locale()
    return _date_pattern(locale, fmt).apply(day, babel_locale(locale))


def format_number(value: float | int) -> str:
    return format_decimal(value)


def language_name(locale: str) -> str:
    return (babel_locale(locale).get_display_name(locale) or locale).capitalize()
