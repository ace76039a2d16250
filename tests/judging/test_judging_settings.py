"""A round's judging settings: assignment policy, when judging closes (in the challenge's time zone), the
public vote and the default ranking method; closing judging now (audited); where the round stands, counted
in one query; the API; who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.judging.models import Judge, JudgingRound, Review
from tests.conftest import text_of
from tests.factories import make_user
from tests.judging.setup_support import as_user, audit_entries, headers, make_setup_cast, open_round
from tests.querycount import counting_statements

FORM = {"policy": "all", "judges_per_entry": "3", "seed": "1", "closes_at": "", "ranking_method": "auto"}


@pytest.fixture
async def cast(db):
    return await make_setup_cast(db)


async def settings_of(db, cast) -> JudgingRound:
    statement = select(JudgingRound).where(JudgingRound.round_id == cast.round.id)
    return await db.scalar(statement.execution_options(populate_existing=True))


def local(value: dt.datetime, zone: str = "Europe/Paris") -> str:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


async def test_the_page_shows_where_the_round_stands(cast, client, db):
    db.add(Judge(round_id=cast.round.id, challenge_id=cast.challenge.id, email="pending@example.org"))
    db.add(
        Review(
            submission_id=cast.jr.entries[0].id,
            user_id=cast.judge.id,
            round_id=cast.round.id,
            finalized_at=utcnow(),
        )
    )
    await db.flush()
    await as_user(client, db, cast.founder)
    response = await client.get(cast.page)
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Judging is open until" in page
    assert "Entries submitted 3 To screen: 0 Eligible: 3 Ineligible: 0 Returned for changes: 0" in page
    assert "Judges who accepted 2 Invited in all: 3" in page
    assert "Reviews finalized 1 Out of 6 assignments" in page
    assert "Close judging now" in page


async def test_the_summary_costs_the_same_queries_for_3_or_30_entries(db, client, connection):
    async def statements_for(teams: int) -> tuple[int, int]:
        cast = await make_setup_cast(db, teams=teams, judges=3)
        await as_user(client, db, cast.founder)
        with counting_statements(connection) as page:
            response = await client.get(cast.page)
        assert f"Entries submitted {teams}" in text_of(response.text)
        with counting_statements(connection) as api:
            assert (await client.get(cast.api + "/judging")).json()["summary"]["assignments"] == teams * 3
        return len(page), len(api)

    assert await statements_for(3) == await statements_for(30)


async def test_times_are_shown_and_read_in_the_challenges_time_zone(cast, client, db):
    cast.challenge.timezone = "America/New_York"
    await db.flush()
    settings = await settings_of(db, cast)
    await as_user(client, db, cast.founder)
    page = await client.get(cast.page)
    assert f'value="{local(settings.closes_at, "America/New_York")}"' in page.text
    assert "(America/New_York)" in text_of(page.text)
    later = (utcnow() + dt.timedelta(days=10)).replace(second=0, microsecond=0)
    response = await client.submit(cast.page, {**FORM, "closes_at": local(later, "America/New_York")})
    assert response.status_code == 303
    assert (await settings_of(db, cast)).closes_at == later


async def test_founders_choose_the_policy_the_vote_and_the_method(cast, client, db):
    await as_user(client, db, cast.founder)
    form = {
        **FORM,
        "policy": "k_per_entry",
        "judges_per_entry": "2",
        "seed": "42",
        "public_vote": "1",
        "ranking_method": "median",
        "closes_at": local((await settings_of(db, cast)).closes_at),
    }
    response = await client.submit(cast.page, form)
    assert response.status_code == 303
    settings = await settings_of(db, cast)
    assert (
        settings.policy,
        settings.judges_per_entry,
        settings.seed,
        settings.public_vote,
        settings.ranking_method,
    ) == (
        "k_per_entry",
        2,
        42,
        True,
        "median",
    )
    [entry] = await audit_entries(db, "judging:settings", cast.round.id)
    assert entry.details == {
        "challenge": cast.challenge.slug,
        "policy": "k_per_entry",
        "judges_per_entry": 2,
        "seed": 42,
        "public_vote": True,
        "ranking_method": "median",
    }
    assert "The judging settings were saved." in text_of((await client.get(cast.page)).text)
    # Saving the same values again changes nothing and records nothing.
    await client.submit(cast.page, form)
    assert len(await audit_entries(db, "judging:settings", cast.round.id)) == 1
    # An unticked box turns the vote off.
    await client.submit(cast.page, {key: value for key, value in form.items() if key != "public_vote"})
    assert (await settings_of(db, cast)).public_vote is False


async def test_an_empty_closing_time_falls_back_to_the_challenges_end_of_judging(cast, client, db):
    await as_user(client, db, cast.founder)
    await client.submit(cast.page, FORM)
    settings = await settings_of(db, cast)
    assert settings.closes_at is None
    page = text_of((await client.get(cast.page)).text)
    assert "Leave empty to close with the challenge's end of judging" in page
    body = (await client.get(cast.api + "/judging")).json()
    assert body["closes_at"] is None
    assert dt.datetime.fromisoformat(body["effective_closes_at"]) == cast.challenge.judging_ends_at


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"policy": "lottery"}, "policy", "Choose a value from the list."),
        ({"judges_per_entry": "0"}, "judges_per_entry", "Enter a whole number between 1 and 50."),
        ({"judges_per_entry": "51"}, "judges_per_entry", "Enter a whole number between 1 and 50."),
        ({"seed": "-1"}, "seed", "Enter a whole number between 0 and 2147483647."),
        ({"seed": "lucky"}, "seed", "Enter a whole number between 0 and 2147483647."),
        ({"ranking_method": "vibes"}, "ranking_method", "Choose a value from the list."),
        ({"closes_at": "next week"}, "closes_at", "Enter a date and time such as 2027-01-31 18:00."),
    ],
)
async def test_bad_settings_are_refused_beside_the_field(cast, client, db, changes, field, message):
    await as_user(client, db, cast.founder)
    before = (await settings_of(db, cast)).closes_at
    response = await client.htmx("POST", cast.page, data={**FORM, **changes})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="judging_settings"')
    assert message in text_of(response.text)
    assert f"settings-{field}-error" in response.text
    settings = await settings_of(db, cast)
    assert (settings.policy, settings.closes_at) == ("all", before)


async def test_judging_closes_after_the_deadline_and_not_in_the_past(cast, client, db):
    await as_user(client, db, cast.founder)
    before_deadline = local(cast.round.deadline - dt.timedelta(hours=2))
    response = await client.submit(cast.page, {**FORM, "closes_at": before_deadline})
    assert response.status_code == 422
    assert "Judging starts at the round's deadline" in text_of(response.text)
    past = local(utcnow() - dt.timedelta(hours=2))
    response = await client.submit(cast.page, {**FORM, "closes_at": past})
    assert response.status_code == 422
    assert "Choose a time that is not already past; to close judging now, use the button." in text_of(
        response.text
    )


async def test_closing_judging_now_is_audited_and_happens_once(cast, client, db):
    planned = (await settings_of(db, cast)).closes_at
    await as_user(client, db, cast.founder)
    response = await client.submit(cast.page + "/close")
    assert response.status_code == 303
    settings = await settings_of(db, cast)
    assert utcnow() - dt.timedelta(minutes=1) < settings.closes_at <= utcnow()
    [entry] = await audit_entries(db, "judging:close", cast.round.id)
    assert entry.actor_id == cast.founder.id and entry.details["planned"] == planned.isoformat()
    page = text_of((await client.get(cast.page)).text)
    assert "Judging is closed: scores can no longer change." in page
    assert "Judging closed on" in page and "Close judging now" not in page
    again = await client.submit(cast.page + "/close")
    assert again.status_code == 409
    assert "Judging of this round already closed on" in text_of(again.text)
    # The form shows the closing time to the minute; saving it unchanged is no error.
    form = {**FORM, "closes_at": local(settings.closes_at)}
    assert (await client.submit(cast.page, {**form, "ranking_method": "z"})).status_code == 303
    assert (await settings_of(db, cast)).closes_at == settings.closes_at
    # A later time reopens judging.
    later = local(utcnow() + dt.timedelta(days=2))
    assert (await client.submit(cast.page, {**form, "closes_at": later})).status_code == 303
    assert "Judging is open until" in text_of((await client.get(cast.page)).text)


async def test_judging_cannot_close_before_it_starts(cast, client, db):
    open_round(cast)
    await as_user(client, db, cast.founder)
    page = text_of((await client.get(cast.page)).text)
    assert "Submissions are still open: judging starts at the round's deadline" in page
    assert "Close judging now" not in page
    response = await client.submit(cast.page + "/close")
    assert response.status_code == 409
    assert "Judging of Round 1 has not started" in text_of(response.text)
    assert await audit_entries(db, "judging:close") == []


# --- API ----------------------------------------------------------------------------------------------------


async def test_the_api_reads_and_changes_the_settings(cast, client, db):
    await as_user(client, db, cast.founder)
    h = await headers(client)
    body = (await client.get(cast.api + "/judging")).json()
    assert (body["policy"], body["state"], body["summary"]["submitted"]) == ("all", "open", 3)
    later = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    patched = await client.patch(
        cast.api + "/judging",
        json={"policy": "k_per_entry", "judges_per_entry": 1, "closes_at": later.isoformat()},
        headers=h,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["policy"], patched.json()["judges_per_entry"], patched.json()["seed"]) == (
        "k_per_entry",
        1,
        1,
    )
    assert dt.datetime.fromisoformat(patched.json()["closes_at"]) == later
    refused = await client.patch(cast.api + "/judging", json={"judges_per_entry": 0}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["key"] == "judges_per_entry"
    naive = await client.patch(cast.api + "/judging", json={"closes_at": "2030-01-01T10:00:00"}, headers=h)
    assert naive.status_code == 422
    assert (await client.patch(cast.api + "/judging", json={"round_id": "x"}, headers=h)).status_code == 400
    closed = await client.post(cast.api + "/judging/close", headers=h)
    assert (closed.status_code, closed.json()["state"]) == (200, "closed")
    again = await client.post(cast.api + "/judging/close", headers=h)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")


# --- who may do what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["judge", "team_member", "outsider", "admin"])
async def test_only_founders_manage_judging(cast, client, db, role):
    await as_user(client, db, cast.person(role))
    h = await headers(client)
    assert (await client.get(cast.page)).status_code == 403
    assert (await client.submit(cast.page, {**FORM, "policy": "k_per_entry"})).status_code == 403
    assert (await client.submit(cast.page + "/close")).status_code == 403
    assert (await client.get(cast.api + "/judging")).status_code == 403
    assert (await client.patch(cast.api + "/judging", json={"seed": 9}, headers=h)).status_code == 403
    assert (await client.post(cast.api + "/judging/close", headers=h)).status_code == 403
    settings = await settings_of(db, cast)
    assert (settings.policy, settings.seed) == ("all", 1)
    assert await audit_entries(db, "judging:close") == []


async def test_a_founder_reaches_every_settings_route(cast, client, db):
    await as_user(client, db, cast.founder)
    h = await headers(client)
    assert (await client.get(cast.page)).status_code == 200
    assert (await client.get(cast.api + "/judging")).status_code == 200
    assert (await client.patch(cast.api + "/judging", json={"seed": 9}, headers=h)).status_code == 200
    assert (await client.submit(cast.page, FORM)).status_code == 303
    assert (await client.submit(cast.page + "/close")).status_code == 303
    assert (await client.post(cast.api + "/judging/close", headers=h)).status_code == 409


async def test_visitors_are_sent_to_sign_in_and_strangers_see_nothing(cast, client, db):
    for response in (
        await client.get(cast.page),
        await client.submit(cast.page, FORM),
        await client.submit(cast.page + "/close"),
    ):
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert (await client.get(cast.api + "/judging")).status_code == 401
    cast.challenge.published_at = None
    await db.flush()
    await as_user(client, db, await make_user(db))
    assert (await client.get(cast.page)).status_code == 404
    assert (await client.get(cast.api + "/judging")).status_code == 404


async def test_founders_find_the_judging_pages_from_their_round_pages(cast, client, db):
    await as_user(client, db, cast.founder)
    link = f'href="{cast.page}"'
    for url in (
        f"/challenges/{cast.challenge.slug}/edit",
        f"/challenges/{cast.challenge.slug}/rounds/{cast.round.id}",
        f"/challenges/{cast.challenge.slug}/rounds/{cast.round.id}/submissions",
        f"/challenges/{cast.challenge.slug}",
    ):
        response = await client.get(url)
        assert response.status_code == 200 and link in response.text, url
    for tab in ("", "/rubric", "/screening"):
        page = (await client.get(cast.page + tab)).text
        assert f'href="{cast.page}/rubric"' in page and 'aria-current="page"' in page
