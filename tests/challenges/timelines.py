"""Challenges with a timeline spelled out, for tests of phases, the catalogue and reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.challenges.models import Challenge, Round
from tests.factories import make_challenge

# A fixed instant in the future, so that time-machine can travel there and back.
T0 = dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


async def make_timeline(
    db: Any,
    *,
    opens: dt.datetime | None = T0,
    closes: dt.datetime | None = T0 + 10 * DAY,
    rounds: tuple[tuple[dt.datetime, dt.datetime], ...] = ((T0, T0 + 20 * DAY),),
    published: dt.datetime | None = T0 - 10 * DAY,
    **fields: Any,
) -> Challenge:
    """A challenge whose every date is given (None for a missing one); rounds as (opens, deadline) pairs."""
    challenge = await make_challenge(
        db,
        rounds=0,
        published=published is not None,
        published_at=published,
        registration_opens_at=opens,
        registration_closes_at=closes,
        judging_ends_at=fields.pop("judging_ends_at", None),
        **fields,
    )
    for position, (round_opens, deadline) in enumerate(rounds, start=1):
        db.add(
            Round(
                challenge_id=challenge.id,
                position=position,
                name=f"Round {position}",
                opens_at=round_opens,
                deadline=deadline,
            )
        )
    await db.flush()
    return challenge


async def rounds_of(db: Any, challenge: Challenge) -> list[Round]:
    from sqlalchemy import select

    return list(
        await db.scalars(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))
    )


async def make_program(
    db: Any, *, title: str = "Cardiovascular 2030", kind: str = "pathology", organizers=()
) -> Any:
    import uuid

    from app.challenges.models import Program, ProgramOrganization

    program = Program(
        slug=f"program-{uuid.uuid4().hex[:8]}",
        title=title,
        kind=kind,
        starts_on=dt.date(2030, 1, 1),
        ends_on=dt.date(2031, 12, 31),
    )
    db.add(program)
    await db.flush()
    for organization in organizers:
        db.add(ProgramOrganization(program_id=program.id, organization_id=organization.id))
    await db.flush()
    return program
