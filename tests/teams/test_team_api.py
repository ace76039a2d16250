"""The teams API: the pages' rules over JSON, problem+json refusals, and nothing assigned from a body but what
the caller may set."""

from __future__ import annotations

import uuid

from app.teams.models import Team
from tests.factories import make_organization
from tests.teams.team_support import as_user, audit_entries, count_members, fresh, make_cast


async def headers(client) -> dict[str, str]:
    return {"X-CSRF-Token": await client.csrf()}


async def test_a_participant_creates_a_team_and_reads_it_back(client, db):
    cast = await make_cast(db)
    startup = await make_organization(db, name="Acme", owner=cast.participant)
    await as_user(client, db, cast.participant)
    response = await client.post(
        f"/api/v1/challenges/{cast.challenge.slug}/teams",
        json={"name": "Api Aces", "organization_id": str(startup.id)},
        headers=await headers(client),
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/teams/{body['id']}"
    assert (body["name"], body["captain_id"], body["member_count"], body["team_max"]) == (
        "Api Aces",
        str(cast.participant.id),
        1,
        4,
    )
    assert [(m["name"], m["role"]) for m in body["members"]] == [("Paula Participant", "captain")]
    assert [s["status"] for s in body["submissions"]] == ["none", "none"]
    assert body["submit_blocker"] is None
    shown = await client.get(f"/api/v1/teams/{body['id']}")
    assert shown.json() == body


async def test_the_list_gives_sizes_and_the_callers_own_team_and_requests(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.get(f"/api/v1/challenges/{cast.challenge.slug}/teams")
    assert response.status_code == 200
    body = response.json()
    assert [(t["name"], t["member_count"], t["team_max"]) for t in body["items"]] == [
        ("Heartbeat", 2, 4),
        ("Pulse", 2, 4),
    ]
    assert body["my_team_id"] == str(cast.team.id)
    assert (body["total"], body["page"], body["pages"]) == (2, 1, 1)
    searched = await client.get(f"/api/v1/challenges/{cast.challenge.slug}/teams?q=PUL")
    assert [t["name"] for t in searched.json()["items"]] == ["Pulse"]


async def test_the_list_marks_the_team_a_participant_without_team_asked_to_join(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.participant)
    asked = await client.post(
        f"/api/v1/teams/{cast.team.id}/join-requests", json={}, headers=await headers(client)
    )
    assert asked.status_code in (200, 201), asked.text
    body = (await client.get(f"/api/v1/challenges/{cast.challenge.slug}/teams")).json()
    assert body["my_team_id"] is None
    assert {t["name"]: t["my_join_request_id"] for t in body["items"]} == {
        "Heartbeat": asked.json()["id"],
        "Pulse": None,
    }


async def test_the_captain_patches_only_what_is_sent(client, db):
    cast = await make_cast(db)
    startup = await make_organization(db, name="Heart Startup", owner=cast.captain)
    await as_user(client, db, cast.captain)
    response = await client.patch(
        f"/api/v1/teams/{cast.team.id}", json={"gallery_opt_in": True}, headers=await headers(client)
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["gallery_opt_in"]) == ("Heartbeat", True)
    # The consent to publication is the gallery's, which keeps it in the audit log.
    [entry] = await audit_entries(db, "team:gallery_opt_in", cast.team.id)
    assert entry.details["opt_in"] is True
    response = await client.patch(
        f"/api/v1/teams/{cast.team.id}",
        json={"name": "Heart Beat", "organization_id": str(startup.id)},
        headers=await headers(client),
    )
    assert response.status_code == 200
    team = await fresh(db, Team, cast.team.id)
    assert (team.name, team.organization_id, team.gallery_opt_in) == ("Heart Beat", startup.id, True)
    cleared = await client.patch(
        f"/api/v1/teams/{cast.team.id}", json={"organization_id": None}, headers=await headers(client)
    )
    assert cleared.json()["organization_id"] is None


async def test_a_patch_cannot_take_another_teams_name_or_someone_elses_organization(client, db):
    cast = await make_cast(db)
    foreign = await make_organization(db, owner=cast.outsider)
    await as_user(client, db, cast.captain)
    taken = await client.patch(
        f"/api/v1/teams/{cast.team.id}", json={"name": "pulse"}, headers=await headers(client)
    )
    assert taken.status_code == 422
    assert taken.headers["content-type"].startswith("application/problem+json")
    assert taken.json()["errors"] == [
        {"key": "name", "message": "Another team of this challenge already has this name.", "source": "body"}
    ]
    stolen = await client.patch(
        f"/api/v1/teams/{cast.team.id}",
        json={"organization_id": str(foreign.id)},
        headers=await headers(client),
    )
    assert stolen.status_code == 422
    assert (await fresh(db, Team, cast.team.id)).organization_id is None


async def test_nothing_but_the_callers_fields_is_taken_from_a_body(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    forged = [
        ("PATCH", f"/api/v1/teams/{cast.team.id}", {"member_count": 1}),
        ("PATCH", f"/api/v1/teams/{cast.team.id}", {"captain_id": str(cast.member.id)}),
        ("PATCH", f"/api/v1/teams/{cast.team.id}", {"challenge_id": str(uuid.uuid4())}),
        (
            "POST",
            f"/api/v1/teams/{cast.team.id}/invitations",
            {"email": "a@example.org", "team_id": str(uuid.uuid4())},
        ),
    ]
    for method, url, body in forged:
        response = await client.request(method, url, json=body, headers=await headers(client))
        assert response.status_code == 400, body
        assert response.headers["content-type"].startswith("application/problem+json")
    await as_user(client, db, cast.participant)
    response = await client.post(
        f"/api/v1/challenges/{cast.challenge.slug}/teams",
        json={"name": "Forged", "captain_id": str(cast.member.id), "member_count": 0},
        headers=await headers(client),
    )
    assert response.status_code == 400
    team = await fresh(db, Team, cast.team.id)
    assert (team.captain_id, team.member_count) == (cast.captain.id, 2)


async def test_refusals_are_problems_with_a_clear_detail(client, db):
    cast = await make_cast(db, team_max=2)
    await as_user(client, db, cast.participant)
    response = await client.post(
        f"/api/v1/teams/{cast.team.id}/join-requests", json={}, headers=await headers(client)
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "This team is full (2 of 2)."
    await as_user(client, db, cast.member)
    response = await client.post(
        f"/api/v1/challenges/{cast.challenge.slug}/teams",
        json={"name": "Twice"},
        headers=await headers(client),
    )
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "You are already in a team of this challenge.",
    )
    assert await count_members(db, cast.team) == (2, 2)


async def test_a_page_past_the_last_is_empty_and_still_counts_the_teams(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    body = (await client.get(f"/api/v1/challenges/{cast.challenge.slug}/teams?page=3")).json()
    assert (body["items"], body["total"], body["page"], body["pages"]) == ([], 2, 3, 1)
    searched = (await client.get(f"/api/v1/challenges/{cast.challenge.slug}/teams?q=pul&page=2")).json()
    assert (searched["items"], searched["total"]) == ([], 1)
