"""Join requests: a participant asks, the captain approves (a seat is taken) or declines, the requester may cancel."""

from __future__ import annotations

from sqlalchemy import select

from app.notifications.kinds import render
from app.platform.i18n import in_locale
from app.teams.models import JoinRequest
from tests.conftest import text_of
from tests.factories import make_team
from tests.teams.team_support import (
    as_user,
    count_members,
    fresh,
    join_request,
    make_cast,
    member_ids,
    notifications_of,
    registered,
)


def teams_url(cast) -> str:
    return f"/challenges/{cast.challenge.slug}/teams/find"


async def requests_of(db, team, user):
    return list(
        await db.scalars(
            select(JoinRequest)
            .where(JoinRequest.team_id == team.id, JoinRequest.user_id == user.id)
            .execution_options(populate_existing=True)
        )
    )


async def test_the_list_shows_each_team_with_its_size_and_a_way_to_ask(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    response = await client.get(teams_url(cast))
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Heartbeat" in text and "Pulse" in text
    assert "2 of 4" in text
    assert "Ask to join Heartbeat" in response.text
    # Participants learn the teams' names and sizes, not their members.
    assert "Marc Member" not in text


async def test_a_participant_asks_and_the_captain_is_notified(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    response = await client.submit(f"/teams/{cast.team.id}/join-requests", {"message": "I code in R."})
    assert response.status_code == 303
    [request] = await requests_of(db, cast.team, cast.participant)
    assert (request.status, request.message) == ("pending", "I code in R.")
    [notice] = await notifications_of(db, cast.captain, "join_request")
    assert notice.link == f"/teams/{cast.team.id}#join-requests"
    with in_locale("fr"):
        assert render(notice.kind, notice.params).title == "Paula Participant demande à rejoindre Heartbeat"
    listed = await client.get(teams_url(cast))
    assert "Request sent" in text_of(listed.text)
    again = await client.submit(f"/teams/{cast.team.id}/join-requests", {"message": ""})
    assert again.status_code == 409
    assert "You have already asked to join this team." in text_of(again.text)


async def test_the_captain_approves_and_the_requester_takes_a_seat(client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant, "Hello")
    elsewhere = await join_request(db, cast.other_team, cast.participant)
    await as_user(client, db, cast.captain)
    page = await client.get(f"/teams/{cast.team.id}")
    assert "Paula Participant" in text_of(page.text) and "Hello" in page.text
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 303
    assert cast.participant.id in await member_ids(db, cast.team)
    assert await count_members(db, cast.team) == (3, 3)
    decided = await fresh(db, JoinRequest, request.id)
    assert (decided.status, decided.decided_by_id) == ("approved", cast.captain.id)
    assert (await fresh(db, JoinRequest, elsewhere.id)).status == "cancelled"
    [notice] = await notifications_of(db, cast.participant, "join_request_decided")
    assert render(notice.kind, notice.params).title == "Your request to join Heartbeat was approved"
    with in_locale("fr"):
        assert "acceptée" in render(notice.kind, notice.params).title


async def test_the_captain_declines_and_nothing_else_changes(client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    await as_user(client, db, cast.captain)
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "decline"}
    )
    assert response.status_code == 303
    assert (await fresh(db, JoinRequest, request.id)).status == "declined"
    assert await count_members(db, cast.team) == (2, 2)
    [notice] = await notifications_of(db, cast.participant, "join_request_decided")
    assert notice.params["decision"] == "declined"
    again = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert again.status_code == 409
    assert "This request is no longer pending." in text_of(again.text)


async def test_a_full_team_refuses_approval_with_its_size(client, db):
    cast = await make_cast(db, team_max=2)
    request = await join_request(db, cast.team, cast.participant)
    await as_user(client, db, cast.captain)
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 409
    assert "This team is full (2 of 2)." in text_of(response.text)
    assert await count_members(db, cast.team) == (2, 2)
    assert (await fresh(db, JoinRequest, request.id)).status == "pending"


async def test_asking_a_full_team_or_while_in_a_team_is_refused(client, db):
    cast = await make_cast(db, team_max=2)
    await as_user(client, db, cast.participant)
    response = await client.submit(f"/teams/{cast.team.id}/join-requests", {})
    assert response.status_code == 409
    assert "This team is full (2 of 2)." in text_of(response.text)
    await as_user(client, db, cast.member)
    response = await client.submit(f"/teams/{cast.other_team.id}/join-requests", {})
    assert response.status_code == 409
    assert "You are already in a team of this challenge." in text_of(response.text)


async def test_approving_someone_who_joined_another_team_meanwhile_is_refused(client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    solo_team = await make_team(db, cast.challenge, cast.participant, name="Solo")
    assert solo_team.member_count == 1
    await as_user(client, db, cast.captain)
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 409
    assert "Paula Participant is already in a team of this challenge." in text_of(response.text)
    assert await count_members(db, cast.team) == (2, 2)


async def test_approving_someone_whose_registration_was_withdrawn_is_refused(client, db):
    from app.challenges.models import Registration

    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    registration = await db.scalar(select(Registration).where(Registration.user_id == cast.participant.id))
    registration.status = "withdrawn"
    await db.flush()
    await as_user(client, db, cast.captain)
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert "Paula Participant no longer has an approved registration" in text_of(response.text)


async def test_an_ineligible_requester_is_refused_with_the_reason(client, db):
    from tests.factories import make_organization

    cast = await make_cast(db, allowed_kinds=["startup"])
    lab = await make_organization(db, name="Deep Lab", kind="academic_lab")
    person = await registered(db, cast.challenge, "Lara Lab", email="lara@example.org")
    from app.challenges.models import Registration

    registration = await db.scalar(select(Registration).where(Registration.user_id == person.id))
    registration.organization_id = lab.id
    await db.flush()
    await as_user(client, db, person)
    response = await client.submit(f"/teams/{cast.team.id}/join-requests", {})
    assert response.status_code == 403
    assert "open to startups only; Deep Lab is an academic lab" in text_of(response.text)


async def test_the_requester_cancels_their_request(client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    await as_user(client, db, cast.participant)
    response = await client.submit(f"/teams/{cast.team.id}/join-requests/{request.id}/cancel")
    assert response.status_code == 303
    assert (await fresh(db, JoinRequest, request.id)).status == "cancelled"
    again = await client.submit(f"/teams/{cast.team.id}/join-requests/{request.id}/cancel")
    assert again.status_code == 409


async def test_nobody_cancels_or_decides_another_persons_request(client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    other = await registered(db, cast.challenge, "Nosy Neighbour")
    await as_user(client, db, other)
    assert (
        await client.submit(f"/teams/{cast.team.id}/join-requests/{request.id}/cancel")
    ).status_code == 404
    # A request belongs to its team: another team's captain does not find it.
    await as_user(client, db, cast.other_captain)
    response = await client.submit(
        f"/teams/{cast.other_team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 404
    await as_user(client, db, cast.member)
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert (await fresh(db, JoinRequest, request.id)).status == "pending"


async def test_bad_decisions_and_messages_are_refused_with_a_message(client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    await as_user(client, db, cast.captain)
    response = await client.submit(
        f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "maybe"}
    )
    assert response.status_code == 422
    assert "Choose to approve or to decline." in text_of(response.text)
    other = await registered(db, cast.challenge, "Verbose Vera")
    await as_user(client, db, other)
    response = await client.submit(f"/teams/{cast.team.id}/join-requests", {"message": "x" * 1001})
    assert response.status_code == 422
    assert "Use at most 1000 characters." in text_of(response.text)


async def test_requests_over_the_api(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    headers = {"X-CSRF-Token": await client.csrf()}
    created = await client.post(
        f"/api/v1/teams/{cast.team.id}/join-requests", json={"message": "Hi"}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["person"]["name"]) == ("pending", "Paula Participant")
    forged = await client.post(
        f"/api/v1/teams/{cast.other_team.id}/join-requests", json={"status": "approved"}, headers=headers
    )
    assert forged.status_code == 400
    await as_user(client, db, cast.captain)
    headers = {"X-CSRF-Token": await client.csrf()}
    listed = await client.get(f"/api/v1/teams/{cast.team.id}/join-requests")
    assert [item["id"] for item in listed.json()] == [body["id"]]
    decided = await client.post(
        f"/api/v1/teams/{cast.team.id}/join-requests/{body['id']}/decision",
        json={"decision": "approve"},
        headers=headers,
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    assert await count_members(db, cast.team) == (3, 3)
    bad = await client.post(
        f"/api/v1/teams/{cast.team.id}/join-requests/{body['id']}/decision",
        json={"decision": 1},
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
