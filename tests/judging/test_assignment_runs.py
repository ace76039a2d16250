"""Running the assignment on a round (inline, small rounds) and adjusting it by hand: only eligible entries and
accepted, current judges; conflicts never assigned; reruns keep what has a review; API alike."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.judging.assignment import assign
from app.judging.models import Assignment, Conflict, Judge, JudgingRound, Review, Screening
from app.teams.models import Submission
from tests.conftest import text_of
from tests.factories import make_user
from tests.judging.panel_support import assigned_pairs, give_review, judge_row, make_panel_cast
from tests.teams.team_support import as_user, audit_entries, fresh


async def run(client, cast, **fields):
    values = {"policy": "k_per_entry", "judges_per_entry": "2", "seed": "7"} | {
        k: str(v) for k, v in fields.items()
    }
    return await client.submit(f"{cast.base}/assign", values)


async def big_cast(db, teams=8, judges=5):
    return await make_panel_cast(db, teams=teams, judges=judges)


async def test_k_per_entry_gives_each_eligible_entry_k_current_judges_only(client, db):
    cast = await big_cast(db)
    # Not assignable: an ineligible entry, a withdrawn one, an unscreened one, an invited (not accepted)
    # judge and a removed judge.
    ineligible, withdrawn, unscreened = cast.entries[5:8]
    (await db.get(Screening, ineligible.id)).decision = "ineligible"
    withdrawn.status = "withdrawn"
    await db.delete(await db.get(Screening, unscreened.id))
    removed = await judge_row(db, cast.round.id, cast.judges[4])
    removed.removed_at = cast.now
    await db.flush()
    await as_user(client, db, cast.founder)
    response = await run(client, cast)
    assert response.status_code == 303 and response.headers["location"].endswith("#assignment")
    pairs = await assigned_pairs(db, cast.round.id)
    eligible = {e.id for e in cast.entries[:5]}
    current = {j.id for j in cast.judges[:4]}
    assert {entry for _judge, entry in pairs} == eligible
    assert {judge for judge, _entry in pairs} <= current
    for entry in eligible:
        assert len([p for p in pairs if p[1] == entry]) == 2
    loads = [len([p for p in pairs if p[0] == judge]) for judge in current]
    assert max(loads) - min(loads) <= 1
    settings = await db.scalar(
        select(JudgingRound)
        .where(JudgingRound.round_id == cast.round.id)
        .execution_options(populate_existing=True)
    )
    assert (settings.policy, settings.judges_per_entry, settings.seed) == ("k_per_entry", 2, 7)
    [entry] = await audit_entries(db, "judging:assign", cast.round.id)
    assert entry.details["added"] == 10 and entry.details["entries"] == 5 and entry.details["seed"] == 7
    page = text_of((await client.get(cast.base)).text)
    assert "Assignment done: 10 assignments for 5 entries." in page
    assert "5 eligible entries · 10 assignments · 0 entries lack judges" in page


async def test_the_round_s_result_is_the_algorithm_s_for_its_seed(client, db):
    cast = await big_cast(db)
    conflict = Conflict(challenge_id=cast.challenge.id, user_id=cast.judges[0].id, team_id=cast.teams[0].id)
    db.add(conflict)
    await db.flush()
    await as_user(client, db, cast.founder)
    entries, judges = [e.id for e in cast.entries], [j.id for j in cast.judges]
    conflicts = {(cast.judges[0].id, cast.entries[0].id)}
    await run(client, cast, seed=3)
    assert await assigned_pairs(db, cast.round.id) == assign(entries, judges, 2, conflicts, seed=3).pairs
    await run(client, cast, seed=4)
    seed_four = assign(entries, judges, 2, conflicts, seed=4).pairs
    assert await assigned_pairs(db, cast.round.id) == seed_four
    assert seed_four != assign(entries, judges, 2, conflicts, seed=3).pairs
    await run(client, cast, seed=4)
    assert await assigned_pairs(db, cast.round.id) == seed_four


async def test_rerun_keeps_reviewed_and_hand_made_assignments_and_their_scores(client, db):
    cast = await big_cast(db)
    await as_user(client, db, cast.founder)
    await run(client, cast, seed=1)
    first = await assigned_pairs(db, cast.round.id)
    reviewed_judge, reviewed_entry = min(first, key=str)
    judge = next(j for j in cast.judges if j.id == reviewed_judge)
    entry = next(e for e in cast.entries if e.id == reviewed_entry)
    review = await give_review(db, cast, judge, entry, [4, 6], final=False)
    by_hand = next((j, e) for j in cast.judges for e in cast.entries if (j.id, e.id) not in first)
    response = await client.submit(
        f"{cast.base}/assignments", {"submission_id": str(by_hand[1].id), "user_id": str(by_hand[0].id)}
    )
    assert response.status_code == 303
    for seed in (2, 3, 4):
        await run(client, cast, seed=seed)
        pairs = await assigned_pairs(db, cast.round.id)
        assert (reviewed_judge, reviewed_entry) in pairs
        assert (by_hand[0].id, by_hand[1].id) in pairs
        assert await fresh(db, Review, review.id) is not None
        # Kept pairs count towards k: every entry still has exactly two judges.
        assert all(len([p for p in pairs if p[1] == e.id]) == 2 for e in cast.entries)
    manual = await db.scalar(
        select(Assignment.manual).where(
            Assignment.user_id == by_hand[0].id, Assignment.submission_id == by_hand[1].id
        )
    )
    assert manual is True


async def test_policy_all_gives_every_judge_every_entry_but_conflicts(client, db):
    cast = await make_panel_cast(db, teams=3, judges=3)
    db.add(Conflict(challenge_id=cast.challenge.id, user_id=cast.judges[2].id, team_id=cast.teams[1].id))
    await db.flush()
    await as_user(client, db, cast.founder)
    await run(client, cast, policy="all")
    expected = {(j.id, e.id) for j in cast.judges for e in cast.entries} - {
        (cast.judges[2].id, cast.entries[1].id)
    }
    assert await assigned_pairs(db, cast.round.id) == expected


async def test_not_enough_judges_is_said_plainly(client, db):
    cast = await make_panel_cast(db, teams=2, judges=2)
    await as_user(client, db, cast.founder)
    await run(client, cast, judges_per_entry=3)
    page = text_of((await client.get(cast.base)).text)
    assert "2 entries could not get enough judges without a conflict of interest." in page
    assert "2 entries lack judges (3 per entry)" in page


async def test_bad_settings_are_named_beside_their_fields(client, db):
    cast = await make_panel_cast(db)
    await as_user(client, db, cast.founder)
    response = await client.htmx(
        "POST", f"{cast.base}/assign", data={"policy": "lottery", "judges_per_entry": "0", "seed": "-1"}
    )
    assert response.status_code == 422
    assert 'id="assignment"' in response.text and "<html" not in response.text
    text = text_of(response.text)
    assert "Choose how judges are assigned." in text
    assert "Enter a whole number of judges from 1 to 50." in text
    assert "Enter a whole number from 0 to 2147483647." in text
    assert await assigned_pairs(db, cast.round.id) == set()


async def test_no_assignment_once_judging_has_closed(client, db):
    cast = await make_panel_cast(db)
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == cast.round.id))
    settings.closes_at = cast.now - dt.timedelta(minutes=1)
    await db.flush()
    await as_user(client, db, cast.founder)
    response = await client.htmx("POST", f"{cast.base}/assign", data={"policy": "all"})
    assert response.status_code == 409
    assert "Judging of this round has closed" in text_of(response.text)


async def test_assignments_page_lists_entries_with_their_judges_and_loads(client, db):
    cast = await make_panel_cast(db, teams=3, judges=2, assign=True)
    await give_review(db, cast, cast.judge, cast.entries[0], [1, 2])
    await as_user(client, db, cast.founder)
    page = await client.get(f"{cast.base}/assignments")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Load per judge" in text and "Judge 1 3 1" in text and "Judge 2 3 0" in text
    assert "scored" in text
    assert all(team.name in text for team in cast.teams)


async def test_by_hand_refuses_conflicts_strangers_and_ineligible_entries_with_the_reason(client, db):
    cast = await make_panel_cast(db, teams=3, judges=2)
    db.add(Conflict(challenge_id=cast.challenge.id, user_id=cast.judge.id, team_id=cast.teams[0].id))
    (await db.get(Screening, cast.entries[2].id)).decision = "ineligible"
    await db.flush()
    await as_user(client, db, cast.founder)
    url = f"{cast.base}/assignments"

    async def add(entry, user):
        return await client.submit(url, {"submission_id": str(entry), "user_id": str(user)})

    cases = [
        (cast.entries[0].id, cast.judge.id, "This judge is in conflict with this entry’s team."),
        (
            cast.entries[1].id,
            cast.invitee.id,
            "Only judges who accepted their seat on this round’s panel can be assigned.",
        ),
        (
            cast.entries[1].id,
            cast.outsider.id,
            "Only judges who accepted their seat on this round’s panel can be assigned.",
        ),
        (cast.entries[2].id, cast.judge.id, "Only eligible entries of this round can be assigned."),
    ]
    for entry, user, message in cases:
        response = await add(entry, user)
        assert response.status_code == 409, message
        assert message in text_of(response.text)
    assert (await add("nope", cast.judge.id)).status_code == 422
    assert await assigned_pairs(db, cast.round.id) == set()
    assert (await add(cast.entries[1].id, cast.judge.id)).status_code == 303
    assert (await add(cast.entries[1].id, cast.judge.id)).status_code == 409
    [entry] = await audit_entries(db, "assignment:add", cast.entries[1].id)
    assert entry.details["judge_id"] == str(cast.judge.id)


async def test_removing_an_assignment_keeps_the_review(client, db):
    cast = await make_panel_cast(db, assign=True)
    review = await give_review(db, cast, cast.judge, cast.entries[0], [3, 3])
    await as_user(client, db, cast.founder)
    response = await client.submit(
        f"{cast.base}/assignments/{cast.entries[0].id}/{cast.judge.id}/remove", {"page": "2"}
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/assignments?page=2")
    assert (cast.judge.id, cast.entries[0].id) not in await assigned_pairs(db, cast.round.id)
    assert await fresh(db, Review, review.id) is not None
    [entry] = await audit_entries(db, "assignment:remove", cast.entries[0].id)
    assert entry.details["had_review"] is True
    again = await client.submit(f"{cast.base}/assignments/{cast.entries[0].id}/{cast.judge.id}/remove")
    assert again.status_code == 404


async def test_assignments_api(client, db):
    cast = await make_panel_cast(db, teams=4, judges=3)
    await as_user(client, db, cast.founder)
    url = f"/api/v1/rounds/{cast.round.id}/assignments"
    headers = {"X-CSRF-Token": await client.csrf()}
    ran = await client.post(
        url, json={"policy": "k_per_entry", "judges_per_entry": 2, "seed": 5}, headers=headers
    )
    assert ran.status_code == 200
    summary = ran.json()["summary"]
    assert (summary["entries"], summary["judges"], summary["assignments"], summary["short"]) == (4, 3, 8, [])
    listing = (await client.get(url)).json()
    assert (listing["policy"], listing["judges_per_entry"], listing["seed"], listing["entries"]) == (
        "k_per_entry",
        2,
        5,
        4,
    )
    assert len(listing["items"]) == 8 and sorted(load["assigned"] for load in listing["loads"]) in (
        [2, 3, 3],
        [3, 3, 2],
    )
    bad = await client.post(url, json={"judges_per_entry": 99}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["key"] == "judges_per_entry"
    unknown = await client.post(url, json={"k": 2}, headers=headers)
    assert unknown.status_code == 400
    item = listing["items"][0]
    single = f"{url}/{item['submission_id']}/{item['user_id']}"
    assert (await client.delete(single, headers=headers)).status_code == 204
    assert (await client.post(single, headers=headers)).status_code == 201
    assert (await client.post(single, headers=headers)).status_code == 409
    stranger = await make_user(db)
    refused = await client.post(f"{url}/{item['submission_id']}/{stranger.id}", headers=headers)
    assert refused.status_code == 409 and "accepted their seat" in refused.json()["detail"]


async def test_judges_api_invites_lists_and_removes(client, db):
    cast = await make_panel_cast(db)
    await as_user(client, db, cast.founder)
    url = f"/api/v1/rounds/{cast.round.id}/judges"
    headers = {"X-CSRF-Token": await client.csrf()}
    invited = await client.post(
        url, json={"emails": ["api-one@example.org", cast.judge.email]}, headers=headers
    )
    assert invited.status_code == 201
    body = invited.json()
    assert [j["email"] for j in body["invited"]] == ["api-one@example.org"]
    assert body["invited"][0]["status"] == "invited" and "token" not in str(body)
    assert body["skipped"] == [{"email": cast.judge.email, "reason": "is already on this panel"}]
    bad = await client.post(url, json={"emails": ["nope"]}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["key"] == "emails"
    listing = (await client.get(url)).json()
    assert {j["status"] for j in listing} == {"invited", "accepted"}
    seat = next(j for j in listing if j["email"] == "api-one@example.org")
    assert (await client.delete(f"{url}/{seat['id']}", headers=headers)).status_code == 204
    assert (await client.delete(f"{url}/{seat['id']}", headers=headers)).status_code == 409
    removed = await db.scalar(
        select(Judge).where(Judge.id == seat["id"]).execution_options(populate_existing=True)
    )
    assert removed.removed_at is not None


async def test_assignment_only_counts_submitted_entries_of_this_round(client, db):
    """An entry of another round of the same team never appears (rounds are separate)."""
    cast = await make_panel_cast(db, teams=2, judges=2)
    cast_two = await make_panel_cast(db, teams=2, judges=2)
    await as_user(client, db, cast.founder)
    await run(client, cast, policy="all")
    entries = set(
        await db.scalars(select(Assignment.submission_id).where(Assignment.round_id == cast.round.id))
    )
    assert entries == {e.id for e in cast.entries}
    assert (
        await db.scalar(
            select(Submission.id).join(Assignment).where(Assignment.round_id == cast_two.round.id)
        )
        is None
    )


async def test_the_matrix_marks_conflicts_and_offers_each_missing_pair(client, db):
    cast = await make_panel_cast(db, teams=3, judges=2)
    db.add(Conflict(challenge_id=cast.challenge.id, user_id=cast.judges[1].id, team_id=cast.teams[2].id))
    db.add(Assignment(submission_id=cast.entries[0].id, user_id=cast.judge.id, round_id=cast.round.id))
    await db.flush()
    await as_user(client, db, cast.founder)
    page = await client.get(f"{cast.base}/assignments")
    assert 'class="assignment-matrix"' in page.text
    team = cast.teams[0].name
    assert f'aria-label="Remove Judge 1 from {team}"' in page.text
    assert f'aria-label="Assign Judge 2 to {team}"' in page.text
    row = page.text.split(f'id="entry-{cast.entries[2].id}"')[1].split("</tr>")[0]
    assert "conflict" in row and "Assign Judge 2" not in row


async def test_assignments_page_queries_do_not_grow_with_the_round(client, db, connection):
    from tests.querycount import counting_statements

    counts = []
    for teams, judges in ((2, 2), (9, 6)):
        cast = await make_panel_cast(db, teams=teams, judges=judges, assign=True)
        db.add(Conflict(challenge_id=cast.challenge.id, user_id=cast.judge.id, team_id=cast.teams[1].id))
        await give_review(db, cast, cast.judge, cast.entries[0], [1, 1])
        await as_user(client, db, cast.founder)
        with counting_statements(connection) as statements:
            page = await client.get(f"{cast.base}/assignments")
        assert page.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_judges_are_told_of_their_new_entries(client, db):
    from app.notifications.models import Notification

    cast = await make_panel_cast(db, teams=4, judges=2)
    await as_user(client, db, cast.founder)
    await run(client, cast, judges_per_entry=1, seed=1)
    notices = list(await db.scalars(select(Notification).where(Notification.kind == "new_assignments")))
    assert {n.user_id for n in notices} == {j.id for j in cast.judges}
    assert sorted(n.params["count"] for n in notices) == [2, 2]
    assert all(n.link == f"/judge/rounds/{cast.round.id}" for n in notices)
    # Running again with the same seed changes nothing, so nobody is told again.
    await run(client, cast, judges_per_entry=1, seed=1)
    assert (
        len(list(await db.scalars(select(Notification).where(Notification.kind == "new_assignments")))) == 2
    )


async def test_the_panel_shows_the_last_job_s_result_until_a_later_run(client, db):
    from app.judging.models import JudgingJob

    cast = await make_panel_cast(db)
    result = {"assignments": 6, "entries": 3, "judges": 2, "added": 6, "removed": 0, "kept": 0, "short": []}
    db.add(
        JudgingJob(
            round_id=cast.round.id,
            kind="assign",
            status="done",
            done=3,
            total=3,
            finished_at=cast.now,
            params={"policy": "all", "k": 3, "seed": 1, "result": result},
        )
    )
    await db.flush()
    await as_user(client, db, cast.founder)
    assert "Assignment finished" in text_of((await client.get(cast.base)).text)
    await run(client, cast, policy="all")
    page = text_of((await client.get(cast.base)).text)
    assert "Assignment finished" not in page and "Assignment done: 6 assignments for 3 entries." in page
