"""The shortlist: founders advance teams from a round's ranking to the next round, with a reason when they
depart from it; teams are told; only advanced teams can submit to the next round (pages and API)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.challenges.models import Round
from app.judging.models import Advancement
from app.teams.models import Submission
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder
from tests.judging.results_support import as_user, audit_entries, count, judged, notifications


def url(cast, round_=None) -> str:
    round_ = round_ or cast.round
    return f"/challenges/{cast.challenge.slug}/rounds/{round_.id}/judging/shortlist"


def api(cast) -> str:
    return f"/api/v1/rounds/{cast.round.id}/shortlist"


async def advanced(db, cast) -> dict:
    rows = await db.scalars(select(Advancement).where(Advancement.round_id == cast.rounds[1].id))
    return {row.team_id: row for row in rows}


def ticked(html: str) -> set[str]:
    return set(re.findall(r'name="team" value="([0-9a-f-]+)" id="[^"]+"\s+checked', html))


@pytest.fixture
async def cast(db):
    return await judged(db)


# --- the page --------------------------------------------------------------------------------------------


async def test_founders_see_the_ranking_and_the_top_n_ticked(client, db, cast):
    await as_user(client, db, cast.founder)
    page = await client.get(url(cast))
    assert page.status_code == 200
    text = text_of(page.text)
    names = [team.name for team in cast.teams]
    assert [text.index(name) for name in names] == sorted(text.index(name) for name in names)
    assert "1 " + names[0] + " 85.0 2" in text and "3 " + names[2] + " 35.0 2" in text
    assert "0 teams take part in Round 2 now." in text
    assert ticked(page.text) == set()
    top = await client.get(url(cast) + "?top=2")
    assert ticked(top.text) == {str(cast.teams[0].id), str(cast.teams[1].id)}
    assert "Tied at the cut" not in text_of(top.text)
    assert page.headers["cache-control"] == "no-store"


async def test_a_tie_at_the_cut_is_flagged(client, db):
    cast = await judged(db, scores=[[(9, 9), (9, 9)], [(6, 6), (6, 6)], [(6, 6), (6, 6)]])
    await as_user(client, db, cast.founder)
    top = await client.get(url(cast) + "?top=2")
    text = text_of(top.text)
    assert "There is a tie at the cut" in text
    tied = re.findall(r'<tr id="team-([0-9a-f-]+)" class="tied">', top.text)
    assert set(tied) == {str(cast.teams[1].id), str(cast.teams[2].id)}
    assert text.count("Tied at the cut") == 2
    assert len(ticked(top.text)) == 2


async def test_advancing_the_top_needs_no_reason_and_tells_the_advanced_teams(client, db, cast):
    await as_user(client, db, cast.founder)
    chosen = [str(cast.teams[0].id), str(cast.teams[1].id)]
    response = await client.submit(url(cast), {"team": chosen, "reason": ""})
    assert response.status_code == 303, response.text
    rows = await advanced(db, cast)
    assert set(rows) == {cast.teams[0].id, cast.teams[1].id}
    assert all(row.decided_by_id == cast.founder.id and row.reason == "" for row in rows.values())
    told = await notifications(db, "team_advanced")
    assert {n.user_id for n in told} == {
        cast.captains[0].id,
        cast.members[0].id,
        cast.captains[1].id,
        cast.members[1].id,
    }
    assert told[0].params["round"] == "Round 2" and told[0].link.endswith(f"/rounds/{cast.rounds[1].id}")
    assert await notifications(db, "team_not_advanced") == []
    [entry] = await audit_entries(db, "shortlist:advance")
    assert entry.actor_id == cast.founder.id and entry.object_id == str(cast.round.id)
    assert entry.details["follows_ranking"] is True and sorted(entry.details["added"]) == sorted(chosen)
    page = await client.get(url(cast))
    assert "2 teams take part in Round 2 now." in text_of(page.text)
    assert ticked(page.text) == set(chosen)


async def test_a_selection_that_is_not_the_top_needs_a_reason_kept_with_each_advancement(client, db, cast):
    await as_user(client, db, cast.founder)
    chosen = [str(cast.teams[0].id), str(cast.teams[2].id)]
    refused = await client.submit(url(cast), {"team": chosen, "reason": "  "})
    assert refused.status_code == 422
    assert "Say why: this selection is not the top of the ranking" in text_of(refused.text)
    assert ticked(refused.text) == set(chosen)
    assert await advanced(db, cast) == {}
    accepted = await client.submit(url(cast), {"team": chosen, "reason": "Team 3 brings a rare skill."})
    assert accepted.status_code == 303
    rows = await advanced(db, cast)
    assert {row.reason for row in rows.values()} == {"Team 3 brings a rare skill."}
    [entry] = await audit_entries(db, "shortlist:advance")
    assert (
        entry.details["follows_ranking"] is False and entry.details["reason"] == "Team 3 brings a rare skill."
    )


async def test_splitting_a_tie_needs_a_reason(client, db):
    cast = await judged(db, scores=[[(9, 9), (9, 9)], [(6, 6), (6, 6)], [(6, 6), (6, 6)]])
    await as_user(client, db, cast.founder)
    refused = await client.submit(url(cast), {"team": [str(cast.teams[0].id), str(cast.teams[1].id)]})
    assert refused.status_code == 422
    both = await client.submit(url(cast), {"team": [str(team.id) for team in cast.teams]})
    assert both.status_code == 303


async def test_advancing_again_replaces_the_set_and_tells_removed_teams(client, db, cast):
    await as_user(client, db, cast.founder)
    await client.submit(url(cast), {"team": [str(cast.teams[0].id), str(cast.teams[1].id)]})
    response = await client.submit(url(cast), {"team": [str(cast.teams[0].id)]})
    assert response.status_code == 303
    assert set(await advanced(db, cast)) == {cast.teams[0].id}
    told = await notifications(db, "team_not_advanced")
    assert {n.user_id for n in told} == {cast.captains[1].id, cast.members[1].id}
    assert [e.details["removed"] for e in await audit_entries(db, "shortlist:advance")] == [
        [],
        [str(cast.teams[1].id)],
    ]


async def test_the_other_teams_are_told_only_when_asked_and_only_once(client, db, cast):
    await as_user(client, db, cast.founder)
    first = [str(cast.teams[0].id)]
    await client.submit(url(cast), {"team": first, "notify_others": "1"})
    told = await notifications(db, "team_not_advanced")
    assert {n.user_id for n in told} == {
        cast.captains[1].id,
        cast.members[1].id,
        cast.captains[2].id,
        cast.members[2].id,
    }
    again = await client.submit(url(cast), {"team": first, "notify_others": "1"})
    assert again.status_code == 303
    assert len(await notifications(db, "team_not_advanced")) == 4
    assert len(await audit_entries(db, "shortlist:advance")) == 1  # nothing changed the second time


async def test_a_team_that_started_the_next_round_stays_advanced(client, db, cast):
    await as_user(client, db, cast.founder)
    await client.submit(url(cast), {"team": [str(cast.teams[0].id), str(cast.teams[1].id)]})
    db.add(Submission(team_id=cast.teams[1].id, round_id=cast.rounds[1].id, version=1))
    await db.flush()
    refused = await client.submit(url(cast), {"team": [str(cast.teams[0].id)]})
    assert refused.status_code == 409
    assert f"{cast.teams[1].name} already started a submission to Round 2, so it stays advanced." in text_of(
        refused.text
    )
    assert set(await advanced(db, cast)) == {cast.teams[0].id, cast.teams[1].id}
    page = await client.get(url(cast))
    assert "Started Round 2" in text_of(page.text)


async def test_the_last_round_has_no_shortlist_but_points_to_the_results(client, db):
    cast = await judged(db, rounds=1)
    await as_user(client, db, cast.founder)
    page = await client.get(url(cast))
    assert page.status_code == 200
    assert "Round 1 is the last round" in text_of(page.text) and 'name="team"' not in page.text
    refused = await client.submit(url(cast), {"team": [str(cast.teams[0].id)]})
    assert refused.status_code == 409
    assert "award the prizes and publish the results instead" in text_of(refused.text)


async def test_nothing_changes_once_the_next_round_is_over(client, db, cast):
    second = cast.rounds[1]
    second.opens_at, second.deadline = cast.now - dt.timedelta(days=3), cast.now - dt.timedelta(hours=1)
    await db.flush()
    await as_user(client, db, cast.founder)
    refused = await client.submit(url(cast), {"team": [str(cast.teams[0].id)]})
    assert refused.status_code == 409
    assert "The deadline of Round 2 has passed" in text_of(refused.text)
    assert await advanced(db, cast) == {}


async def test_only_entries_of_the_ranking_can_be_advanced(client, db, cast):
    await as_user(client, db, cast.founder)
    stranger = await make_challenge(db)
    for value in ("not-an-id", str(stranger.id)):
        refused = await client.submit(url(cast), {"team": [value]})
        assert refused.status_code == 422
        assert "Choose teams among the entries of this round’s ranking." in text_of(refused.text)
    assert await advanced(db, cast) == {}


# --- only advanced teams enter the next round --------------------------------------------------------------


async def open_second_round(db, cast) -> Round:
    second = cast.rounds[1]
    second.opens_at = cast.now - dt.timedelta(hours=1)
    await db.flush()
    return second


async def test_only_advanced_teams_can_submit_to_the_next_round_page_and_api(client, db, cast):
    second = await open_second_round(db, cast)
    await as_user(client, db, cast.founder)
    await client.submit(url(cast), {"team": [str(cast.teams[0].id)]})
    await as_user(client, db, cast.members[0])
    page = await client.get(f"/teams/{cast.teams[0].id}/rounds/{second.id}")
    assert page.status_code == 200
    saved = await client.put(
        f"/api/v1/teams/{cast.teams[0].id}/rounds/{second.id}/submission",
        json={"base_version": 0, "answers": {}},
        headers={"X-CSRF-Token": await client.csrf()},
    )
    assert saved.status_code == 200, saved.text

    refused_team = cast.teams[2]
    await as_user(client, db, cast.members[2])
    base = f"/teams/{refused_team.id}/rounds/{second.id}"
    page = await client.get(base)
    assert page.status_code == 403
    assert "Your team was not advanced to Round 2." in text_of(page.text)
    for response in (
        await client.submit(base + "/save", {"base_version": "0"}),
        await client.submit(base + "/submit", {"base_version": "0"}),
    ):
        assert response.status_code == 403
    token = {"X-CSRF-Token": await client.csrf()}
    api_base = f"/api/v1/teams/{refused_team.id}/rounds/{second.id}"
    for response in (
        await client.get(api_base + "/submission"),
        await client.put(api_base + "/submission", json={"base_version": 0, "answers": {}}, headers=token),
        await client.post(api_base + "/submit", headers=token),
        await client.post(
            api_base + "/files/deck", files={"file": ("a.pdf", b"%PDF-1.7", "application/pdf")}, headers=token
        ),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["detail"] == "Your team was not advanced to Round 2."
    listed = (await client.get(f"/api/v1/teams/{refused_team.id}/submissions")).json()
    assert [item["may_enter"] for item in listed] == [True, False]
    assert await count(db, Submission, Submission.round_id == second.id) == 1


# --- the API --------------------------------------------------------------------------------------------


async def test_the_api_shows_the_shortlist_and_advances(client, db, cast):
    await as_user(client, db, cast.founder)
    shown = await client.get(api(cast))
    assert shown.status_code == 200
    body = shown.json()
    assert body["method"] == "mean" and body["next_round"]["name"] == "Round 2"
    assert [(e["rank"], e["score"], e["advanced"]) for e in body["entries"]] == [
        (1, 85.0, False),
        (2, 65.0, False),
        (3, 35.0, False),
    ]
    token = {"X-CSRF-Token": await client.csrf()}
    refused = await client.post(api(cast), json={"team_ids": [str(cast.teams[2].id)]}, headers=token)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["key"] == "reason"
    done = await client.post(
        api(cast), json={"team_ids": [str(cast.teams[0].id)], "notify_others": True}, headers=token
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["added"] == [str(cast.teams[0].id)] and len(result["told_not_advanced"]) == 2
    assert [e["advanced"] for e in result["shortlist"]["entries"]] == [True, False, False]


# --- permissions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["judge", "captain", "outsider", "admin"])
async def test_only_founders_manage_the_shortlist(client, db, cast, who):
    person = {
        "judge": cast.judges[0],
        "captain": cast.captains[0],
        "outsider": cast.outsider,
        "admin": cast.admin,
    }[who]
    await as_user(client, db, person)
    token = {"X-CSRF-Token": await client.csrf()}
    assert (await client.get(url(cast))).status_code == 403
    assert (await client.submit(url(cast), {"team": [str(cast.teams[0].id)]})).status_code == 403
    assert (await client.get(api(cast))).status_code == 403
    assert (await client.post(api(cast), json={"team_ids": []}, headers=token)).status_code == 403
    assert await advanced(db, cast) == {}


async def test_the_shortlist_of_an_unseen_challenge_or_under_another_slug_is_not_found(client, db, cast):
    cast.challenge.visibility = "invitation"
    await db.flush()
    await as_user(client, db, cast.outsider)
    assert (await client.get(url(cast))).status_code == 404
    assert (await client.get(api(cast))).status_code == 404
    other = await make_challenge(db)
    await make_founder(db, other)
    await as_user(client, db, cast.founder)
    assert (
        await client.get(f"/challenges/{other.slug}/rounds/{cast.round.id}/judging/shortlist")
    ).status_code == 404


async def test_visitors_are_sent_to_sign_in(client, db, cast):
    assert (await client.get(url(cast))).status_code == 303
    assert (await client.get(api(cast))).status_code == 401
