"""Short moments (the steward board's times) come from per-day and per-minute texts made once: the text must be
exactly what babel.dates.format_datetime gives, in every language and time zone, around the clock."""

from __future__ import annotations

import datetime as dt

import pytest
from babel import dates

from app.platform.i18n import format_datetime, in_locale
from tests.platform.test_formatting import MOMENTS, ZONES

# Every minute of a day across a change to summer time, and a few seconds either side of midnight.
AROUND_THE_CLOCK = [
    dt.datetime(2026, 3, 29, tzinfo=dt.UTC) + dt.timedelta(minutes=m) for m in range(0, 1440, 7)
] + [
    dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_short_moments_read_exactly_as_babel_writes_them(locale):
    with in_locale(locale):
        for _round in range(2):  # the second time from the caches
            for moment in [*MOMENTS, *AROUND_THE_CLOCK]:
                for zone in ZONES:
                    assert format_datetime(moment, zone, "short") == dates.format_datetime(
                        moment, "short", tzinfo=dates.get_timezone(zone), locale=locale
                    ), (moment, zone)
