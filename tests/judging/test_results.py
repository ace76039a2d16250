"""Prizes and results: founders award prizes and publish once judging is over; the public sees the winners
(and the final ranking when the challenge shows it), never a judge's name or comment; teams are told."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.challenges.models import Prize
from app.judging.models import JudgingRound, PrizeAward, Vote
from app.teams.models import TeamMember
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization
from tests.judging.results_support import (
    as_user,
    audit_entries,
    close_judging,
    count,
    give_score,
    judged,
    notifications,
)
from tests.querycount import counting_statements


def manage(cast) -> str:
    return f"/challenges/{cast.challenge.slug}/results/manage"


def public(cast) -> str:
    return f"/challenges/{cast.challenge.slug}/results"


def api(cast) -> str:
    return f"/api/v1/challenges/{cast.challenge.slug}/results"


async def add_prizes(db, cast, *titles: str) -> list[Prize]:
    prizes = [
        Prize(challenge_id=cast.challenge.id, position=index, title=title, reward=f"{(index + 1) * 1000} €")
        for index, title in enumerate(titles)
    ]
    db.add_all(prizes)
    await db.flush()
    cast.prizes = prizes
    return prizes


@pytest.fixture
async def cast(db):
    cast = await judged(db, rounds=1)
    await add_prizes(db, cast, "Grand prize", "Jury’s favourite")
    startup = await make_organization(db, name="Cardio Start")
    cast.teams[0].organization_id = startup.id
    await db.flush()
    return cast


async def award(db, cast, prize, team) -> None:
    db.add(PrizeAward(prize_id=prize.id, team_id=team.id, awarded_by_id=cast.founder.id))
    await db.flush()


async def publish(db, cast, visibility: str = "winners") -> None:
    cast.challenge.results_published_at = cast.now - dt.timedelta(minutes=5)
    cast.challenge.results_visibility = visibility
    await db.flush()


# --- awarding prizes ------------------------------------------------------------------------------------


async def test_founders_award_a_prize_to_one_or_more_teams_and_take_it_back(client, db, cast):
    await as_user(client, db, cast.founder)
    grand = cast.prizes[0]
    for team in cast.teams[:2]:
        response = await client.submit(
            manage(cast) + "/awards", {"prize": str(grand.id), "team": str(team.id)}
        )
        assert response.status_code == 303
    again = await client.submit(
        manage(cast) + "/awards", {"prize": str(grand.id), "team": str(cast.teams[0].id)}
    )
    assert again.status_code == 303
    assert await count(db, PrizeAward, PrizeAward.prize_id == grand.id) == 2
    page = await client.get(manage(cast))
    text = text_of(page.text)
    assert f"Grand prize — 1000 € {cast.teams[0].name} · Cardio Start" in text
    assert f"{cast.teams[2].name} (rank 3)" in text  # the choice of teams shows the final ranks
    # ... and no longer offers the prize to the teams that have it.
    select_html = page.text.split(f'id="award-{grand.id}"', 1)[1].split("</select>", 1)[0]
    assert str(cast.teams[2].id) in select_html
    assert str(cast.teams[0].id) not in select_html and str(cast.teams[1].id) not in select_html
    removed = await client.submit(
        manage(cast) + "/awards/remove", {"prize": str(grand.id), "team": str(cast.teams[1].id)}
    )
    assert removed.status_code == 303
    assert await count(db, PrizeAward, PrizeAward.prize_id == grand.id) == 1
    assert [e.details["team"] for e in await audit_entries(db, "results:award")] == [
        str(t.id) for t in cast.teams[:2]
    ]
    assert [e.details["team"] for e in await audit_entries(db, "results:award_removed")] == [
        str(cast.teams[1].id)
    ]


async def test_a_prize_or_team_of_another_challenge_is_refused(client, db, cast):
    other = await judged(db, rounds=1, teams=1)
    [foreign_prize] = await add_prizes(db, other, "Elsewhere")
    await as_user(client, db, cast.founder)
    for data in (
        {"prize": str(foreign_prize.id), "team": str(cast.teams[0].id)},
        {"prize": str(cast.prizes[0].id), "team": str(other.teams[0].id)},
        {"prize": "nope", "team": str(cast.teams[0].id)},
        {"prize": str(cast.prizes[0].id)},
    ):
        refused = await client.submit(manage(cast) + "/awards", data)
        assert refused.status_code == 422, data
        assert "Choose a" in text_of(refused.text)
    assert await count(db, PrizeAward) == 0


async def test_founders_choose_what_the_public_sees(client, db, cast):
    await as_user(client, db, cast.founder)
    response = await client.submit(manage(cast) + "/visibility", {"visibility": "ranking"})
    assert response.status_code == 303
    await db.refresh(cast.challenge)
    assert cast.challenge.results_visibility == "ranking"
    refused = await client.submit(manage(cast) + "/visibility", {"visibility": "everything"})
    assert refused.status_code == 422
    [entry] = await audit_entries(db, "results:visibility")
    assert entry.details == {"challenge": cast.challenge.slug, "from": "winners", "to": "ranking"}
    preview = text_of((await client.get(manage(cast))).text)
    assert "Final ranking: Round 1" in preview and "85.0" in preview


# --- publishing -----------------------------------------------------------------------------------------


async def test_publishing_is_refused_while_the_last_round_is_being_judged(client, db, cast):
    await as_user(client, db, cast.founder)
    page = await client.get(manage(cast))
    assert "Judging of Round 1 is open until" in text_of(page.text)
    refused = await client.submit(manage(cast) + "/publish")
    assert refused.status_code == 409
    assert "publish the results once it has closed" in text_of(refused.text)
    assert cast.challenge.results_published_at is None
    assert await audit_entries(db, "results:publish") == []


async def test_publishing_tells_every_team_member_once_and_is_idempotent(client, db, cast):
    await close_judging(db, cast)
    await award(db, cast, cast.prizes[0], cast.teams[0])
    await as_user(client, db, cast.founder)
    response = await client.submit(manage(cast) + "/publish")
    assert response.status_code == 303 and response.headers["location"] == public(cast)
    await db.refresh(cast.challenge)
    assert cast.challenge.results_published_at is not None
    members = set(
        await db.scalars(select(TeamMember.user_id).where(TeamMember.challenge_id == cast.challenge.id))
    )
    told = await notifications(db, "results_published")
    assert {n.user_id for n in told} == members and len(told) == len(members) == 6
    assert told[0].link.endswith("/feedback")
    [entry] = await audit_entries(db, "results:publish")
    assert entry.details["awards"] == 1 and entry.details["notified"] == 6
    first = cast.challenge.results_published_at
    again = await client.submit(manage(cast) + "/publish")
    assert again.status_code == 303
    await db.refresh(cast.challenge)
    assert cast.challenge.results_published_at == first
    assert len(await notifications(db, "results_published")) == 6
    assert len(await audit_entries(db, "results:publish")) == 1
    late = await client.submit(
        manage(cast) + "/awards", {"prize": str(cast.prizes[1].id), "team": str(cast.teams[1].id)}
    )
    assert late.status_code == 409
    assert "prizes can no longer change" in text_of(late.text)


# --- the public page ------------------------------------------------------------------------------------


async def test_the_results_are_not_found_before_publication(client, db, cast):
    for person in (None, cast.captains[0], cast.founder):
        await as_user(client, db, person)
        assert (await client.get(public(cast))).status_code == 404
        assert (await client.get(api(cast))).status_code == 404


async def test_visitors_see_the_winners_only_by_default(client, db, cast):
    await award(db, cast, cast.prizes[0], cast.teams[0])
    await give_score(
        db, cast, cast.entries[0], cast.founder, [1, 1], comments=["Secret remark"], overall="Hidden"
    )
    await publish(db, cast)
    await as_user(client, db, None)
    page = await client.get(public(cast))
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"Grand prize — 1000 € {cast.teams[0].name} · Cardio Start" in text
    assert "Jury’s favourite — 2000 € Not awarded." in text
    assert "Final ranking" not in text and cast.teams[2].name not in text
    for judge in cast.judges:
        assert judge.name not in text
    assert "Secret remark" not in text and "Hidden" not in text
    assert f'href="/challenges/{cast.challenge.slug}/gallery"' in page.text
    challenge_page = await client.get(f"/challenges/{cast.challenge.slug}")
    assert f'href="{public(cast)}"' in challenge_page.text


async def test_with_the_ranking_shown_the_public_sees_ranks_teams_and_rounded_scores(client, db, cast):
    await publish(db, cast, visibility="ranking")
    await as_user(client, db, cast.outsider)
    text = text_of((await client.get(public(cast))).text)
    assert f"1 {cast.teams[0].name} 85.0 2 {cast.teams[1].name} 65.0 3 {cast.teams[2].name} 35.0" in text
    for judge in cast.judges:
        assert judge.name not in text
    body = (await client.get(api(cast))).json()
    assert body["visibility"] == "ranking" and body["ranking_method"] == "mean"
    assert [(row["rank"], row["score"]) for row in body["ranking"]] == [(1, 85.0), (2, 65.0), (3, 35.0)]
    assert "judge" not in str(body).lower()


async def test_the_peoples_choice_is_shown_apart(client, db, cast):
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == cast.round.id))
    settings.public_vote = True
    for voter in (cast.outsider, cast.admin, cast.captains[2]):
        db.add(Vote(round_id=cast.round.id, user_id=voter.id, submission_id=cast.entries[1].id))
    db.add(Vote(round_id=cast.round.id, user_id=cast.captains[1].id, submission_id=cast.entries[0].id))
    await publish(db, cast)
    text = text_of((await client.get(public(cast))).text)
    assert (
        f"People’s choice Chosen by a public vote, apart from the jury’s decisions. Round 1 — {cast.teams[1].name} (3 votes out of 4)"
        in text
    )
    body = (await client.get(api(cast))).json()
    assert body["peoples_choice"][0]["winners"][0]["team"] == cast.teams[1].name


async def test_an_invitation_only_challenge_keeps_its_results_to_those_who_see_it(client, db, cast):
    cast.challenge.visibility = "invitation"
    await publish(db, cast)
    for person in (None, cast.outsider):
        await as_user(client, db, person)
        assert (await client.get(public(cast))).status_code == 404
        assert (await client.get(api(cast))).status_code == 404
    await as_user(client, db, cast.founder)
    assert (await client.get(public(cast))).status_code == 200


async def scored_cast(db, teams: int):
    scores = [[(9 - i % 9, 8 - i % 8), (7, i % 10)] for i in range(teams)]
    cast = await judged(db, rounds=1, teams=teams, scores=scores)
    prizes = await add_prizes(db, cast, "Grand prize", "Second prize", "Third prize")
    for prize, team in zip(prizes, cast.teams, strict=False):
        await award(db, cast, prize, team)
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == cast.round.id))
    settings.public_vote = True
    for index, entry in enumerate(cast.entries):
        db.add(Vote(round_id=cast.round.id, user_id=cast.captains[index - 1].id, submission_id=entry.id))
    await publish(db, cast, visibility="ranking")
    return cast


async def test_the_results_page_costs_the_same_queries_for_3_or_30_teams(client, db, connection):
    counts = []
    for teams in (3, 30):
        cast = await scored_cast(db, teams)
        await as_user(client, db, cast.outsider)
        with counting_statements(connection) as statements:
            page = await client.get(public(cast))
        assert page.status_code == 200
        assert cast.teams[-1].name in text_of(page.text)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- permissions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["judge", "captain", "outsider", "admin"])
async def test_only_founders_award_and_publish(client, db, cast, who):
    await close_judging(db, cast)
    person = {
        "judge": cast.judges[0],
        "captain": cast.captains[0],
        "outsider": cast.outsider,
        "admin": cast.admin,
    }[who]
    await as_user(client, db, person)
    assert (await client.get(manage(cast))).status_code == 403
    for path, data in (
        ("/awards", {"prize": str(cast.prizes[0].id), "team": str(cast.teams[0].id)}),
        ("/awards/remove", {"prize": str(cast.prizes[0].id), "team": str(cast.teams[0].id)}),
        ("/visibility", {"visibility": "ranking"}),
        ("/publish", {}),
    ):
        assert (await client.submit(manage(cast) + path, data)).status_code == 403, path
    refused = await client.post(api(cast), headers={"X-CSRF-Token": await client.csrf()})
    assert refused.status_code == 403
    await db.refresh(cast.challenge)
    assert cast.challenge.results_published_at is None and await count(db, PrizeAward) == 0


async def test_founders_publish_through_the_api(client, db, cast):
    await as_user(client, db, cast.founder)
    token = {"X-CSRF-Token": await client.csrf()}
    refused = await client.post(api(cast), headers=token)
    assert refused.status_code == 409
    assert "Judging of Round 1 is open until" in refused.json()["detail"]
    await close_judging(db, cast)
    done = await client.post(api(cast), headers=token)
    assert done.status_code == 200
    assert done.json()["published_now"] is True and done.json()["results"]["published_at"]
    assert (await client.post(api(cast), headers=token)).json()["published_now"] is False


async def test_results_of_an_unknown_challenge_are_not_found(client, db, cast):
    await as_user(client, db, cast.founder)
    assert (await client.get("/challenges/nothing-here/results/manage")).status_code == 404
    draft = await make_challenge(db, published=False)
    await as_user(client, db, cast.outsider)
    assert (await client.get(f"/challenges/{draft.slug}/results/manage")).status_code == 404
    assert (await client.get(f"/challenges/{draft.slug}/results")).status_code == 404


@pytest.mark.parametrize("who", ["visitor", "founder", "judge", "captain", "outsider", "admin"])
async def test_published_results_are_for_whoever_sees_the_challenge(client, db, cast, who):
    await award(db, cast, cast.prizes[0], cast.teams[0])
    await publish(db, cast)
    person = {
        "visitor": None,
        "founder": cast.founder,
        "judge": cast.judges[0],
        "captain": cast.captains[0],
        "outsider": cast.outsider,
        "admin": cast.admin,
    }[who]
    await as_user(client, db, person)
    page = await client.get(public(cast))
    assert page.status_code == 200 and cast.teams[0].name in text_of(page.text)
    assert (await client.get(api(cast))).json()["prizes"][0]["winners"][0]["team"] == cast.teams[0].name
