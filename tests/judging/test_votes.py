"""The public vote: signed-in people who see the challenge vote once per round, while the round is judged, for
a submitted entry of a team that opted into the gallery, never their own; the tally stays with the founders
until the results are out. One vote per person, even when two requests arrive at the same moment."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, update

from app.accounts.sessions import actor_from_user
from app.challenges.models import RoundField
from app.db import utcnow
from app.judging import votes
from app.judging.models import JudgingRound, Screening, Vote
from app.platform.errors import Conflict
from app.teams.models import SubmissionVersion
from tests import scratch
from tests.conftest import make_client, text_of
from tests.factories import make_judged_round, make_user, sign_in
from tests.judging.results_support import as_user, count, judged

# Long enough for the other transaction to reach the primary key and wait on it.
HOLD = 0.3


def url(cast) -> str:
    return f"/challenges/{cast.challenge.slug}/rounds/{cast.round.id}/vote"


def api(cast) -> str:
    return f"/api/v1/rounds/{cast.round.id}/votes"


async def set_up_vote(db, cast, opted=(0, 1, 3), ineligible: int | None = 3) -> None:
    """A public vote on round 1; teams 1, 2 and 4 opted into the gallery, team 4 was screened ineligible."""
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == cast.round.id))
    settings.public_vote = True
    for index in opted:
        cast.teams[index].gallery_opt_in = True
    if ineligible is not None:
        await db.execute(
            update(Screening)
            .where(Screening.submission_id == cast.entries[ineligible].id)
            .values(decision="ineligible", reason="Late")
        )
    db.add(RoundField(round_id=cast.round.id, key="pitch", kind="short_text", position=1, label="Pitch"))
    for index, entry in enumerate(cast.entries):
        await db.execute(
            update(SubmissionVersion)
            .where(SubmissionVersion.submission_id == entry.id)
            .values(answers={"pitch": f"Pitch of team {index + 1}"})
        )
    await db.flush()


@pytest.fixture
async def cast(db):
    cast = await judged(db, rounds=1, teams=4)
    await set_up_vote(db, cast)
    return cast


async def vote(client, cast, entry):
    return await client.submit(url(cast), {"submission_id": str(entry.id)})


async def test_signed_in_people_see_the_opted_in_entries_and_vote_once(client, db, cast):
    await as_user(client, db, cast.outsider)
    page = await client.get(url(cast))
    assert page.status_code == 200
    text = text_of(page.text)
    assert cast.teams[0].name in text and "Pitch Pitch of team 1" in text and cast.teams[1].name in text
    assert cast.teams[2].name not in text  # did not opt in
    assert cast.teams[3].name not in text  # screened ineligible
    assert "Votes so far" not in text  # the tally is the founders' until the results are out
    response = await vote(client, cast, cast.entries[1])
    assert response.status_code == 303
    assert await count(db, Vote, Vote.round_id == cast.round.id, Vote.user_id == cast.outsider.id) == 1
    page = await client.get(url(cast))
    assert (
        f"You voted for {cast.teams[1].name}." in text_of(page.text)
        and 'name="submission_id"' not in page.text
    )
    again = await vote(client, cast, cast.entries[0])
    assert again.status_code == 409
    assert f"You already voted for {cast.teams[1].name} in this vote: a vote cannot be changed." in text_of(
        again.text
    )
    vote_row = await db.scalar(select(Vote).where(Vote.user_id == cast.outsider.id))
    assert vote_row.submission_id == cast.entries[1].id


async def test_nobody_votes_for_their_own_team(client, db, cast):
    await as_user(client, db, cast.members[0])
    page = await client.get(url(cast))
    assert "Your team: you cannot vote for it." in text_of(page.text)
    refused = await vote(client, cast, cast.entries[0])
    assert refused.status_code == 403
    assert "You cannot vote for your own team." in text_of(refused.text)
    assert await count(db, Vote) == 0
    assert (await vote(client, cast, cast.entries[1])).status_code == 303


async def test_only_entries_of_the_vote_can_be_chosen(client, db, cast):
    await as_user(client, db, cast.outsider)
    for entry in (cast.entries[2], cast.entries[3]):
        refused = await vote(client, cast, entry)
        assert refused.status_code == 422
        assert "Choose one of the entries of this vote." in text_of(refused.text)
    assert (await client.submit(url(cast), {"submission_id": "x"})).status_code == 422
    assert await count(db, Vote) == 0


async def test_the_vote_runs_while_the_round_is_judged(client, db, cast):
    await as_user(client, db, cast.outsider)
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == cast.round.id))
    settings.closes_at = cast.now - dt.timedelta(hours=1)
    await db.flush()
    closed = await vote(client, cast, cast.entries[0])
    assert closed.status_code == 409 and "The vote of Round 1 closed on" in text_of(closed.text)
    settings.closes_at = cast.now + dt.timedelta(days=3)
    cast.round.deadline = cast.now + dt.timedelta(hours=2)
    await db.flush()
    early = await vote(client, cast, cast.entries[0])
    assert early.status_code == 409 and "The vote opens when Round 1 closes to submissions" in text_of(
        early.text
    )
    assert await count(db, Vote) == 0


async def test_founders_see_the_tally_at_any_time_everyone_once_results_are_out(client, db, cast):
    for voter, entry in ((cast.outsider, 1), (cast.admin, 1), (cast.captains[2], 0)):
        db.add(Vote(round_id=cast.round.id, user_id=voter.id, submission_id=cast.entries[entry].id))
    await db.flush()
    await as_user(client, db, cast.founder)
    text = text_of((await client.get(url(cast))).text)
    assert f"Votes so far Team Votes {cast.teams[1].name} 2 {cast.teams[0].name} 1" in text
    assert (await client.get(api(cast))).json()["tally"][0]["votes"] == 2
    await as_user(client, db, cast.outsider)
    assert (await client.get(api(cast))).json()["tally"] is None
    cast.challenge.results_published_at = cast.now
    await db.flush()
    assert "Votes so far" in text_of((await client.get(url(cast))).text)
    assert len((await client.get(api(cast))).json()["tally"]) == 2


async def test_a_round_without_a_public_vote_or_an_unseen_challenge_has_no_vote_page(client, db, cast):
    other = await make_judged_round(db)
    await as_user(client, db, cast.outsider)
    assert (
        await client.get(f"/challenges/{other.challenge.slug}/rounds/{other.round.id}/vote")
    ).status_code == 404
    assert (await client.get(f"/api/v1/rounds/{other.round.id}/votes")).status_code == 404
    assert (
        await client.get(f"/challenges/{other.challenge.slug}/rounds/{cast.round.id}/vote")
    ).status_code == 404
    cast.challenge.visibility = "invitation"
    await db.flush()
    assert (await client.get(url(cast))).status_code == 404
    assert (await vote(client, cast, cast.entries[0])).status_code == 404
    assert (
        await client.post(
            api(cast),
            json={"submission_id": str(cast.entries[0].id)},
            headers={"X-CSRF-Token": await client.csrf()},
        )
    ).status_code == 404


async def test_visitors_are_sent_to_sign_in(client, db, cast):
    assert (await client.get(url(cast))).status_code == 303
    assert (await client.get(api(cast))).status_code == 401


async def test_the_challenge_page_links_to_the_vote(client, db, cast):
    await as_user(client, db, None)
    page = await client.get(f"/challenges/{cast.challenge.slug}")
    assert f'href="{url(cast)}"' in page.text


async def test_voting_through_the_api(client, db, cast):
    await as_user(client, db, cast.outsider)
    token = {"X-CSRF-Token": await client.csrf()}
    shown = (await client.get(api(cast))).json()
    assert shown["open"] is True and shown["my_vote"] is None
    done = await client.post(api(cast), json={"submission_id": str(cast.entries[0].id)}, headers=token)
    assert done.status_code == 201
    assert done.json()["my_vote"]["team"] == cast.teams[0].name
    again = await client.post(api(cast), json={"submission_id": str(cast.entries[1].id)}, headers=token)
    assert again.status_code == 409
    assert (
        again.json()["detail"]
        == f"You already voted for {cast.teams[0].name} in this vote: a vote cannot be changed."
    )
    bad = await client.post(api(cast), json={"submission_id": str(cast.entries[2].id)}, headers=token)
    assert bad.status_code == 422 and bad.json()["errors"][0]["key"] == "submission_id"


# --- two votes at the same moment --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "vote_race") as url_:
        yield url_


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database) as sessions:
        yield sessions


async def committed_vote(sessions):
    async with sessions() as session:
        cast = await make_judged_round(session, teams=3)
        await set_up_vote(session, cast, opted=(0, 1, 2), ineligible=None)
        cast.voter = await make_user(session, name="Vera Voter")
        await session.commit()
    return cast


async def test_the_same_person_voting_twice_at_once_leaves_exactly_one_vote(app, sessions, redis):
    cast = await committed_vote(sessions)
    async with scratch.app_on(app, sessions), make_client(app) as first, make_client(app) as second:
        async with sessions() as session:
            await sign_in(first, session, cast.voter)
            await sign_in(second, session, cast.voter)
            await session.commit()
        tokens = {browser: {"X-CSRF-Token": await browser.csrf()} for browser in (first, second)}
        answers = await asyncio.gather(
            *(
                browser.post(api(cast), json={"submission_id": str(entry.id)}, headers=tokens[browser])
                for browser, entry in ((first, cast.entries[0]), (second, cast.entries[1]))
            )
        )
    assert sorted(response.status_code for response in answers) == [201, 409], [r.text for r in answers]
    async with sessions() as session:
        votes_cast = list(await session.scalars(select(Vote).where(Vote.user_id == cast.voter.id)))
    assert len(votes_cast) == 1
    winner = next(response for response in answers if response.status_code == 201).json()
    loser = next(response for response in answers if response.status_code == 409).json()
    assert str(votes_cast[0].submission_id) == winner["my_vote"]["submission_id"]
    assert winner["my_vote"]["team"] in loser["detail"]


async def test_a_vote_waiting_on_another_of_the_same_person_is_refused_once_that_one_commits(sessions):
    """The first vote is inserted but not committed when the second arrives: the second waits on the primary
    key, inserts nothing, and is told which team has the vote."""
    cast = await committed_vote(sessions)
    first_voted = asyncio.Event()

    async def cast_one(entry, hold: bool) -> str:
        async with sessions() as session:
            try:
                await votes.cast_vote(session, actor_from_user(cast.voter), cast.round.id, entry.id, utcnow())
            except Conflict as exc:
                await session.rollback()
                return str(exc.detail)
            if hold:
                first_voted.set()
                await asyncio.sleep(HOLD)
            await session.commit()
            return "voted"

    async def second() -> str:
        await first_voted.wait()
        return await cast_one(cast.entries[1], hold=False)

    outcomes = await asyncio.gather(cast_one(cast.entries[0], hold=True), second())
    assert outcomes == [
        "voted",
        f"You already voted for {cast.teams[0].name} in this vote: a vote cannot be changed.",
    ]
    async with sessions() as session:
        assert [
            v.submission_id for v in await session.scalars(select(Vote).where(Vote.user_id == cast.voter.id))
        ] == [cast.entries[0].id]


@pytest.mark.parametrize("who", ["captain", "outsider", "admin"])
async def test_whoever_sees_the_challenge_sees_the_vote_and_votes_for_another_team(client, db, cast, who):
    person = {"captain": cast.captains[0], "outsider": cast.outsider, "admin": cast.admin}[who]
    await as_user(client, db, person)
    assert (await client.get(url(cast))).status_code == 200
    assert (await client.get(api(cast))).status_code == 200
    assert (await vote(client, cast, cast.entries[1])).status_code == 303
    assert await count(db, Vote, Vote.user_id == person.id) == 1


@pytest.mark.parametrize("who", ["founder", "judge"])
async def test_founders_and_judges_see_the_vote_but_do_not_vote(client, db, cast, who):
    person = cast.founder if who == "founder" else cast.judges[0]
    await as_user(client, db, person)
    page = await client.get(url(cast))
    assert page.status_code == 200
    assert "Organizers and judges of the challenge do not vote" in text_of(page.text)
    refused = await vote(client, cast, cast.entries[1])
    assert refused.status_code == 403
    assert await count(db, Vote, Vote.user_id == person.id) == 0


async def test_the_challenge_page_links_the_vote_and_the_participants_team_in_the_same_statements(
    client, db, cast, connection
):
    from sqlalchemy import event

    challenge_page = f"/challenges/{cast.challenge.slug}"
    team_link = f'href="/teams/{cast.teams[0].id}"'
    shown = {}
    counts = {}
    for name, user in (("member", cast.members[0]), ("outsider", cast.outsider)):
        await as_user(client, db, user)
        await client.get(challenge_page)  # the new session is touched once; later requests only read
        statements: list[str] = []

        def seen(conn, cursor, statement, parameters, context, executemany, statements=statements):
            statements.append(statement)

        event.listen(connection.sync_connection, "before_cursor_execute", seen)
        try:
            page = await client.get(challenge_page)
        finally:
            event.remove(connection.sync_connection, "before_cursor_execute", seen)
        assert page.status_code == 200
        shown[name] = (team_link in page.text, f'href="{url(cast)}"' in page.text)
        # The test's savepoints stand for the request's BEGIN and COMMIT: not statements of the page.
        counts[name] = len([s for s in statements if "SAVEPOINT" not in s])
    assert shown == {"member": (True, True), "outsider": (False, True)}
    # Session, challenge with relations + team link + vote rounds, rounds, organizers, prizes, fields, announcements.
    assert counts["member"] == counts["outsider"] <= 7
