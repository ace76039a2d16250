"""Removing members, leaving, handing over the captaincy; the freeze at the first round's deadline and the
founders' audited override."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from app.teams.models import Submission, Team, TeamMember
from tests.conftest import text_of
from tests.teams.team_support import (
    as_user,
    audit_entries,
    count_members,
    first_deadline,
    fresh,
    join_request,
    make_cast,
    member_ids,
    notifications_of,
    registered,
    role_of,
)


async def captains(db, team) -> list:
    return list(
        await db.scalars(
            select(TeamMember.user_id).where(TeamMember.team_id == team.id, TeamMember.role == "captain")
        )
    )


# --- removing and leaving --------------------------------------------------------------------------------


async def test_the_captain_removes_a_member_who_is_told(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    response = await client.submit(f"/teams/{cast.team.id}/members/{cast.member.id}/remove")
    assert response.status_code == 303
    assert await member_ids(db, cast.team) == {cast.captain.id}
    assert await count_members(db, cast.team) == (1, 1)
    [notice] = await notifications_of(db, cast.member, "team_member_removed")
    assert notice.params["team"] == "Heartbeat"
    # Captains' removals are ordinary team life, not an override.
    assert await audit_entries(db, "team:override_members", cast.team.id) == []


async def test_the_captain_cannot_be_removed_nor_someone_outside_the_team(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    response = await client.submit(f"/teams/{cast.team.id}/members/{cast.captain.id}/remove")
    assert response.status_code == 409
    assert "hand over the captaincy" in text_of(response.text)
    response = await client.submit(f"/teams/{cast.team.id}/members/{cast.other_member.id}/remove")
    assert response.status_code == 404
    assert await count_members(db, cast.team) == (2, 2)
    assert await count_members(db, cast.other_team) == (2, 2)


async def test_a_member_leaves(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.submit(f"/teams/{cast.team.id}/leave")
    assert response.status_code == 303
    assert response.headers["location"] == "/me/challenges"
    assert await count_members(db, cast.team) == (1, 1)
    assert (await client.get(f"/teams/{cast.team.id}")).status_code == 404


async def test_a_captain_with_members_hands_over_before_leaving(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    response = await client.submit(f"/teams/{cast.team.id}/leave")
    assert response.status_code == 409
    assert "hand over the captaincy to another member before leaving" in text_of(response.text)
    assert await count_members(db, cast.team) == (2, 2)


async def test_a_captain_alone_dissolves_the_team_by_leaving(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    await client.submit(f"/teams/{cast.team.id}/members/{cast.member.id}/remove")
    request = await join_request(db, cast.team, cast.participant)
    response = await client.submit(f"/teams/{cast.team.id}/leave")
    assert response.status_code == 303
    assert await fresh(db, Team, cast.team.id) is None
    assert (
        await db.scalar(
            select(func.count()).select_from(TeamMember).where(TeamMember.team_id == cast.team.id)
        )
        == 0
    )
    from app.teams.models import JoinRequest

    assert await fresh(db, JoinRequest, request.id) is None


async def test_a_team_with_saved_work_is_not_dissolved_by_its_last_member(client, db):
    from app.challenges.models import Round

    cast = await make_cast(db, team_max=4)
    await as_user(client, db, cast.captain)
    await client.submit(f"/teams/{cast.team.id}/members/{cast.member.id}/remove")
    round_id = await db.scalar(select(Round.id).where(Round.challenge_id == cast.challenge.id).limit(1))
    db.add(Submission(team_id=cast.team.id, round_id=round_id))
    await db.flush()
    response = await client.submit(f"/teams/{cast.team.id}/leave")
    assert response.status_code == 409
    assert "work saved for a round" in text_of(response.text)
    assert await fresh(db, Team, cast.team.id) is not None


# --- the captaincy ---------------------------------------------------------------------------------------


async def test_the_captain_hands_over_and_there_is_still_exactly_one_captain(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    response = await client.submit(f"/teams/{cast.team.id}/captain", {"user_id": str(cast.member.id)})
    assert response.status_code == 303
    assert await captains(db, cast.team) == [cast.member.id]
    assert (await fresh(db, Team, cast.team.id)).captain_id == cast.member.id
    assert await role_of(db, cast.team, cast.captain) == "member"
    [notice] = await notifications_of(db, cast.member, "captaincy_transferred")
    assert notice.params["by"] == "Carla Captain"
    # The former captain now runs nothing.
    response = await client.submit(f"/teams/{cast.team.id}/members/{cast.member.id}/remove")
    assert response.status_code == 403


async def test_the_captaincy_goes_only_to_a_member_of_the_team(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    for user_id in (str(cast.other_member.id), "not-an-id", "", str(cast.captain.id)):
        response = await client.submit(f"/teams/{cast.team.id}/captain", {"user_id": user_id})
        assert response.status_code == 422, user_id
    assert await captains(db, cast.team) == [cast.captain.id]


async def test_the_database_refuses_a_second_captain(db):
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    cast = await make_cast(db)
    with pytest.raises(IntegrityError):
        async with db.begin_nested():
            await db.execute(
                update(TeamMember)
                .where(TeamMember.team_id == cast.team.id, TeamMember.user_id == cast.member.id)
                .values(role="captain")
            )


# --- the freeze and the founders' override -----------------------------------------------------------------


async def test_membership_changes_one_second_before_the_deadline_and_is_frozen_at_it(client, db):
    cast = await make_cast(db)
    deadline = await first_deadline(db, cast.challenge)
    second = await registered(db, cast.challenge, "Second Sid")
    await join_request(db, cast.team, second)
    await as_user(client, db, cast.member)
    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        assert (await client.submit(f"/teams/{cast.team.id}/leave")).status_code == 303
    await as_user(client, db, cast.other_member)
    with time_machine.travel(deadline, tick=False):
        response = await client.submit(f"/teams/{cast.other_team.id}/leave")
    assert response.status_code == 409
    assert "Teams are frozen since the first round’s deadline" in text_of(response.text)
    assert cast.other_member.id in await member_ids(db, cast.other_team)


async def test_every_membership_change_by_participants_is_refused_once_frozen(client, db):
    cast = await make_cast(db)
    deadline = await first_deadline(db, cast.challenge)
    request = await join_request(db, cast.team, cast.participant)
    with time_machine.travel(deadline + dt.timedelta(minutes=1), tick=False):
        await as_user(client, db, cast.captain)
        attempts = [
            await client.submit(f"/teams/{cast.team.id}/members/{cast.member.id}/remove"),
            await client.submit(f"/teams/{cast.team.id}/captain", {"user_id": str(cast.member.id)}),
            await client.submit(f"/teams/{cast.team.id}/invitations", {"email": "late@example.org"}),
            await client.submit(
                f"/teams/{cast.team.id}/join-requests/{request.id}/decision", {"decision": "approve"}
            ),
            await client.submit(f"/teams/{cast.team.id}/leave"),
        ]
        await as_user(client, db, cast.participant)
        attempts.append(await client.submit(f"/teams/{cast.other_team.id}/join-requests", {}))
        page = await client.get(f"/challenges/{cast.challenge.slug}/teams/find")
    assert [response.status_code for response in attempts] == [409] * 6
    assert all("frozen" in text_of(response.text) for response in attempts)
    assert "Ask to join" not in page.text
    assert await count_members(db, cast.team) == (2, 2)
    assert await captains(db, cast.team) == [cast.captain.id]


async def test_founders_still_change_a_frozen_team_and_each_change_is_audited(client, db):
    cast = await make_cast(db)
    deadline = await first_deadline(db, cast.challenge)
    await as_user(client, db, cast.founder)
    with time_machine.travel(deadline + dt.timedelta(minutes=1), tick=False):
        page = await client.get(f"/teams/{cast.team.id}")
        assert "Founders: add a member" in text_of(page.text)
        added = await client.submit(
            f"/teams/{cast.team.id}/members",
            {"email": cast.participant.email.upper(), "reason": "Agreed with the jury."},
        )
        captain = await client.submit(
            f"/teams/{cast.team.id}/captain", {"user_id": str(cast.participant.id), "reason": "Carla is ill."}
        )
        removed = await client.submit(
            f"/teams/{cast.team.id}/members/{cast.captain.id}/remove", {"reason": "Left the startup."}
        )
    assert [r.status_code for r in (added, captain, removed)] == [303, 303, 303]
    assert await member_ids(db, cast.team) == {cast.member.id, cast.participant.id}
    assert await captains(db, cast.team) == [cast.participant.id]
    assert await count_members(db, cast.team) == (2, 2)
    entries = await audit_entries(db, "team:override_members", cast.team.id)
    assert [(e.actor_id, e.details["change"], e.details["reason"]) for e in entries] == [
        (cast.founder.id, "add", "Agreed with the jury."),
        (cast.founder.id, "captain", "Carla is ill."),
        (cast.founder.id, "remove", "Left the startup."),
    ]


async def test_founders_must_say_why_and_still_respect_the_rules(client, db):
    cast = await make_cast(db, team_max=3)
    await as_user(client, db, cast.founder)
    response = await client.submit(f"/teams/{cast.team.id}/members/{cast.member.id}/remove", {"reason": " "})
    assert response.status_code == 422
    assert "Say why you change this team" in text_of(response.text)
    response = await client.submit(
        f"/teams/{cast.team.id}/members", {"email": "nobody@example.org", "reason": ""}
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Say why you change this team" in text and "No account" not in text
    response = await client.submit(
        f"/teams/{cast.team.id}/members", {"email": "nobody@example.org", "reason": "Why not."}
    )
    assert response.status_code == 422
    assert "No account uses this address." in text_of(response.text)
    response = await client.submit(
        f"/teams/{cast.team.id}/members", {"email": cast.other_member.email, "reason": "Swap."}
    )
    assert response.status_code == 409
    assert "Olga Other is already in a team of this challenge." in text_of(response.text)
    response = await client.submit(
        f"/teams/{cast.team.id}/members", {"email": cast.outsider.email, "reason": "Why."}
    )
    assert response.status_code == 403
    assert "Oscar Outsider no longer has an approved registration" in text_of(response.text)
    assert (
        await client.submit(
            f"/teams/{cast.team.id}/members", {"email": cast.participant.email, "reason": "Ok."}
        )
    ).status_code == 303
    extra = await registered(db, cast.challenge, "Extra Eve")
    response = await client.submit(
        f"/teams/{cast.team.id}/members", {"email": extra.email, "reason": "One more."}
    )
    assert response.status_code == 409
    assert "This team is full (3 of 3)." in text_of(response.text)
    assert await audit_entries(db, "team:override_members", cast.team.id) != []
    assert len(await audit_entries(db, "team:override_members", cast.team.id)) == 1


async def test_membership_over_the_api(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    headers = {"X-CSRF-Token": await client.csrf()}
    moved = await client.post(
        f"/api/v1/teams/{cast.team.id}/captain", json={"user_id": str(cast.member.id)}, headers=headers
    )
    assert moved.status_code == 200
    assert moved.json()["captain_id"] == str(cast.member.id)
    left = await client.delete(f"/api/v1/teams/{cast.team.id}/members/{cast.captain.id}", headers=headers)
    assert left.status_code == 204
    assert await member_ids(db, cast.team) == {cast.member.id}
    await as_user(client, db, cast.founder)
    headers = {"X-CSRF-Token": await client.csrf()}
    no_reason = await client.delete(
        f"/api/v1/teams/{cast.other_team.id}/members/{cast.other_member.id}", headers=headers
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["key"] == "reason"
    removed = await client.delete(
        f"/api/v1/teams/{cast.other_team.id}/members/{cast.other_member.id}?reason=Duplicate+account",
        headers=headers,
    )
    assert removed.status_code == 204
    added = await client.post(
        f"/api/v1/teams/{cast.other_team.id}/members",
        json={"email": cast.other_member.email, "reason": "Restored."},
        headers=headers,
    )
    assert added.status_code == 201
    assert {m["name"] for m in added.json()["members"]} == {"Otto Other", "Olga Other"}
