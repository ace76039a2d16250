"""Races between really committed transactions: many joins into one team, one person into two teams.

These run on a scratch database of their own (migrated once for the module), where each request has
its own connection and commits for real, as concurrent web processes would; the requests are real
HTTP requests to the app, sent at once with asyncio.gather.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.teams.invitations import invitation_path
from app.teams.models import JoinRequest, Team, TeamInvitation, TeamMember
from tests import scratch
from tests.factories import make_challenge, make_registration, make_team, make_user

JOINERS = 20


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "team_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    """Sessions on the scratch database; each one is its own connection and transaction."""
    # Room for every request at once, so that they really meet at the team's row.
    async with scratch.scratch_sessions(scratch_database, pool_size=JOINERS + 5, max_overflow=0) as sessions:
        yield sessions


async def registered_people(session, challenge, count, prefix):
    people = []
    for index in range(count):
        person = await make_user(session, name=f"{prefix} {index}")
        await make_registration(session, challenge, person)
        people.append(person)
    return people


async def state_of(sessions, team) -> tuple[int, int]:
    """(member rows, the team's counter) as committed."""
    async with sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team.id)
        )
        counter = await session.scalar(select(Team.member_count).where(Team.id == team.id))
    return rows, counter


async def test_twenty_approvals_into_a_team_with_room_for_three_seat_exactly_three(app, sessions, redis):
    async with sessions() as session:
        challenge = await make_challenge(session, team_max=4)
        captain = await make_user(session, name="Carla Captain")
        await make_registration(session, challenge, captain)
        team = await make_team(session, challenge, captain, name="Tiny")
        joiners = await registered_people(session, challenge, JOINERS, "Joiner")
        requests = [JoinRequest(team_id=team.id, user_id=person.id) for person in joiners]
        session.add_all(requests)
        await session.commit()
    async with scratch.app_on(app, sessions), scratch.browsers(app, sessions, [captain] * JOINERS) as clients:
        answers = await asyncio.gather(
            *(
                client.submit(
                    f"/teams/{team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
                )
                for client, request in zip(clients, requests, strict=True)
            )
        )
    codes = sorted(response.status_code for response in answers)
    assert codes == [303] * 3 + [409] * (JOINERS - 3)
    assert all("This team is full (4 of 4)." in r.text for r in answers if r.status_code == 409)
    assert await state_of(sessions, team) == (4, 4)
    async with sessions() as session:
        statuses = list(
            await session.scalars(select(JoinRequest.status).where(JoinRequest.team_id == team.id))
        )
    assert sorted(statuses) == ["approved"] * 3 + ["pending"] * (JOINERS - 3)


async def test_twenty_invitees_accepting_at_once_fill_the_three_seats_left(app, sessions, settings, redis):
    async with sessions() as session:
        challenge = await make_challenge(session, team_max=4)
        captain = await make_user(session, name="Iris Captain")
        await make_registration(session, challenge, captain)
        team = await make_team(session, challenge, captain, name="Invited")
        invitees = await registered_people(session, challenge, JOINERS, "Invitee")
        invitations = [
            TeamInvitation(
                team_id=team.id,
                email=person.email,
                invited_by_id=captain.id,
                expires_at=utcnow() + dt.timedelta(days=7),
            )
            for person in invitees
        ]
        session.add_all(invitations)
        await session.commit()
    async with scratch.app_on(app, sessions), scratch.browsers(app, sessions, invitees) as clients:
        answers = await asyncio.gather(
            *(
                client.submit(invitation_path(settings, invitation.id))
                for client, invitation in zip(clients, invitations, strict=True)
            )
        )
    codes = sorted(response.status_code for response in answers)
    assert codes == [303] * 3 + [409] * (JOINERS - 3)
    assert all("This team is full (4 of 4)." in r.text for r in answers if r.status_code == 409)
    assert await state_of(sessions, team) == (4, 4)
    async with sessions() as session:
        accepted = await session.scalar(
            select(func.count())
            .select_from(TeamInvitation)
            .where(TeamInvitation.team_id == team.id, TeamInvitation.accepted_at.is_not(None))
        )
    assert accepted == 3


@pytest.mark.parametrize("attempt", range(3))
async def test_one_person_approved_into_two_teams_at_once_joins_exactly_one(app, sessions, redis, attempt):
    async with sessions() as session:
        challenge = await make_challenge(session)
        first_captain, second_captain, person = await registered_people(session, challenge, 3, "Person")
        first = await make_team(session, challenge, first_captain, name="First")
        second = await make_team(session, challenge, second_captain, name="Second")
        requests = [
            JoinRequest(team_id=first.id, user_id=person.id),
            JoinRequest(team_id=second.id, user_id=person.id),
        ]
        session.add_all(requests)
        await session.commit()
    async with (
        scratch.app_on(app, sessions),
        scratch.browsers(app, sessions, [first_captain, second_captain]) as clients,
    ):
        answers = await asyncio.gather(
            *(
                client.submit(
                    f"/teams/{request.team_id}/join-requests/{request.id}/decision", {"decision": "approve"}
                )
                for client, request in zip(clients, requests, strict=True)
            )
        )
    assert sorted(response.status_code for response in answers) == [303, 409]
    refused = next(response for response in answers if response.status_code == 409)
    assert "Person 2 is already in a team of this challenge." in refused.text
    async with sessions() as session:
        teams_of_person = list(
            await session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == person.id))
        )
    assert len(teams_of_person) == 1
    joined, other = (first, second) if teams_of_person[0] == first.id else (second, first)
    assert await state_of(sessions, joined) == (2, 2)
    assert await state_of(sessions, other) == (1, 1)


async def test_one_person_accepting_two_invitations_at_once_joins_exactly_one(app, sessions, settings, redis):
    async with sessions() as session:
        challenge = await make_challenge(session)
        first_captain, second_captain, person = await registered_people(session, challenge, 3, "Guest")
        teams = [
            await make_team(session, challenge, first_captain, name="Alpha"),
            await make_team(session, challenge, second_captain, name="Beta"),
        ]
        invitations = [
            TeamInvitation(
                team_id=team.id,
                email=person.email,
                invited_by_id=team.captain_id,
                expires_at=utcnow() + dt.timedelta(days=7),
            )
            for team in teams
        ]
        session.add_all(invitations)
        await session.commit()
    async with scratch.app_on(app, sessions), scratch.browsers(app, sessions, [person, person]) as clients:
        answers = await asyncio.gather(
            *(
                client.submit(invitation_path(settings, invitation.id))
                for client, invitation in zip(clients, invitations, strict=True)
            )
        )
    assert sorted(response.status_code for response in answers) == [303, 409]
    refused = next(response for response in answers if response.status_code == 409)
    assert "You are already in a team of this challenge." in refused.text
    states = [await state_of(sessions, team) for team in teams]
    assert sorted(states) == [(1, 1), (2, 2)]
