"""The founders' list of a challenge's teams: members with their registration, captain, startup, size
against the limits; founders only, at a constant number of queries."""

from __future__ import annotations

import pytest

from tests.conftest import text_of
from tests.factories import make_organization, make_registration, make_team, make_user
from tests.teams.files_support import as_user, bulk_teams, counted_statements, make_cast


@pytest.fixture
async def cast(db):
    return await make_cast(db, team_min=2, team_max=3)


def teams_page(challenge, query: str = "") -> str:
    return f"/challenges/{challenge.slug}/teams{query}"


def team_rows(html: str) -> int:
    return html.count('<tr id="team-')


async def test_founders_see_each_team_with_its_members_and_their_registration(cast, client, db):
    startup = await make_organization(db, name="Cardio Start")
    cast.team.organization_id = startup.id
    late = await make_user(db, name="Lea Late")
    await make_registration(db, cast.challenge, late, status="pending")
    unregistered = await make_user(db, name="Ned Nobody")
    await make_team(db, cast.challenge, late, members=(unregistered,), name="Late Team")
    await as_user(client, db, cast.founder)
    response = await client.get(teams_page(cast.challenge))
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Team size: 2 to 3 people" in page
    assert "Cardio Crew Startup: Cardio Start Captain: Carla Captain 2 / 3 Within limits" in page
    assert "Carla Captain" in page and "Captain Approved" in page
    assert "Marc Member" in page
    assert "Rival Team No startup named Captain: Olga Rival 1 / 3 Below the minimum of 2" in page
    assert "Lea Late" in page and "Pending" in page
    assert "Ned Nobody" in page and "Not registered" in page
    assert response.headers["cache-control"] == "no-store"


async def test_a_full_team_says_so(cast, client, db):
    await make_team(
        db,
        cast.challenge,
        await make_user(db),
        members=(await make_user(db), await make_user(db)),
        name="Full House",
    )
    await as_user(client, db, cast.founder)
    assert "Full House No startup named Captain: Test Person 3 / 3 Full" in text_of(
        (await client.get(teams_page(cast.challenge))).text
    )


async def test_the_list_can_keep_the_teams_below_the_minimum(cast, client, db):
    await as_user(client, db, cast.founder)
    response = await client.get(teams_page(cast.challenge, "?below_minimum=true"))
    page = text_of(response.text)
    assert "Rival Team" in page and "Cardio Crew" not in page
    response = await client.htmx("GET", teams_page(cast.challenge, "?below_minimum=true"))
    assert response.text.lstrip().startswith('<div id="team_list"')


@pytest.mark.parametrize(
    "role", ["captain", "member", "other_team", "other_founder", "judge", "outsider", "admin"]
)
async def test_the_teams_list_is_for_the_founders_only(cast, client, db, role):
    await as_user(client, db, cast.person(role))
    assert (await client.get(teams_page(cast.challenge))).status_code == 404


async def test_a_visitor_is_sent_to_sign_in(cast, client, db):
    await as_user(client, db, None)
    response = await client.get(teams_page(cast.challenge))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_teams_list_costs_the_same_queries_for_5_and_500_teams(cast, client, db, connection):
    from app.challenges.models import ChallengeOrganizer

    few, many = cast.other_challenge, cast.challenge
    organization = await make_organization(db, owner=await make_user(db), members=(cast.founder,))
    db.add(ChallengeOrganizer(challenge_id=few.id, organization_id=organization.id))
    await bulk_teams(db, few, 5)
    await bulk_teams(db, many, 498)
    await as_user(client, db, cast.founder)
    await client.get(teams_page(few))
    shown = {}

    async def get(challenge):
        response = await client.get(teams_page(challenge))
        assert response.status_code == 200
        shown[challenge.slug] = team_rows(response.text)

    few_count = await counted_statements(connection, lambda: get(few))
    many_count = await counted_statements(connection, lambda: get(many))
    assert shown == {few.slug: 5, many.slug: 50}
    assert few_count == many_count
