"""Conflicts of interest: a judge declares theirs (for good), founders see every conflict with its reason and
may remove a declared one; a conflict, declared or automatic, hides the entry from the judge and takes
their score out of the ranking."""

from __future__ import annotations

from sqlalchemy import select

from app import authz
from app.accounts.sessions import Actor
from app.judging.models import Assignment, Conflict
from app.judging.ranking import compute_ranking
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization, make_team, make_user
from tests.judging.panel_support import give_review, make_panel_cast
from tests.teams.team_support import as_user, audit_entries


def actor_of(user) -> Actor:
    return Actor(
        id=user.id, email=user.email, name=user.name, locale="en", is_admin=False, email_verified=True
    )


async def entry_relations(db, cast, user, index: int = 0) -> set[str]:
    return await authz.relations_to_entry(
        db, actor_of(user), cast.entries[index], cast.teams[index], cast.challenge
    )


def conflicts_url(cast) -> str:
    return f"/judge/rounds/{cast.round.id}/conflicts"


async def test_judge_sees_the_round_s_teams_and_declares_a_conflict_with_a_reason(client, db):
    cast = await make_panel_cast(db, assign=True)
    await as_user(client, db, cast.judge)
    page = await client.get(conflicts_url(cast))
    assert page.status_code == 200
    text = text_of(page.text)
    assert all(team.name in text for team in cast.teams)
    assert "entry-" not in page.text  # names only, nothing of the entries themselves
    assert "assigned_judge" in await entry_relations(db, cast, cast.judge)
    response = await client.submit(
        conflicts_url(cast), {"team_id": str(cast.teams[0].id), "reason": "My cousin leads it"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{conflicts_url(cast)}#team-{cast.teams[0].id}"
    conflict = await db.scalar(select(Conflict).where(Conflict.user_id == cast.judge.id))
    assert (conflict.team_id, conflict.reason, conflict.challenge_id) == (
        cast.teams[0].id,
        "My cousin leads it",
        cast.challenge.id,
    )
    assert "assigned_judge" not in await entry_relations(db, cast, cast.judge)
    assert "assigned_judge" in await entry_relations(db, cast, cast.judge, 1)
    # The assignment without a review is released; the audit says no score existed.
    assert (
        await db.scalar(
            select(Assignment).where(
                Assignment.user_id == cast.judge.id, Assignment.submission_id == cast.entries[0].id
            )
        )
        is None
    )
    [entry] = await audit_entries(db, "conflict:declare", cast.teams[0].id)
    assert entry.details["had_score"] is False and entry.details["assignments_released"] == 1
    again = text_of((await client.get(conflicts_url(cast))).text)
    assert "Declared on" in again and "My cousin leads it" in again
    # There is no way back for the judge: declaring twice is a 409, and there is no withdrawal route.
    twice = await client.submit(conflicts_url(cast), {"team_id": str(cast.teams[0].id)})
    assert twice.status_code == 409 and "You already declared a conflict with" in text_of(twice.text)


async def test_declaring_after_scoring_removes_the_score_from_the_ranking(client, db):
    cast = await make_panel_cast(db, assign=True)
    first, second = cast.judges
    await give_review(db, cast, first, cast.entries[0], [10, 10])
    await give_review(db, cast, second, cast.entries[0], [0, 0])
    await give_review(db, cast, second, cast.entries[1], [5, 5])
    before = {e.submission_id: e for e in (await compute_ranking(db, cast.round.id, "mean")).entries}
    assert before[cast.entries[0].id].judges == 2 and before[cast.entries[0].id].mean == 50
    await as_user(client, db, first)
    response = await client.submit(conflicts_url(cast), {"team_id": str(cast.teams[0].id)})
    assert response.status_code == 303
    after = {e.submission_id: e for e in (await compute_ranking(db, cast.round.id, "mean")).entries}
    assert after[cast.entries[0].id].judges == 1 and after[cast.entries[0].id].mean == 0
    [entry] = await audit_entries(db, "conflict:declare", cast.teams[0].id)
    assert entry.details["had_score"] is True and entry.details["had_final_score"] is True
    # The review stays, and so does its (reviewed) assignment: only the ranking and the judge lose it.
    assert (
        await db.scalar(
            select(Assignment).where(
                Assignment.user_id == first.id, Assignment.submission_id == cast.entries[0].id
            )
        )
        is not None
    )
    assert "assigned_judge" not in await entry_relations(db, cast, first)


async def test_a_team_of_another_challenge_or_a_bad_reason_is_refused(client, db):
    cast = await make_panel_cast(db)
    elsewhere = await make_challenge(db)
    foreign = await make_team(db, elsewhere, await make_user(db))
    await as_user(client, db, cast.judge)
    assert (await client.submit(conflicts_url(cast), {"team_id": str(foreign.id)})).status_code == 404
    assert (await client.submit(conflicts_url(cast), {"team_id": "not-an-id"})).status_code == 404
    too_long = await client.submit(
        conflicts_url(cast), {"team_id": str(cast.teams[0].id), "reason": "x" * 1001}
    )
    assert too_long.status_code == 422 and "Use at most 1000 characters." in text_of(too_long.text)
    assert await db.scalar(select(Conflict).where(Conflict.user_id == cast.judge.id)) is None


async def test_sharing_an_organization_with_a_member_is_an_automatic_conflict(client, db):
    cast = await make_panel_cast(db, assign=True)
    member = await make_user(db, name="Mia Member")
    cast.teams[1].member_count += 1
    from app.teams.models import TeamMember

    db.add(
        TeamMember(team_id=cast.teams[1].id, user_id=member.id, challenge_id=cast.challenge.id, role="member")
    )
    await make_organization(db, name="CHU Nord", owner=cast.judge, members=(member,))
    assert "assigned_judge" not in await entry_relations(db, cast, cast.judge, 1)
    assert "assigned_judge" in await entry_relations(db, cast, cast.judge, 0)
    await as_user(client, db, cast.judge)
    page = text_of((await client.get(conflicts_url(cast))).text)
    assert "You share the organization CHU Nord with the team member Mia Member." in page
    await as_user(client, db, cast.founder)
    panel = text_of((await client.get(cast.base)).text)
    assert f"{cast.judge.name} shares the organization CHU Nord with the team member Mia Member." in panel


async def test_belonging_to_the_team_s_startup_is_an_automatic_conflict(client, db):
    cast = await make_panel_cast(db, assign=True)
    startup = await make_organization(db, name="Cardio Labs", members=(cast.judges[1],))
    cast.teams[2].organization_id = startup.id
    await db.flush()
    assert "assigned_judge" not in await entry_relations(db, cast, cast.judges[1], 2)
    await as_user(client, db, cast.founder)
    panel = text_of((await client.get(cast.base)).text)
    assert f"{cast.judges[1].name} is a member of the team’s startup, Cardio Labs." in panel
    # And running the assignment never gives that judge that entry.
    response = await client.submit(
        f"{cast.base}/assign", {"policy": "all", "judges_per_entry": "2", "seed": "1"}
    )
    assert response.status_code == 303
    pairs = set(
        (
            await db.execute(
                select(Assignment.user_id, Assignment.submission_id).where(
                    Assignment.round_id == cast.round.id
                )
            )
        ).all()
    )
    assert (cast.judges[1].id, cast.entries[2].id) not in pairs
    assert (cast.judges[0].id, cast.entries[2].id) in pairs


async def test_founders_see_declared_conflicts_and_may_remove_one(client, db):
    cast = await make_panel_cast(db, assign=True)
    conflict = Conflict(
        challenge_id=cast.challenge.id, user_id=cast.judge.id, team_id=cast.teams[0].id, reason="Investor"
    )
    db.add(conflict)
    await db.flush()
    assert "assigned_judge" not in await entry_relations(db, cast, cast.judge)
    await as_user(client, db, cast.founder)
    panel = text_of((await client.get(cast.base)).text)
    assert "Declared Investor" in panel
    response = await client.submit(f"{cast.base}/conflicts/{conflict.id}/remove")
    assert response.status_code == 303
    assert await db.scalar(select(Conflict).where(Conflict.id == conflict.id)) is None
    [entry] = await audit_entries(db, "conflict:remove", cast.teams[0].id)
    assert entry.details["reason"] == "Investor" and entry.actor_id == cast.founder.id
    assert "assigned_judge" in await entry_relations(db, cast, cast.judge)
    # A conflict of another challenge is not found through this round.
    other = await make_panel_cast(db)
    foreign = Conflict(challenge_id=other.challenge.id, user_id=other.judge.id, team_id=other.teams[0].id)
    db.add(foreign)
    await db.flush()
    assert (await client.submit(f"{cast.base}/conflicts/{foreign.id}/remove")).status_code == 404


async def test_conflicts_api_founders_see_all_judges_their_own(client, db):
    cast = await make_panel_cast(db)
    db.add(
        Conflict(
            challenge_id=cast.challenge.id,
            user_id=cast.judges[1].id,
            team_id=cast.teams[1].id,
            reason="Friend",
        )
    )
    await make_organization(db, name="Shared Org", owner=cast.judge, members=(cast.captains[2],))
    url = f"/api/v1/rounds/{cast.round.id}/conflicts"
    await as_user(client, db, cast.judge)
    headers = {"X-CSRF-Token": await client.csrf()}
    declared = await client.post(
        url, json={"team_id": str(cast.teams[0].id), "reason": "Former colleague"}, headers=headers
    )
    assert declared.status_code == 201
    body = declared.json()
    assert (body["kind"], body["reason"], body["team_name"], body["judge_id"]) == (
        "declared",
        "Former colleague",
        cast.teams[0].name,
        str(cast.judge.id),
    )
    mine = (await client.get(url)).json()
    assert {(c["kind"], c["team_id"]) for c in mine} == {
        ("declared", str(cast.teams[0].id)),
        ("member", str(cast.teams[2].id)),
    }
    bad = await client.post(url, json={"team_id": str(cast.teams[1].id), "verdict": "x"}, headers=headers)
    assert bad.status_code == 400
    await as_user(client, db, cast.founder)
    everyone = (await client.get(url)).json()
    assert {(c["judge_id"], c["kind"]) for c in everyone} == {
        (str(cast.judge.id), "declared"),
        (str(cast.judge.id), "member"),
        (str(cast.judges[1].id), "declared"),
    }
    automatic = next(c for c in everyone if c["kind"] == "member")
    assert automatic["reason"].endswith("shares the organization Shared Org with the team member Captain 3.")
    assert automatic["id"] is None
    removed = await client.delete(f"{url}/{body['id']}", headers={"X-CSRF-Token": await client.csrf()})
    assert removed.status_code == 204
