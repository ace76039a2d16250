"""The team page, the teams of a challenge, the participant's dashboard: what they show, and that each costs the
same number of SQL statements for 5 rows as for 500. Also the reason a team may not submit."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import event, insert, select

from app.accounts.models import User
from app.challenges.models import Challenge, Registration, Round
from app.db import utcnow
from app.platform.i18n import in_locale
from app.teams.models import JoinRequest, Submission, Team, TeamInvitation, TeamMember
from app.teams.teams import submit_blocker
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization, make_registration, make_team, make_user
from tests.teams.team_support import as_user, join_request, make_cast, registered


async def counted_statements(connection, action) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sync = connection.sync_connection
    event.listen(sync, "before_cursor_execute", count)
    try:
        await action()
    finally:
        event.remove(sync, "before_cursor_execute", count)
    return len(statements)


async def bulk_users(db, count: int, prefix: str) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    await db.execute(
        insert(User),
        [
            {
                "id": id_,
                "email": f"{prefix}-{id_.hex[:12]}@example.org",
                "name": f"{prefix} {n}",
                "password_hash": "x",
            }
            for n, id_ in enumerate(ids)
        ],
    )
    return ids


async def first_round(db, challenge) -> Round:
    return await db.scalar(
        select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position).limit(1)
    )


# --- the team page --------------------------------------------------------------------------------------


async def test_the_team_page_shows_members_roles_and_work_by_round(client, db):
    cast = await make_cast(db)
    round_ = await first_round(db, cast.challenge)
    db.add(Submission(team_id=cast.team.id, round_id=round_.id, status="submitted", version=3))
    await db.flush()
    await as_user(client, db, cast.member)
    response = await client.get(f"/teams/{cast.team.id}")
    text = text_of(response.text)
    assert "Carla Captain" in text and "Captain" in text and "Marc Member" in text
    assert f'href="/teams/{cast.team.id}/rounds/{round_.id}"' in response.text
    assert "Submitted (version 3)" in text and "Not started" in text
    # Members see the team, not what only the captain manages.
    assert "Pending invitations" not in text and "Requests to join" not in text
    assert "Leave the team" in text


async def test_the_captain_sees_pending_invitations_and_requests(client, db):
    cast = await make_cast(db)
    await join_request(db, cast.team, cast.participant, "Please!")
    db.add(
        TeamInvitation(
            team_id=cast.team.id,
            email="guest@example.org",
            invited_by_id=cast.captain.id,
            expires_at=utcnow() + dt.timedelta(days=7),
        )
    )
    await db.flush()
    await as_user(client, db, cast.captain)
    text = text_of((await client.get(f"/teams/{cast.team.id}")).text)
    assert "guest@example.org" in text
    assert "Paula Participant" in text and "Please!" in text
    assert "Approve the request of Paula Participant" in (await client.get(f"/teams/{cast.team.id}")).text


async def test_the_captain_keeps_a_startup_that_is_not_theirs_in_the_details_form(client, db):
    cast = await make_cast(db)
    theirs = await make_organization(db, name="Founders Lab", owner=cast.outsider)
    mine = await make_organization(db, name="Captain Co", owner=cast.captain)
    cast.team.organization_id = theirs.id
    await db.flush()
    await as_user(client, db, cast.captain)
    response = await client.get(f"/teams/{cast.team.id}")
    assert "Represents Founders Lab" in text_of(response.text)
    assert f'<option value="{theirs.id}" selected>Founders Lab</option>' in response.text
    assert f'<option value="{mine.id}" >Captain Co</option>' in response.text
    await as_user(client, db, cast.member)
    member_view = await client.get(f"/teams/{cast.team.id}")
    assert "Represents Founders Lab" in text_of(member_view.text)
    assert "Captain Co" not in member_view.text and 'id="edit-organization"' not in member_view.text


async def test_the_team_page_says_when_the_team_cannot_submit(client, db):
    cast = await make_cast(db, team_min=3)
    await as_user(client, db, cast.captain)
    text = text_of((await client.get(f"/teams/{cast.team.id}")).text)
    assert "Your team has 2 members; this challenge requires at least 3." in text


async def test_the_team_page_costs_the_same_for_5_and_500_rows(client, db, connection):
    small_cast = await make_cast(db)
    large_cast = await make_cast(db, team_max=50)
    small, large = small_cast.team, large_cast.team
    for cast, members, others in ((small_cast, 3, 5), (large_cast, 48, 500)):
        team = cast.team
        member_ids = await bulk_users(db, members, "member")
        await db.execute(
            insert(TeamMember),
            [{"team_id": team.id, "user_id": id_, "challenge_id": cast.challenge.id} for id_ in member_ids],
        )
        team.member_count = 2 + members
        requesters = await bulk_users(db, others, "requester")
        await db.execute(insert(JoinRequest), [{"team_id": team.id, "user_id": id_} for id_ in requesters])
        expires = utcnow() + dt.timedelta(days=7)
        await db.execute(
            insert(TeamInvitation),
            [
                {
                    "team_id": team.id,
                    "email": f"guest{n}@example.org",
                    "invited_by_id": cast.captain.id,
                    "expires_at": expires,
                }
                for n in range(others)
            ],
        )
    await db.flush()
    results = {}

    async def page(cast):
        await as_user(client, db, cast.captain)
        await client.get(
            f"/teams/{cast.team.id}"
        )  # the new session is touched once; later requests only read

        async def get():
            response = await client.get(f"/teams/{cast.team.id}")
            assert response.status_code == 200
            results[cast.team.id] = (
                response.text.count('<tr id="member-'),
                response.text.count('id="join-request-'),
            )

        return await counted_statements(connection, get)

    few, many = await page(small_cast), await page(large_cast)
    assert (results[small.id], results[large.id]) == ((5, 5), (50, 500))
    assert few == many
    assert 0 < many <= 5  # 3 statements and the two savepoints standing for BEGIN and COMMIT


# --- the teams of a challenge ------------------------------------------------------------------------------


async def test_the_list_of_teams_is_searchable_and_paginated(client, db):
    cast = await make_cast(db)
    for n in range(30):
        await make_team(db, cast.challenge, await make_user(db), name=f"Squad {n:02d}")
    await as_user(client, db, cast.participant)
    first = await client.get(f"/challenges/{cast.challenge.slug}/teams/find")
    assert first.text.count('<tr id="team-') == 25
    assert "Page 1 of 2" in text_of(first.text)
    second = await client.get(f"/challenges/{cast.challenge.slug}/teams/find?page=2")
    assert second.text.count('<tr id="team-') == 7
    found = await client.htmx("GET", f"/challenges/{cast.challenge.slug}/teams/find?q=heart")
    assert found.text.lstrip().startswith('<div id="team_results">')
    assert found.text.count('<tr id="team-') == 1
    wild = await client.get(f"/challenges/{cast.challenge.slug}/teams/find?q=%25")
    assert wild.status_code == 200 and wild.text.count('<tr id="team-') == 0
    assert (await client.get(f"/challenges/{cast.challenge.slug}/teams/find?page=0")).status_code == 400
    assert (
        await client.get(f"/challenges/{cast.challenge.slug}/teams/find?q=" + "x" * 201)
    ).status_code == 400


async def test_the_list_costs_the_same_for_5_and_500_teams(client, db, connection):
    few, many = await make_cast(db), await make_cast(db)
    for cast, count in ((few, 3), (many, 498)):
        captains = await bulk_users(db, count, "captain")
        await db.execute(
            insert(Team),
            [
                {"challenge_id": cast.challenge.id, "name": f"Team {n}", "captain_id": id_, "member_count": 1}
                for n, id_ in enumerate(captains)
            ],
        )
    await db.flush()
    counts = []
    for cast in (few, many):
        await as_user(client, db, cast.participant)
        await client.get(f"/challenges/{cast.challenge.slug}/teams/find")

        async def get(cast=cast):
            assert (await client.get(f"/challenges/{cast.challenge.slug}/teams/find")).status_code == 200

        counts.append(await counted_statements(connection, get))
    assert counts[0] == counts[1]
    assert counts[1] <= 5  # 3 statements and the two savepoints standing for BEGIN and COMMIT


# --- the participant's dashboard ---------------------------------------------------------------------------


async def test_the_dashboard_shows_each_challenge_with_registration_team_deadline_and_work(client, db):
    cast = await make_cast(db)
    round_ = await first_round(db, cast.challenge)
    db.add(Submission(team_id=cast.team.id, round_id=round_.id, status="draft", version=1))
    pending = await make_challenge(db, title="Lung Data")
    await make_registration(db, pending, cast.member, status="pending")
    await db.flush()
    await as_user(client, db, cast.member)
    response = await client.get("/me/challenges")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Heart Data" in text and "Lung Data" in text
    assert "Heartbeat" in text and "Approved" in text and "Pending" in text
    assert "Draft" in text and "Not started" in text
    assert f'href="/teams/{cast.team.id}/rounds/{round_.id}"' in response.text
    await as_user(client, db, cast.participant)
    assert "Find or create a team" in text_of((await client.get("/me/challenges")).text)
    await as_user(client, db, cast.outsider)
    assert "You have not registered for any challenge yet." in text_of(
        (await client.get("/me/challenges")).text
    )


async def test_the_dashboard_costs_the_same_for_5_and_500_challenges(client, db, connection):
    counts = []
    for size in (5, 500):
        person = await make_user(db)
        now = utcnow()
        challenges = [
            {
                "id": uuid.uuid4(),
                "slug": f"c-{uuid.uuid4().hex[:12]}",
                "title": f"Bulk {n}",
                "published_at": now,
            }
            for n in range(size)
        ]
        await db.execute(insert(Challenge), challenges)
        rounds = [
            {
                "id": uuid.uuid4(),
                "challenge_id": c["id"],
                "position": 1,
                "name": "Round 1",
                "opens_at": now - dt.timedelta(days=1),
                "deadline": now + dt.timedelta(days=5),
            }
            for c in challenges
        ]
        await db.execute(insert(Round), rounds)
        await db.execute(
            insert(Registration),
            [
                {
                    "challenge_id": c["id"],
                    "user_id": person.id,
                    "status": "approved",
                    "rules_version": 1,
                    "rules_accepted_at": now,
                }
                for c in challenges
            ],
        )
        teams = [
            {
                "id": uuid.uuid4(),
                "challenge_id": c["id"],
                "name": "Mine",
                "captain_id": person.id,
                "member_count": 1,
            }
            for c in challenges
        ]
        await db.execute(insert(Team), teams)
        await db.execute(
            insert(TeamMember),
            [
                {
                    "team_id": t["id"],
                    "user_id": person.id,
                    "challenge_id": t["challenge_id"],
                    "role": "captain",
                }
                for t in teams
            ],
        )
        await db.execute(
            insert(Submission),
            [{"team_id": t["id"], "round_id": r["id"]} for t, r in zip(teams, rounds, strict=True)],
        )
        await as_user(client, db, person)
        await client.get("/me/challenges")
        shown = []

        async def get(shown=shown):
            response = await client.get("/me/challenges")
            shown.append(response.text.count('<article id="challenge-'))

        counts.append(await counted_statements(connection, get))
        assert shown == [size]
    assert counts[0] == counts[1]
    assert counts[1] <= 6


# --- who may submit ---------------------------------------------------------------------------------------


async def test_submit_blocker_names_the_minimum_in_the_current_language(db):
    challenge = await make_challenge(db, team_min=2, team_max=3)
    captain = await registered(db, challenge, "Solo Sol")
    team = await make_team(db, challenge, captain)
    assert (
        await submit_blocker(db, team, challenge)
        == "Your team has 1 member; this challenge requires at least 2."
    )
    with in_locale("fr"):
        assert (
            await submit_blocker(db, team, challenge)
            == "Votre équipe compte 1 membre ; ce défi en exige au moins 2."
        )
    second = await registered(db, challenge, "Duo Dan")
    db.add(TeamMember(team_id=team.id, user_id=second.id, challenge_id=challenge.id))
    await db.flush()
    assert await submit_blocker(db, team, challenge) is None


async def test_submit_blocker_refuses_members_without_an_approved_registration_and_oversized_teams(db):
    challenge = await make_challenge(db, team_min=1, team_max=2)
    captain = await registered(db, challenge, "Cap Carl")
    stray = await make_user(db, name="Stray Stan")
    team = await make_team(db, challenge, captain, members=(stray,))
    assert "Stray Stan" in await submit_blocker(db, team, challenge)
    await make_registration(db, challenge, stray)
    assert await submit_blocker(db, team, challenge) is None
    challenge.team_max = 1
    challenge.team_min = 1
    await db.flush()
    assert (
        await submit_blocker(db, team, challenge)
        == "Your team has 2 members; this challenge allows at most 1."
    )
