"""The SQL the catalogue filters and sorts with says what app.challenges.lifecycle says, at every boundary."""

from __future__ import annotations

from sqlalchemy import select

from app.challenges.lifecycle import (
    Phase,
    next_deadline,
    next_deadline_sql,
    phase,
    phase_sql,
    registration_open,
    registration_open_sql,
)
from app.challenges.models import Challenge
from tests.challenges.timelines import DAY, SECOND, T0, make_timeline, rounds_of

# Timelines that between them reach every phase, with missing dates where the rules allow them.
TIMELINES = {
    "standard": {},
    "two rounds": {"rounds": ((T0, T0 + 20 * DAY), (T0 + 21 * DAY, T0 + 30 * DAY))},
    "no registration dates": {"opens": None, "closes": None},
    "no rounds": {"rounds": ()},
    "open-ended registration": {"closes": None},
    "results published": {"results_published_at": T0 + 25 * DAY},
    "archived later": {"archived_at": T0 + 40 * DAY},
    "archived with results": {"archived_at": T0 + 40 * DAY, "results_published_at": T0 + 35 * DAY},
    "draft": {"published": None},
}
# Each boundary of the standard timelines, a second before and exactly at it, plus points in between.
BOUNDARIES = (T0, T0 + 10 * DAY, T0 + 20 * DAY, T0 + 21 * DAY, T0 + 30 * DAY, T0 + 40 * DAY)
INSTANTS = sorted(
    {instant for b in BOUNDARIES for instant in (b - SECOND, b)} | {T0 - 5 * DAY, T0 + 50 * DAY}
)


async def make_all(db):
    return {name: await make_timeline(db, **fields) for name, fields in TIMELINES.items()}


async def test_phase_in_sql_agrees_with_lifecycle_for_every_timeline_and_boundary(db):
    challenges = await make_all(db)
    ids = [c.id for c in challenges.values()]
    rounds = {c.id: await rounds_of(db, c) for c in challenges.values()}
    seen = set()
    for now in INSTANTS:
        in_sql = dict(
            (await db.execute(select(Challenge.id, phase_sql(now)).where(Challenge.id.in_(ids)))).all()
        )
        for name, challenge in challenges.items():
            expected = phase(challenge, rounds[challenge.id], now)
            assert in_sql[challenge.id] == expected.value, f"{name} at {now}"
            seen.add(expected)
    assert seen == set(Phase), "the timelines must reach every phase"


async def test_registration_open_in_sql_agrees_with_lifecycle(db):
    challenges = await make_all(db)
    ids = [c.id for c in challenges.values()]
    for now in INSTANTS:
        open_ids = set(
            await db.scalars(select(Challenge.id).where(Challenge.id.in_(ids), registration_open_sql(now)))
        )
        expected = {c.id for c in challenges.values() if registration_open(c, now)}
        assert open_ids == expected, now
    assert any(registration_open(c, T0) for c in challenges.values())


async def test_next_deadline_in_sql_agrees_with_lifecycle(db):
    challenges = await make_all(db)
    ids = [c.id for c in challenges.values()]
    rounds = {c.id: await rounds_of(db, c) for c in challenges.values()}
    for now in INSTANTS:
        in_sql = dict(
            (
                await db.execute(select(Challenge.id, next_deadline_sql(now)).where(Challenge.id.in_(ids)))
            ).all()
        )
        for name, challenge in challenges.items():
            milestone = next_deadline(challenge, rounds[challenge.id], now)
            assert in_sql[challenge.id] == (milestone.at if milestone else None), f"{name} at {now}"


async def test_next_deadline_is_strictly_ahead(db):
    challenge = await make_timeline(db)
    at_close = await db.scalar(select(next_deadline_sql(T0 + 10 * DAY)).where(Challenge.id == challenge.id))
    assert at_close == T0 + 20 * DAY
    after_all = await db.scalar(select(next_deadline_sql(T0 + 20 * DAY)).where(Challenge.id == challenge.id))
    assert after_all is None
