"""Creating a team: participants only, one team per person, names unique per challenge, until the freeze."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from app.teams.models import Team, TeamMember
from tests.conftest import text_of
from tests.factories import make_organization, make_registration, make_user
from tests.teams.team_support import as_user, first_deadline, make_cast, registered


def new_url(cast) -> str:
    return f"/challenges/{cast.challenge.slug}/teams/new"


async def teams_named(db, challenge, name):
    return list(await db.scalars(select(Team).where(Team.challenge_id == challenge.id, Team.name == name)))


async def test_a_participant_creates_a_team_and_becomes_its_captain(client, db):
    cast = await make_cast(db)
    startup = await make_organization(db, name="Acme Health", owner=cast.participant)
    await as_user(client, db, cast.participant)
    page = await client.get(new_url(cast))
    assert page.status_code == 200
    assert "Acme Health" in page.text
    response = await client.submit(
        new_url(cast), {"name": "  Cardio   Crew ", "organization": str(startup.id)}
    )
    assert response.status_code == 303
    [team] = await teams_named(db, cast.challenge, "Cardio Crew")
    assert response.headers["location"] == f"/teams/{team.id}"
    assert (team.captain_id, team.member_count, team.organization_id) == (cast.participant.id, 1, startup.id)
    [member] = await db.scalars(select(TeamMember).where(TeamMember.team_id == team.id))
    assert (member.user_id, member.role) == (cast.participant.id, "captain")
    shown = await client.get(f"/teams/{team.id}")
    assert shown.status_code == 200
    assert "Cardio Crew" in text_of(shown.text)
    assert "Paula Participant" in text_of(shown.text)


async def test_a_name_taken_in_the_challenge_whatever_its_case_is_refused_beside_the_field(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    response = await client.submit(new_url(cast), {"name": "HEARTBEAT"})
    assert response.status_code == 422
    assert "Another team of this challenge already has this name." in text_of(response.text)
    assert 'aria-invalid="true"' in response.text
    assert await teams_named(db, cast.challenge, "HEARTBEAT") == []


async def test_the_same_name_is_free_in_another_challenge(client, db):
    cast = await make_cast(db)
    other = await make_cast(db)
    person = await registered(db, other.challenge, "Nina New")
    await as_user(client, db, person)
    response = await client.submit(new_url(other), {"name": "Heartbeat Two"})
    assert response.status_code == 303
    response = await client.submit(f"/api/v1/challenges/{cast.challenge.slug}/teams", {"name": "x"})
    assert response.status_code in (400, 403, 404)


async def test_someone_already_in_a_team_cannot_create_another(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    page = await client.get(new_url(cast))
    assert page.status_code == 409
    assert "You are already in a team of this challenge." in text_of(page.text)
    response = await client.submit(new_url(cast), {"name": "Second Team"})
    assert response.status_code == 409
    assert await teams_named(db, cast.challenge, "Second Team") == []


async def test_people_without_an_approved_registration_are_told_to_register(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.outsider)
    response = await client.get(new_url(cast))
    assert response.status_code == 403
    assert "Register for this challenge first" in text_of(response.text)
    assert f"/challenges/{cast.challenge.slug}/register?next=" in response.text
    pending = await make_user(db)
    await make_registration(db, cast.challenge, pending, status="pending")
    await as_user(client, db, pending)
    response = await client.submit(new_url(cast), {"name": "Waiting Room"})
    assert response.status_code == 403
    assert "Your registration must be approved" in text_of(response.text)


async def test_another_persons_or_an_ineligible_organization_is_refused(client, db):
    cast = await make_cast(db, allowed_kinds=["startup"])
    someone_elses = await make_organization(db, name="Not Mine", owner=cast.outsider)
    hospital = await make_organization(db, name="Big Hospital", kind="hospital", owner=cast.participant)
    await as_user(client, db, cast.participant)
    response = await client.submit(new_url(cast), {"name": "Team A", "organization": str(someone_elses.id)})
    assert response.status_code == 422
    assert "Choose one of your organizations." in text_of(response.text)
    response = await client.submit(new_url(cast), {"name": "Team A", "organization": str(hospital.id)})
    assert response.status_code == 422
    assert "open to startups only" in text_of(response.text)
    response = await client.submit(new_url(cast), {"name": "Team A", "organization": "not-an-id"})
    assert response.status_code == 422


async def test_bad_names_are_refused_with_a_message(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    for name in ("", " ", "x", "y" * 121, "bad\x01name"):
        response = await client.submit(new_url(cast), {"name": name})
        assert response.status_code == 422, name
        assert "field-error" in response.text


async def test_htmx_gets_the_form_back_with_its_messages(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    response = await client.htmx("POST", new_url(cast), data={"name": ""})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="team_form">')
    response = await client.htmx("POST", new_url(cast), data={"name": "Htmx Heroes"})
    assert response.status_code == 200
    assert response.headers["hx-redirect"].startswith("/teams/")


async def test_creating_a_team_is_refused_from_the_first_rounds_deadline(client, db):
    cast = await make_cast(db)
    deadline = await first_deadline(db, cast.challenge)
    early = await registered(db, cast.challenge, "Early Bird")
    await as_user(client, db, early)
    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        assert (await client.submit(new_url(cast), {"name": "Just In Time"})).status_code == 303
    await as_user(client, db, cast.participant)
    with time_machine.travel(deadline, tick=False):
        response = await client.submit(new_url(cast), {"name": "Too Late"})
    assert response.status_code == 409
    assert "Teams are frozen since the first round’s deadline" in text_of(response.text)
    assert await teams_named(db, cast.challenge, "Too Late") == []


async def test_creating_a_team_cancels_ones_pending_requests_elsewhere(client, db):
    from tests.teams.team_support import fresh, join_request

    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    await as_user(client, db, cast.participant)
    assert (await client.submit(new_url(cast), {"name": "Solo"})).status_code == 303
    from app.teams.models import JoinRequest

    assert (await fresh(db, JoinRequest, request.id)).status == "cancelled"
