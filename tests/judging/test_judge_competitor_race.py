"""One person accepting a seat on a panel while a captain approves them into a team of the same challenge, at the
same moment, on committed data: exactly one of the two happens (the registration row orders them)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.challenges.models import Round
from app.judging.models import Judge
from app.judging.panel_links import invitation_path
from app.teams.models import JoinRequest, TeamMember
from tests import scratch
from tests.conftest import make_client
from tests.factories import make_challenge, make_founder, make_registration, make_team, make_user, sign_in


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "judge_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database, pool_size=6, max_overflow=0) as sessions:
        yield sessions


@contextlib.asynccontextmanager
async def browsers(app, sessions, people):
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(make_client(app)) for _ in people]
        async with sessions() as session:
            for client, person in zip(clients, people, strict=True):
                await sign_in(client, session, person)
            await session.commit()
        for client in clients:
            await client.csrf()
        yield clients


@pytest.mark.parametrize("attempt", range(4))
async def test_accepting_a_seat_and_joining_a_team_at_once_lets_only_one_through(
    app, sessions, settings, redis, attempt
):
    async with sessions() as session:
        challenge = await make_challenge(session, rounds=1)
        founder = await make_founder(session, challenge)
        captain = await make_user(session, name="Cleo Captain")
        person = await make_user(session, name="Dana Double")
        for user in (captain, person):
            await make_registration(session, challenge, user)
        team = await make_team(session, challenge, captain, name="Racers")
        request = JoinRequest(team_id=team.id, user_id=person.id)
        round_ = await session.scalar(select(Round).where(Round.challenge_id == challenge.id))
        round_.deadline = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        seat = Judge(
            round_id=round_.id, challenge_id=challenge.id, email=person.email, invited_by_id=founder.id
        )
        session.add_all([request, seat])
        await session.commit()
    async with (
        scratch.app_on(app, sessions),
        browsers(app, sessions, [person, captain]) as (judge_tab, captain_tab),
        sessions() as gate,
    ):
        # Both requests wait on a row held here (the seat; the join request), each right before its check,
        # then run at the very same moment.
        await gate.execute(select(Judge.id).where(Judge.id == seat.id).with_for_update())
        await gate.execute(select(JoinRequest.id).where(JoinRequest.id == request.id).with_for_update())
        racing = asyncio.gather(
            judge_tab.submit(invitation_path(settings, seat.id)),
            captain_tab.submit(
                f"/teams/{team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
            ),
        )
        await asyncio.sleep(0.3)
        await gate.commit()
        answers = await racing
    assert sorted(a.status_code for a in answers) == [303, 409]
    async with sessions() as session:
        judging = await session.scalar(select(Judge.accepted_at).where(Judge.id == seat.id))
        competing = await session.scalar(
            select(func.count()).select_from(TeamMember).where(TeamMember.user_id == person.id)
        )
    assert (judging is not None) != (competing == 1)
