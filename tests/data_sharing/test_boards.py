"""Boards: the team's data board member by member, the steward's board scoped to their datasets with a
bounded number of queries (10 vs 1,000 grants), its access log filters and CSV export, the founders' list."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import insert, update

from app.data_sharing.models import AccessLogEntry, AccessRequest, AgreementVersion, Grant, GrantMember
from app.db import utcnow
from app.teams.models import Team
from tests.conftest import text_of
from tests.data_sharing.access_support import make_cast
from tests.factories import make_team, make_user, sign_in
from tests.querycount import counting_statements


async def test_the_team_board_says_member_by_member_who_may_access_and_until_when(client, db, settings):
    cast = await make_cast(db, settings)
    await db.execute(
        update(GrantMember).where(GrantMember.grant_id == cast.grant.id, GrantMember.user_id == cast.captain.id)
        .values(removed_at=utcnow(), removed_reason="Moved on")
    )  # fmt: skip
    await sign_in(client, db, cast.member)
    page = await client.get(f"/teams/{cast.team.id}/data")
    assert page.status_code == 200
    text = text_of(page.text)
    assert cast.dataset.title in text and "Grant: In force" in text
    assert "Max Member Yes Yes Yes, until" in text
    assert "Cleo Captain No Yes No Removed from the grant by a steward." in text
    assert "Olive Unnamed No No No Not named on the grant." in text
    db.add(AgreementVersion(dataset_id=cast.dataset.id, version=2, text="v2"))
    await db.flush()
    text = text_of((await client.get(f"/teams/{cast.team.id}/data")).text)
    assert "Max Member Yes No No Has not accepted the agreement in force." in text


async def test_the_team_board_offers_the_files_to_the_members_who_may_download_them_now(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    page = await client.get(f"/teams/{cast.team.id}/data")
    assert f'action="/data/files/{cast.file.id}/link"' in page.text and "echo.csv" in page.text
    assert f'href="/data-requests/{cast.grant.request_id}"' in page.text
    client.cookies.clear()
    await sign_in(
        client, db, cast.unnamed
    )  # in the team, not named on the grant: no button, the reason instead
    page = await client.get(f"/teams/{cast.team.id}/data")
    assert "/data/files/" not in page.text and "echo.csv" not in page.text
    await db.execute(
        update(Grant).where(Grant.id == cast.grant.id).values(revoked_at=utcnow(), revoke_reason="Misuse")
    )
    client.cookies.clear()
    await sign_in(client, db, cast.member)
    page = await client.get(f"/teams/{cast.team.id}/data")
    assert "/data/files/" not in page.text and "Max Member Yes Yes No The grant was revoked." in text_of(
        page.text
    )


async def test_the_team_board_opens_a_workspace_dataset_to_the_members_who_may_access_it(
    client, db, settings
):
    cast = await make_cast(db, settings, access_mode="workspace")
    for person, offered in ((cast.member, True), (cast.unnamed, False)):
        client.cookies.clear()
        await sign_in(client, db, person)
        page = await client.get(f"/teams/{cast.team.id}/data")
        assert (f'href="/datasets/{cast.dataset.slug}/workspace"' in page.text) is offered
        assert "/data/files/" not in page.text


@pytest.mark.parametrize("who, status", [
    ("captain", 200), ("member", 200), ("unnamed", 200), ("founder", 404), ("steward", 404), ("outsider", 404), ("admin", 404),
])  # fmt: skip
async def test_team_board_permissions(client, db, settings, who, status):
    cast = await make_cast(db, settings)
    await sign_in(client, db, await make_user(db, admin=True) if who == "admin" else getattr(cast, who))
    assert (await client.get(f"/teams/{cast.team.id}/data")).status_code == status


async def _many_grants(db, cast, count: int) -> None:
    """`count` more grants (with their requests) and access log rows on the cast's dataset."""
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(count)]
    await db.execute(insert(AccessRequest), [
        {"id": i, "offering_id": cast.offering.id, "dataset_id": cast.dataset.id, "challenge_id": cast.challenge.id,
         "team_id": cast.team.id} for i in ids
    ])  # fmt: skip
    await db.execute(insert(Grant), [
        {"request_id": i, "team_id": cast.team.id, "dataset_id": cast.dataset.id, "challenge_id": cast.challenge.id,
         "starts_at": now - dt.timedelta(days=1), "expires_at": now + dt.timedelta(days=n % 50 + 1)} for n, i in enumerate(ids)
    ])  # fmt: skip
    await db.execute(insert(AccessLogEntry), [
        {"user_id": cast.member.id, "dataset_id": cast.dataset.id, "file_id": cast.file.id, "team_id": cast.team.id,
         "action": "download", "outcome": "allowed" if n % 2 else "refused", "reason": "" if n % 2 else "expired"}
        for n in range(count)
    ])  # fmt: skip


async def _board_queries(client, db, connection, settings, count: int) -> int:
    cast = await make_cast(db, settings)
    await _many_grants(db, cast, count)
    await sign_in(client, db, cast.steward)
    with counting_statements(connection) as statements:
        response = await client.get("/steward")
    assert response.status_code == 200
    return len(statements)


async def test_the_steward_board_costs_the_same_with_10_and_1000_grants(client, db, connection, settings):
    small = await _board_queries(client, db, connection, settings, 10)
    large = await _board_queries(client, db, connection, settings, 1000)
    assert small == large <= 13


async def test_the_steward_board_pages_its_lists_and_keeps_the_filters(client, db, connection, settings):
    cast = await make_cast(db, settings)
    await _many_grants(db, cast, 60)  # 61 active grants, 60 log entries (30 refused)
    await sign_in(client, db, cast.steward)
    page = (await client.get("/steward")).text
    assert "25 of 61 active" in page and "50 of 60 entries" in page
    assert 'href="/steward?grants=2"' in page and "/steward?log=" in page
    # the third page of grants: the last 11, by expiry; the log's page is kept in its links
    with counting_statements(connection) as statements:
        third = await client.get("/steward", params={"grants": 3, "outcome": "refused"})
    assert third.status_code == 200 and len(statements) <= 13
    text = text_of(third.text)
    assert "11 of 61 active" in text and "30 of 30 entries" in text and "Page 3 of 3" in text
    assert 'href="/steward?outcome=refused&amp;grants=2"' in third.text
    # htmx loads one section alone: the grants' second page, without the log or the filters' lists
    with counting_statements(connection) as statements:
        fragment = await client.get(
            "/steward", params={"grants": 2}, headers={"HX-Request": "true", "HX-Target": "grants"}
        )
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="grants"')
    assert "25 of 61 active" in fragment.text and "Access log" not in fragment.text
    # the log's next page by its cursor, with the filter kept
    first = await client.get(
        "/steward", params={"member": "max"}, headers={"HX-Request": "true", "HX-Target": "access_log"}
    )
    older = re.search(r'href="(/steward\?[^"]*log=[^"]+)"', first.text).group(1).replace("&amp;", "&")
    assert "member=max" in older
    rest = await client.get(older)
    assert (
        "10 of 60 entries" in text_of(rest.text)
        and "Newest entries" in rest.text
        and "Older entries" not in rest.text
    )
    assert (await client.get("/steward", params={"log": "not-a-cursor"})).status_code == 422
    assert (
        await client.get("/steward", params={"grants": "999"})
    ).status_code == 200  # past the end: the last page


async def test_the_steward_board_shows_only_their_datasets_and_filters_the_log(client, db, settings):
    mine = await make_cast(db, settings)
    other = await make_cast(db, settings)
    for cast in (mine, other):
        db.add(
            AccessLogEntry(
                user_id=cast.member.id,
                dataset_id=cast.dataset.id,
                team_id=cast.team.id,
                action="download",
                outcome="allowed",
            )
        )
        db.add(
            AccessLogEntry(
                user_id=cast.unnamed.id,
                dataset_id=cast.dataset.id,
                team_id=cast.team.id,
                action="link",
                outcome="refused",
                reason="not_named",
            )
        )
    await db.flush()
    await sign_in(client, db, mine.steward)
    text = text_of((await client.get("/steward")).text)
    assert mine.dataset.title in text and other.dataset.title not in text
    assert mine.team.name in text and other.team.name not in text
    filtered = await client.get("/steward", params={"outcome": "refused"}, headers={"HX-Request": "true"})
    assert (
        filtered.status_code == 200 and "Olive Unnamed" in filtered.text and "Max Member" not in filtered.text
    )
    assert "Max Member" in (await client.get("/steward", params={"member": "max"})).text
    assert "Olive Unnamed" not in (await client.get("/steward", params={"member": "max"})).text
    tomorrow = (utcnow() + dt.timedelta(days=1)).date().isoformat()
    assert "No access matches." in (await client.get("/steward", params={"since": tomorrow})).text
    assert (await client.get("/steward", params={"since": "yesterday"})).status_code == 422
    assert (await client.get("/steward", params={"outcome": "maybe"})).status_code == 422
    csv = await client.get("/steward/access-log.csv", params={"outcome": "refused"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("at,person,email,dataset")
    assert "Olive Unnamed" in body and "Max Member" not in body and other.dataset.title not in body


async def _two_teams_in_the_log(db, cast) -> None:
    """The cast's team and "Zeta_Lab%" each have an entry in the log of the cast's dataset."""
    other = await make_team(db, cast.challenge, await make_user(db, name="Ivy Other"), name="Zeta_Lab%")
    await db.execute(update(Team).where(Team.id == cast.team.id).values(name="Alpha Lab"))
    for team, person in ((cast.team, cast.member), (other, cast.unnamed)):
        db.add(AccessLogEntry(user_id=person.id, dataset_id=cast.dataset.id, team_id=team.id,
                              action="download", outcome="allowed"))  # fmt: skip
    await db.flush()


async def test_the_steward_finds_a_teams_log_by_a_part_of_its_name(client, db, connection, settings):
    cast = await make_cast(db, settings)
    await _two_teams_in_the_log(db, cast)
    await sign_in(client, db, cast.steward)
    page = await client.get("/steward")
    # a text field, not a list of every team that ever held a grant
    assert '<input id="f-team" name="team_name"' in page.text and '<select id="f-team"' not in page.text
    with counting_statements(connection) as statements:
        alpha = await client.get(
            "/steward",
            params={"team_name": " alpha "},
            headers={"HX-Request": "true", "HX-Target": "access_log"},
        )
    assert "Max Member" in alpha.text and "Olive Unnamed" not in alpha.text
    assert (
        len([sql for sql in statements if "SAVEPOINT" not in sql]) == 2
    )  # the session, the log and its count
    # the wildcards of ILIKE are taken literally
    assert "Olive Unnamed" in (await client.get("/steward", params={"team_name": "a_lab%"})).text
    assert "No access matches." in (await client.get("/steward", params={"team_name": "a%lab"})).text
    # the filter is kept in the export
    csv = (await client.get("/steward/access-log.csv", params={"team_name": "zeta"})).content.decode(
        "utf-8-sig"
    )
    assert "Olive Unnamed" in csv and "Max Member" not in csv


async def test_the_access_log_api_filters_by_team_id_or_name(client, db, settings):
    cast = await make_cast(db, settings)
    await _two_teams_in_the_log(db, cast)
    await sign_in(client, db, cast.steward)
    by_id = (await client.get("/api/v1/access-log", params={"team": str(cast.team.id)})).json()["items"]
    by_name = (await client.get("/api/v1/access-log", params={"team_name": "ZETA"})).json()["items"]
    assert [e["person"] for e in by_id] == ["Max Member"] and [e["team"] for e in by_name] == ["Zeta_Lab%"]
    assert (await client.get("/api/v1/access-log", params={"team": "Alpha"})).status_code == 422


async def test_anyone_signed_in_has_an_empty_steward_board(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.outsider)
    page = await client.get("/steward")
    assert page.status_code == 200 and cast.dataset.title not in page.text
    assert cast.team.name not in (await client.get("/steward/access-log.csv")).text


@pytest.mark.parametrize("who, status", [
    ("founder", 200), ("captain", 404), ("member", 404), ("steward", 404), ("outsider", 404), ("admin", 404),
])  # fmt: skip
async def test_founders_see_which_grants_teams_hold_never_the_data(client, db, settings, who, status):
    cast = await make_cast(db, settings)
    await sign_in(client, db, await make_user(db, admin=True) if who == "admin" else getattr(cast, who))
    page = await client.get(f"/challenges/{cast.challenge.slug}/data/grants")
    assert page.status_code == status
    if status == 200:
        assert cast.team.name in page.text and cast.dataset.title in page.text and "In force" in page.text
        assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code == 403


async def test_visitors_are_sent_to_sign_in_for_boards(client, db, settings):
    cast = await make_cast(db, settings)
    for url in (
        f"/teams/{cast.team.id}/data",
        "/steward",
        "/steward/access-log.csv",
        f"/challenges/{cast.challenge.slug}/data/grants",
    ):
        assert (await client.get(url)).status_code in (303, 401)


async def test_every_log_filter_at_once_keeps_only_the_entries_matching_all(client, db, settings):
    cast = await make_cast(db, settings)
    await _two_teams_in_the_log(db, cast)
    db.add(AccessLogEntry(user_id=cast.member.id, dataset_id=cast.dataset.id, team_id=cast.team.id,
                          action="link", outcome="refused", reason="expired"))  # fmt: skip
    await db.flush()
    await sign_in(client, db, cast.steward)
    today = utcnow().date().isoformat()
    every = {
        "dataset": str(cast.dataset.id),
        "team_name": "alpha",
        "member": "MAX",
        "since": today,
        "until": today,
    }
    refused = text_of((await client.get("/steward", params={**every, "outcome": "refused"})).text)
    assert "1 of 1 entries" in refused and "The grant on this dataset has expired." in refused
    allowed = text_of((await client.get("/steward", params={**every, "outcome": "allowed"})).text)
    assert "1 of 1 entries" in allowed and "has expired" not in allowed
    api = await client.get("/api/v1/access-log", params={**every, "team": str(cast.team.id), "per_page": 1})
    assert [e["outcome"] for e in api.json()["items"]] == ["refused"]
    older = await client.get(
        "/api/v1/access-log", params={**every, "per_page": 1, "cursor": api.json()["next_cursor"]}
    )
    assert [e["outcome"] for e in older.json()["items"]] == ["allowed"] and older.json()[
        "next_cursor"
    ] is None
    tomorrow = (utcnow() + dt.timedelta(days=1)).date().isoformat()
    assert (
        "No access matches."
        in (await client.get("/steward", params={**every, "until": tomorrow, "since": tomorrow})).text
    )
