"""The directory of organizations: for signed-in people, searchable, filterable, paginated, no N+1."""

from __future__ import annotations

import contextlib
import re
import uuid

from sqlalchemy import event

from tests.conftest import text_of
from tests.factories import make_organization, make_user, sign_in


@contextlib.contextmanager
def counting_statements(connection):
    """Every SQL statement sent on the test's connection (the app's sessions share it)."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", before_cursor_execute)


def names_in(html: str) -> list[str]:
    return re.findall(r'<a href="/organizations/[^"/]+">([^<]+)</a>', html)


async def test_visitors_are_sent_to_sign_in(client):
    response = await client.get("/organizations?q=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/organizations%3Fq%3Dx"


async def test_search_by_name_and_filter_by_kind(client, db):
    tag = uuid.uuid4().hex[:6]
    await make_organization(db, name=f"Cardio {tag} Hospital", kind="hospital")
    await make_organization(db, name=f"Cardio {tag} Startup", kind="startup", verified=True)
    await make_organization(db, name=f"Neuro {tag} Lab", kind="academic_lab")
    await sign_in(client, db, await make_user(db))
    assert names_in((await client.get(f"/organizations?q=cardio+{tag}")).text) == [
        f"Cardio {tag} Hospital",
        f"Cardio {tag} Startup",
    ]
    assert names_in((await client.get(f"/organizations?q={tag}&kind=startup")).text) == [
        f"Cardio {tag} Startup"
    ]
    page = text_of((await client.get(f"/organizations?q={tag}&kind=startup")).text)
    assert "Verified" in page


async def test_search_treats_wildcards_literally(client, db):
    tag = uuid.uuid4().hex[:6]
    await make_organization(db, name=f"{tag} 100% Santé")
    await make_organization(db, name=f"{tag} 1000 Santé")
    await sign_in(client, db, await make_user(db))
    assert names_in((await client.get(f"/organizations?q={tag}+100%25")).text) == [f"{tag} 100% Santé"]


async def test_pages_of_twenty(client, db):
    tag = uuid.uuid4().hex[:6]
    for number in range(25):
        await make_organization(db, name=f"{tag} Org {number:02d}")
    await sign_in(client, db, await make_user(db))
    first = await client.get(f"/organizations?q={tag}")
    assert len(names_in(first.text)) == 20
    assert "Page 1 of 2" in text_of(first.text)
    assert f'href="/organizations?q={tag}&amp;page=2"' in first.text
    second = await client.get(f"/organizations?q={tag}&page=2")
    assert names_in(second.text) == [f"{tag} Org {number:02d}" for number in range(20, 25)]


async def test_bad_parameters_are_a_client_error(client, db):
    await sign_in(client, db, await make_user(db))
    assert (await client.get("/organizations?page=0")).status_code == 400
    assert (await client.get("/organizations?page=abc")).status_code == 400
    assert (await client.get("/organizations?kind=castle")).status_code == 400


async def test_htmx_search_renders_only_the_results(client, db):
    tag = uuid.uuid4().hex[:6]
    await make_organization(db, name=f"{tag} Alpha")
    await sign_in(client, db, await make_user(db))
    response = await client.htmx("GET", f"/organizations?q={tag}")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="directory_results"')
    assert "<html" not in response.text
    assert names_in(response.text) == [f"{tag} Alpha"]


async def test_members_see_their_role_in_the_directory(client, db):
    tag = uuid.uuid4().hex[:6]
    person = await make_user(db)
    await make_organization(db, name=f"{tag} Mine", owner=person)
    await make_organization(db, name=f"{tag} Theirs")
    await sign_in(client, db, person)
    rows = re.findall(r"<tr>(.*?)</tr>", (await client.get(f"/organizations?q={tag}")).text, re.S)
    mine = next(row for row in rows if "Mine" in row)
    theirs = next(row for row in rows if "Theirs" in row)
    assert "Owner" in text_of(mine) and "Owner" not in text_of(theirs)


async def test_directory_costs_the_same_queries_for_3_and_30_organizations(client, db, connection):
    owner = await make_user(db)
    members = [await make_user(db) for _ in range(3)]

    async def add(count: int) -> None:
        for _ in range(count):
            await make_organization(db, owner=owner, members=tuple(members), verified=True)

    await sign_in(client, db, owner)
    await add(3)
    with counting_statements(connection) as few:
        assert (await client.get("/organizations")).status_code == 200
    await add(27)
    with counting_statements(connection) as many:
        response = await client.get("/organizations")
    assert response.status_code == 200
    assert len(names_in(response.text)) == 20
    assert len(many) == len(few), many
