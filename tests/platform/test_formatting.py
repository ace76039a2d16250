"""Numbers and dates are formatted with Babel patterns parsed once per process: the text must be exactly what
Babel's own functions give, in every language, whatever was formatted before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel import Locale, dates, numbers

from app.judging.ranking_views import format_alpha, format_total, format_z
from app.platform.i18n import format_date, format_datetime, format_number, in_locale

VALUES = [
    0,
    1,
    -1,
    7,
    12.5,
    1234,
    1234567.891,
    -0.5,
    0.0005,
    Decimal("56.75"),
    Decimal("-12.3456"),
    10**9,
    3.14159,
]
SCORES = [
    None,
    0,
    0.04,
    -0.04,
    0.05,
    0.15,
    56.65,
    56.75,
    99.99,
    100,
    Decimal("33.333333"),
    1.005,
    -1.055,
    2.675,
    -0.004,
]
MOMENTS = [
    dt.datetime(2026, 1, 5, 8, 3, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC),  # the night Paris moves to summer time
    dt.datetime(2026, 7, 14, 21, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC).replace(tzinfo=None),  # naive: read as UTC
]
ZONES = ["Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata"]


def babel_datetime(value: dt.datetime, tz: str, locale: str) -> str:
    """The formatting as it was done before the cache, with Babel's own functions."""
    zone = dates.get_timezone(tz)
    local = value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=dt.UTC).astimezone(zone)
    day = dates.format_date(local, "medium", locale=locale)
    time = dates.format_time(local, "short", tzinfo=zone, locale=locale)
    return str(Locale.parse(locale).datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)


def babel_total(value, locale: str) -> str:
    return (
        "—" if value is None else numbers.format_decimal(round(Decimal(str(value)), 1), "0.0", locale=locale)
    )


def babel_z(value, locale: str) -> str:
    if value is None:
        return "—"
    rounded = round(Decimal(str(value)), 2)
    text = numbers.format_decimal(abs(rounded), "0.00", locale=locale)
    return "+" + text if rounded == 0 else ("+" if rounded > 0 else "\u2212") + text


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_numbers_read_exactly_as_babel_writes_them(locale):
    with in_locale(locale):
        for _round in range(2):  # the second time from the caches
            assert [format_number(v) for v in VALUES] == [
                numbers.format_decimal(v, locale=locale) for v in VALUES
            ]
            assert [format_total(v) for v in SCORES] == [babel_total(v, locale) for v in SCORES]
            assert [format_z(v) for v in SCORES] == [babel_z(v, locale) for v in SCORES]
            alphas = [0.123456, -0.5, 1.0, 0.0]
            assert [format_alpha(v) for v in alphas] == [
                numbers.format_decimal(round(v, 3), "0.000", locale=locale) for v in alphas
            ]


def test_french_and_english_differ_and_do_not_leak_through_the_cache():
    with in_locale("en"):
        english = (format_total(56.75), format_z(-1.234), format_number(1234.5))
    with in_locale("fr"):
        french = (format_total(56.75), format_z(-1.234), format_number(1234.5))
    assert english == ("56.8", "\u22121.23", "1,234.5")
    assert french == ("56,8", "\u22121,23", "1\u202f234,5")


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_dates_read_exactly_as_babel_writes_them(locale):
    with in_locale(locale):
        for _round in range(2):
            for moment in MOMENTS:
                for zone in ZONES:
                    assert format_datetime(moment, zone) == babel_datetime(moment, zone, locale)
                    assert format_datetime(moment, zone, "yyyy-MM-dd HH:mm") == dates.format_datetime(
                        moment, "yyyy-MM-dd HH:mm", tzinfo=dates.get_timezone(zone), locale=locale
                    )
                for fmt in ("short", "medium", "long", "full", "d MMM"):
                    assert format_date(moment, fmt) == dates.format_date(moment, fmt, locale=locale)
                    assert format_date(moment.date(), fmt) == dates.format_date(
                        moment.date(), fmt, locale=locale
                    )


def test_markdown_rendering_is_kept_per_text_and_stays_sanitized() -> None:
    from app.platform import markdown

    hostile = "Hello <script>alert(1)</script> [x](javascript:alert(1)) **bold**"
    first = markdown.render(hostile)
    assert markdown.render(hostile) is first  # the second visit reuses the first rendering
    assert "<script" not in first and 'href="javascript' not in first and "<strong>bold</strong>" in first
    assert markdown._render.cache_info().maxsize == 256  # bounded memory
    assert markdown.render("") == "" and markdown.render(None) == ""
