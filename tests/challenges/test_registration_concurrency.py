"""Races between really committed transactions: double registration and founders deciding at once.

These run on a scratch database of their own (migrated once for the module), where each session is
its own connection and commits for real, as two web processes would.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app.accounts.sessions import actor_from_user
from app.challenges import registration_review, registrations
from app.challenges.models import Registration
from app.db import utcnow
from app.notifications.models import Notification
from app.platform.errors import Conflict
from tests import scratch
from tests.challenges.registration_support import QUESTIONS
from tests.conftest import make_client
from tests.factories import make_challenge, make_founder, make_registration, make_user, sign_in

# Long enough for the other transaction to reach its lock and wait on it.
HOLD = 0.3


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "registration_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    """Sessions on the scratch database; each one is its own connection and transaction."""
    async with scratch.scratch_sessions(scratch_database) as sessions:
        yield sessions


async def setup(sessions, **challenge_fields):
    async with sessions() as session:
        challenge = await make_challenge(session, registration_questions=QUESTIONS, **challenge_fields)
        founder = await make_founder(session, challenge)
        person = await make_user(session)
        await session.commit()
    return challenge, founder, person


async def count(sessions, statement) -> int:
    async with sessions() as session:
        return await session.scalar(statement)


async def test_two_simultaneous_registrations_over_http_make_one_row_and_one_clear_conflict(
    app, sessions, redis
):
    challenge, _founder, person = await setup(sessions)
    form = {"accept_rules_version": "1", "answer.pitch": "Hearts."}
    async with scratch.app_on(app, sessions), make_client(app) as first, make_client(app) as second:
        async with sessions() as session:
            for browser in (first, second):
                await sign_in(browser, session, person)
            await session.commit()
        answers = await asyncio.gather(
            first.submit(f"/challenges/{challenge.slug}/register", form),
            second.submit(f"/challenges/{challenge.slug}/register", form),
        )
    assert sorted(response.status_code for response in answers) == [303, 409]
    refused = next(response for response in answers if response.status_code == 409)
    assert "You are already registered for this challenge." in refused.text
    rows = select(func.count()).select_from(Registration).where(Registration.challenge_id == challenge.id)
    assert await count(sessions, rows) == 1


async def test_an_insert_racing_past_the_lookup_is_told_it_is_already_registered(sessions):
    """The second request finds no row (the first has not committed), then meets the unique constraint."""
    challenge, _founder, person = await setup(sessions)
    actor = actor_from_user(person)
    first_inserted = asyncio.Event()

    async def register(hold: bool) -> str:
        async with sessions() as session:
            try:
                await registrations.register(
                    session,
                    actor,
                    challenge.slug,
                    utcnow(),
                    organization_id=None,
                    accepted_version=1,
                    answers={"pitch": "Hearts."},
                )
            except Conflict:
                await session.rollback()
                return "conflict"
            if hold:
                first_inserted.set()
                await asyncio.sleep(HOLD)
            await session.commit()
            return "registered"

    async def second() -> str:
        await first_inserted.wait()
        return await register(hold=False)

    assert await asyncio.gather(register(hold=True), second()) == ["registered", "conflict"]
    rows = select(func.count()).select_from(Registration).where(Registration.user_id == person.id)
    assert await count(sessions, rows) == 1


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (("approve", ""), ("approve", ""), ["approved", "unchanged"]),
        (("approve", ""), ("reject", "No room left."), ["approved", "conflict"]),
        (("reject", "No room left."), ("approve", ""), ["rejected", "conflict"]),
    ],
    ids=["approve-approve", "approve-reject", "reject-approve"],
)
async def test_two_founders_deciding_at_once_decide_once_and_notify_once(sessions, first, second, expected):
    challenge, founder, person = await setup(sessions)
    async with sessions() as session:
        other_founder = await make_founder(session, challenge)
        registration = await make_registration(session, challenge, person, status="pending")
        await session.commit()
    first_decided = asyncio.Event()

    async def decide(founder_user, decision, hold: bool) -> str:
        async with sessions() as session:
            [outcome] = await registration_review.decide_registrations(
                session,
                actor_from_user(founder_user),
                challenge.slug,
                [(registration.id, *decision)],
                utcnow(),
            )
            if hold:
                first_decided.set()
                await asyncio.sleep(HOLD)
            await session.commit()
            return outcome.result

    async def later() -> str:
        await first_decided.wait()
        return await decide(other_founder, second, hold=False)

    assert await asyncio.gather(decide(founder, first, hold=True), later()) == expected
    async with sessions() as session:
        final = await session.get(Registration, registration.id)
        assert final.status == expected[0]
        notices = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == person.id, Notification.kind.like("registration_%"))
        )
    assert notices == 1
