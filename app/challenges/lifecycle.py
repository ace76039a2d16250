"""The one place that says which phase a challenge is in, from its timeline, the founders' actions and a clock.

Every rule that depends on the phase (registering, submitting, judging, showing results) asks here,
passing the server's current time taken when the request arrived. Boundaries are half-open: an
instant equal to a closing time is already after it, so "closes at 12:00:00" refuses 12:00:00.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from sqlalchemy import DateTime, and_, case, func, or_, select

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement


class Phase(enum.StrEnum):
    DRAFT = "draft"
    UPCOMING = "upcoming"
    REGISTRATION_OPEN = "registration_open"
    IN_PROGRESS = "in_progress"
    JUDGING = "judging"
    RESULTS = "results"
    ARCHIVED = "archived"


PUBLIC_PHASES = tuple(p for p in Phase if p is not Phase.DRAFT)
# The clock of the SQL twins below: a value, or a bind parameter for statements compiled once.
Instant: TypeAlias = "dt.datetime | ColumnElement[dt.datetime]"


class TimelineLike(Protocol):
    published_at: dt.datetime | None
    results_published_at: dt.datetime | None
    archived_at: dt.datetime | None
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    judging_ends_at: dt.datetime | None


class RoundLike(Protocol):
    opens_at: dt.datetime
    deadline: dt.datetime


def phase(challenge: TimelineLike, rounds: Sequence[RoundLike], now: dt.datetime) -> Phase:
    if challenge.published_at is None:
        return Phase.DRAFT
    if challenge.archived_at is not None and challenge.archived_at <= now:
        return Phase.ARCHIVED
    if challenge.results_published_at is not None:
        return Phase.RESULTS
    opens, closes = challenge.registration_opens_at, challenge.registration_closes_at
    if opens is not None and now < opens:
        return Phase.UPCOMING
    if closes is not None and now < closes:
        return Phase.REGISTRATION_OPEN
    last_deadline = max((r.deadline for r in rounds), default=None)
    if last_deadline is not None and now < last_deadline:
        return Phase.IN_PROGRESS
    return Phase.JUDGING


def phase_sql(now: Instant) -> ColumnElement[str]:
    """phase() as a SQL expression on `challenges`, for lists that filter by phase.

    Written branch for branch like phase() above; change both together (tests/challenges/
    test_catalogue_phase.py checks that they agree for every phase and at each boundary).
    """
    from app.challenges.models import Challenge, Round

    last_deadline = (
        select(func.max(Round.deadline))
        .where(Round.challenge_id == Challenge.id)
        .correlate(Challenge)
        .scalar_subquery()
    )
    # A comparison with a NULL column is not true, like the `is not None` tests in phase().
    return case(
        (Challenge.published_at.is_(None), Phase.DRAFT.value),
        (Challenge.archived_at <= now, Phase.ARCHIVED.value),
        (Challenge.results_published_at.is_not(None), Phase.RESULTS.value),
        (Challenge.registration_opens_at > now, Phase.UPCOMING.value),
        (Challenge.registration_closes_at > now, Phase.REGISTRATION_OPEN.value),
        (last_deadline > now, Phase.IN_PROGRESS.value),
        else_=Phase.JUDGING.value,
    )


def registration_open(challenge: TimelineLike, now: dt.datetime) -> bool:
    """Open from registration_opens_at (included) to registration_closes_at (excluded), once published."""
    if challenge.published_at is None or challenge.results_published_at is not None:
        return False
    if challenge.archived_at is not None and challenge.archived_at <= now:
        return False
    opens, closes = challenge.registration_opens_at, challenge.registration_closes_at
    return opens is not None and closes is not None and opens <= now < closes


def registration_open_sql(now: Instant) -> ColumnElement[bool]:
    """registration_open() as a SQL condition on `challenges` (kept beside it, tested against it)."""
    from app.challenges.models import Challenge

    return and_(
        Challenge.published_at.is_not(None),
        Challenge.results_published_at.is_(None),
        or_(Challenge.archived_at.is_(None), Challenge.archived_at > now),
        Challenge.registration_opens_at <= now,
        Challenge.registration_closes_at > now,
    )


def round_open(round_: RoundLike, now: dt.datetime) -> bool:
    """Submissions are accepted from opens_at (included) until the deadline (excluded)."""
    return round_.opens_at <= now < round_.deadline


@dataclasses.dataclass(frozen=True, slots=True)
class Milestone:
    kind: str  # registration_opens, registration_closes, round_opens, round_deadline, judging_ends, results
    at: dt.datetime
    label: str = ""


def milestones(
    challenge: TimelineLike, rounds: Sequence[RoundLike], round_names: Sequence[str] = ()
) -> list[Milestone]:
    """The timeline in order, for the page, the countdown and the iCalendar file."""
    items: list[Milestone] = []
    if challenge.registration_opens_at:
        items.append(Milestone("registration_opens", challenge.registration_opens_at))
    if challenge.registration_closes_at:
        items.append(Milestone("registration_closes", challenge.registration_closes_at))
    for index, round_ in enumerate(rounds):
        name = round_names[index] if index < len(round_names) else ""
        items.append(Milestone("round_opens", round_.opens_at, name))
        items.append(Milestone("round_deadline", round_.deadline, name))
    if challenge.judging_ends_at:
        items.append(Milestone("judging_ends", challenge.judging_ends_at))
    results_at = getattr(challenge, "results_at", None)
    if results_at:
        items.append(Milestone("results", results_at))
    return sorted(items, key=lambda m: m.at)


def next_deadline(challenge: TimelineLike, rounds: Sequence[RoundLike], now: dt.datetime) -> Milestone | None:
    """The next closing instant still ahead (registration close or a round deadline), for the countdown."""
    upcoming = [
        m
        for m in milestones(challenge, rounds)
        if m.kind in ("registration_closes", "round_deadline") and m.at > now
    ]
    return upcoming[0] if upcoming else None


def next_deadline_sql(now: Instant) -> ColumnElement[dt.datetime]:
    """The instant of next_deadline() as a SQL expression on `challenges` (NULL when none is ahead)."""
    from app.challenges.models import Challenge, Round

    next_round = (
        select(func.min(Round.deadline))
        .where(Round.challenge_id == Challenge.id, Round.deadline > now)
        .correlate(Challenge)
        .scalar_subquery()
    )
    registration = case((Challenge.registration_closes_at > now, Challenge.registration_closes_at))
    # LEAST ignores NULLs: whichever of the two is still ahead, or NULL when neither is.
    return func.least(registration, next_round, type_=DateTime(timezone=True))
