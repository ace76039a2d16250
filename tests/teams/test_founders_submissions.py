"""The founders' list of submissions per round: every team with its status, version and last change;
filters, order, pages, the CSV export and the API; founders only, at a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.platform.models import AuditEntry
from app.teams import founder_views
from tests.conftest import text_of
from tests.factories import make_organization, make_team, make_user
from tests.teams.files_support import (
    FileStore,
    add_field,
    as_user,
    bulk_teams,
    counted_statements,
    make_cast,
    make_submission,
)


@pytest.fixture
async def cast(db):
    return await make_cast(db)


@pytest.fixture
async def files(db, settings):
    store = FileStore(db, settings)
    yield store
    await store.remove_all()


async def first_round(db, challenge):
    from app.challenges.models import Round

    return await db.scalar(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))


def listing(challenge, round_, query: str = "", api: bool = False) -> str:
    path = f"/challenges/{challenge.slug}/rounds/{round_.id}/submissions{query}"
    return "/api/v1" + path if api else path


def team_names(html: str) -> list[str]:
    return re.findall(r'<tr id="team-[^"]+">\s*<td><a href="/teams/[^"]+">([^<]+)</a>', html)


@pytest.fixture
async def board(cast, db):
    """Four teams in round 1: submitted (2 days ago), draft (today), withdrawn (5 days ago), none."""
    round_ = await first_round(db, cast.challenge)
    now = utcnow()
    startup = await make_organization(db, name="Cardio Start")
    cast.team.organization_id = startup.id
    await make_submission(
        db,
        cast.team,
        round_,
        status="submitted",
        by=cast.member,
        updated_at=now - dt.timedelta(days=2),
        versions=3,
    )
    await make_submission(db, cast.other_team, round_, status="draft", updated_at=now)
    quitter = await make_team(db, cast.challenge, await make_user(db, name="Quentin Quit"), name="Quitters")
    await make_submission(db, quitter, round_, status="withdrawn", updated_at=now - dt.timedelta(days=5))
    await make_team(db, cast.challenge, await make_user(db, name="Sam Slow"), name="Slowpokes")
    return round_


async def test_founders_see_every_team_latest_change_first(cast, board, client, db):
    await as_user(client, db, cast.founder)
    response = await client.get(listing(cast.challenge, board))
    assert response.status_code == 200
    assert team_names(response.text) == ["Rival Team", "Cardio Crew", "Quitters", "Slowpokes"]
    page = text_of(response.text)
    assert "Cardio Crew Cardio Start 2 Submitted 3" in page
    assert "by Marc Member" in page
    assert "Slowpokes 1 Not started —" in page
    assert "All (4)" in page and "Not started (1)" in page and "Draft (1)" in page and "Submitted (1)" in page
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=submitted", ["Cardio Crew"]),
        ("?status=none", ["Slowpokes"]),
        ("?status=withdrawn", ["Quitters"]),
        ("?sort=oldest", ["Quitters", "Cardio Crew", "Rival Team", "Slowpokes"]),
        ("?sort=team", ["Cardio Crew", "Quitters", "Rival Team", "Slowpokes"]),
    ],
)
async def test_the_list_filters_and_orders(cast, board, client, db, query, expected):
    await as_user(client, db, cast.founder)
    assert team_names((await client.get(listing(cast.challenge, board, query))).text) == expected


async def test_changed_since_keeps_the_teams_changed_from_that_day(cast, board, client, db):
    await as_user(client, db, cast.founder)
    since = (utcnow() - dt.timedelta(days=3)).date().isoformat()
    names = team_names((await client.get(listing(cast.challenge, board, f"?since={since}"))).text)
    assert names == ["Rival Team", "Cardio Crew"]


async def test_a_wrong_date_is_shown_beside_the_field(cast, board, client, db):
    await as_user(client, db, cast.founder)
    response = await client.get(listing(cast.challenge, board, "?since=yesterday"))
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in text_of(response.text)
    for query in ("?status=everything", "?sort=random", "?page=0"):
        assert (await client.get(listing(cast.challenge, board, query))).status_code == 400, query


async def test_an_htmx_filter_answers_with_the_list_only(cast, board, client, db):
    await as_user(client, db, cast.founder)
    response = await client.htmx("GET", listing(cast.challenge, board, "?status=draft"))
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="submission_list"')
    assert team_names(response.text) == ["Rival Team"]


async def test_the_list_comes_in_pages_of_fifty(cast, db, client):
    round_ = await first_round(db, cast.challenge)
    await bulk_teams(db, cast.challenge, 60, round_=round_)
    await as_user(client, db, cast.founder)
    first = await client.get(listing(cast.challenge, round_, "?sort=team"))
    second = await client.get(listing(cast.challenge, round_, "?sort=team&page=2"))
    assert len(team_names(first.text)) == 50 and len(team_names(second.text)) == 12
    assert "Page 2 of 2" in text_of(second.text)


@pytest.mark.parametrize(
    "role", ["captain", "member", "other_team", "other_founder", "judge", "outsider", "admin"]
)
async def test_submissions_are_for_the_founders_only(cast, board, client, db, role):
    await as_user(client, db, cast.person(role))
    assert (await client.get(listing(cast.challenge, board))).status_code == 404
    assert (await client.get(listing(cast.challenge, board, ".csv"))).status_code == 404
    assert (await client.get(listing(cast.challenge, board, api=True))).status_code == 404


async def test_a_visitor_is_sent_to_sign_in(cast, board, client, db):
    await as_user(client, db, None)
    response = await client.get(listing(cast.challenge, board))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await client.get(listing(cast.challenge, board, api=True))).status_code == 401


async def test_a_round_of_another_challenge_is_not_found(cast, board, client, db):
    other_round = await first_round(db, cast.other_challenge)
    await as_user(client, db, cast.founder)
    assert (await client.get(listing(cast.challenge, other_round))).status_code == 404
    assert (
        await client.get(f"/challenges/{cast.challenge.slug}/rounds/{uuid.uuid4()}/submissions")
    ).status_code == 404


async def test_the_list_costs_the_same_queries_for_5_and_500_teams(cast, db, client, connection):
    few, many = cast.other_challenge, cast.challenge
    founder_of_few = await make_user(db)
    from app.challenges.models import ChallengeOrganizer

    organization = await make_organization(db, owner=founder_of_few, members=(cast.founder,))
    db.add(ChallengeOrganizer(challenge_id=few.id, organization_id=organization.id))
    few_round, many_round = await first_round(db, few), await first_round(db, many)
    await bulk_teams(db, few, 5, round_=few_round)
    await bulk_teams(db, many, 498, round_=many_round)
    await as_user(client, db, cast.founder)
    await client.get(listing(few, few_round))  # the session is touched once; later requests only read
    shown = {}

    async def get(challenge, round_):
        response = await client.get(listing(challenge, round_))
        assert response.status_code == 200
        shown[challenge.slug] = len(team_names(response.text))

    few_count = await counted_statements(connection, lambda: get(few, few_round))
    many_count = await counted_statements(connection, lambda: get(many, many_round))
    assert shown == {few.slug: 5, many.slug: 50}
    assert few_count == many_count


# --- CSV ---------------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode()), "UTF-8 with a byte-order mark for spreadsheets"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def test_the_export_has_every_team_with_its_current_answers_and_file_names(cast, files, client, db):
    round_ = await first_round(db, cast.challenge)
    await add_field(db, round_, "summary", "Summary", position=1)
    await add_field(db, round_, "deck", "Pitch deck", kind="file", position=2)
    await add_field(db, round_, "tags", "Tags", kind="multiple_choice", position=3)
    deck = await files.add(cast.team, name="Présentation.pdf")
    await make_submission(
        db,
        cast.team,
        round_,
        versions=2,
        by=cast.member,
        answers={"summary": 'Line one, "quoted"\nline two', "tags": ["AI", "Cardio"]},
        files={"deck": str(deck.id)},
    )
    await as_user(client, db, cast.founder)
    response = await client.get(listing(cast.challenge, round_, ".csv"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="{cast.challenge.slug}-round-1-submissions-'
    )
    assert response.headers["cache-control"] == "no-store"
    header, *rows = read_csv(response)
    assert header == [
        "Team",
        "Startup",
        "Members",
        "Status",
        "Version",
        "Submitted at",
        "Last change",
        "Changed by",
        "Summary",
        "Pitch deck",
        "Tags",
    ]
    assert [row[0] for row in rows] == ["Cardio Crew", "Rival Team"]
    cardio = rows[0]
    assert cardio[2:5] == ["2", "submitted", "2"] and cardio[7] == "Marc Member"
    assert cardio[8:] == ['Line one, "quoted"\nline two', "Présentation.pdf", "AI; Cardio"]
    assert rows[1][3:5] == ["none", ""]


async def test_cells_a_spreadsheet_would_run_are_defused(cast, client, db):
    round_ = await first_round(db, cast.challenge)
    await add_field(db, round_, "summary", "Summary")
    evil = await make_team(
        db, cast.challenge, await make_user(db, name="@SUM(A1)"), name='=HYPERLINK("http://x","y")'
    )
    await make_submission(db, evil, round_, answers={"summary": "+33 6 12 34 56 78"})
    await as_user(client, db, cast.founder)
    rows = read_csv(await client.get(listing(cast.challenge, round_, ".csv?sort=team")))
    row = next(row for row in rows if "HYPERLINK" in row[0])
    assert row[0] == '\'=HYPERLINK("http://x","y")'
    assert row[7] == "'@SUM(A1)"
    assert row[8] == "'+33 6 12 34 56 78"


async def test_the_export_follows_the_filters_and_is_audited(cast, board, client, db):
    await as_user(client, db, cast.founder)
    rows = read_csv(await client.get(listing(cast.challenge, board, ".csv?status=draft")))
    assert [row[0] for row in rows[1:]] == ["Rival Team"]
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "submissions:export"))
    assert entry.actor_id == cast.founder.id and entry.object_id == str(board.id)
    assert entry.details == {"challenge": cast.challenge.slug, "filters": "status=draft"}


async def test_the_export_goes_through_every_batch_in_name_order(cast, db, client, monkeypatch):
    round_ = await first_round(db, cast.challenge)
    await bulk_teams(db, cast.challenge, 7, round_=round_, prefix="batch")
    for name in ("Alpha", "BATCH 0003a", "zeta"):
        await make_team(db, cast.challenge, await make_user(db), name=name)
    monkeypatch.setattr(founder_views, "EXPORT_BATCH", 3)
    await as_user(client, db, cast.founder)
    rows = read_csv(await client.get(listing(cast.challenge, round_, ".csv")))
    names = [row[0] for row in rows[1:]]
    assert len(names) == len(set(names)) == 7 + 3 + 2
    assert names == sorted(names, key=str.lower)


# --- API ---------------------------------------------------------------------------------------------


async def test_the_api_lists_the_same_rows_with_counts(cast, board, client, db):
    await as_user(client, db, cast.founder)
    body = (await client.get(listing(cast.challenge, board, "?sort=team", api=True))).json()
    assert body["total"] == 4 and body["pages"] == 1 and body["round_id"] == str(board.id)
    assert body["counts"] == {"none": 1, "draft": 1, "submitted": 1, "withdrawn": 1}
    first = body["items"][0]
    assert first["team"]["name"] == "Cardio Crew" and first["team"]["organization"] == "Cardio Start"
    assert first["status"] == "submitted" and first["version"] == 3 and first["updated_by"] == "Marc Member"
    assert body["items"][-1]["status"] == "none" and body["items"][-1]["submission_id"] is None


async def test_the_api_refuses_a_wrong_date_with_a_problem(cast, board, client, db):
    await as_user(client, db, cast.founder)
    response = await client.get(listing(cast.challenge, board, "?since=31/12/2026", api=True))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {"key": "since", "message": "Enter a date as YYYY-MM-DD.", "source": "query"}
    ]
