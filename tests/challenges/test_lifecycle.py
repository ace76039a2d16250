"""The phase of a challenge comes from its timeline and the founders' actions, asked with a clock."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from app.challenges.lifecycle import Phase, next_deadline, phase, registration_open, round_open

T0 = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


def challenge(**overrides):
    values = dict(
        published_at=T0 - 10 * DAY,
        results_published_at=None,
        archived_at=None,
        registration_opens_at=T0,
        registration_closes_at=T0 + 10 * DAY,
        judging_ends_at=T0 + 40 * DAY,
        results_at=T0 + 45 * DAY,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


ROUNDS = [
    SimpleNamespace(opens_at=T0, deadline=T0 + 20 * DAY),
    SimpleNamespace(opens_at=T0 + 21 * DAY, deadline=T0 + 30 * DAY),
]


def test_phases_follow_the_timeline():
    c = challenge()
    assert phase(challenge(published_at=None), ROUNDS, T0) is Phase.DRAFT
    assert phase(c, ROUNDS, T0 - SECOND) is Phase.UPCOMING
    assert phase(c, ROUNDS, T0) is Phase.REGISTRATION_OPEN
    assert phase(c, ROUNDS, T0 + 10 * DAY) is Phase.IN_PROGRESS
    assert phase(c, ROUNDS, T0 + 30 * DAY - SECOND) is Phase.IN_PROGRESS
    assert phase(c, ROUNDS, T0 + 30 * DAY) is Phase.JUDGING
    assert phase(challenge(results_published_at=T0 + 41 * DAY), ROUNDS, T0 + 41 * DAY) is Phase.RESULTS
    assert phase(challenge(archived_at=T0 + 50 * DAY), ROUNDS, T0 + 50 * DAY) is Phase.ARCHIVED


def test_registration_closes_at_the_exact_instant():
    c = challenge()
    assert not registration_open(c, T0 - SECOND)
    assert registration_open(c, T0)
    assert registration_open(c, T0 + 10 * DAY - SECOND)
    assert not registration_open(c, T0 + 10 * DAY)
    assert not registration_open(challenge(published_at=None), T0 + DAY)


def test_round_accepts_until_its_deadline_excluded():
    assert round_open(ROUNDS[0], T0 + 20 * DAY - SECOND)
    assert not round_open(ROUNDS[0], T0 + 20 * DAY)
    assert not round_open(ROUNDS[1], T0 + 21 * DAY - SECOND)


def test_countdown_targets_the_next_closing_instant():
    c = challenge()
    assert next_deadline(c, ROUNDS, T0).kind == "registration_closes"
    assert next_deadline(c, ROUNDS, T0 + 10 * DAY).at == T0 + 20 * DAY
    assert next_deadline(c, ROUNDS, T0 + 31 * DAY) is None
