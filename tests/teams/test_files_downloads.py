"""Downloading a team's files: who gets them (the team and its challenge's founders), who gets a 404 like
for a file that does not exist (everyone else, admins included), and how they are served."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import update

from app.teams.models import StoredFile
from tests.teams.files_support import FileStore, as_user, file_url, make_cast

ROLES = (
    "captain",
    "member",
    "other_team",
    "founder",
    "other_founder",
    "judge",
    "outsider",
    "admin",
    "visitor",
)
ALLOWED = {"captain", "member", "founder"}


@pytest.fixture
async def cast(db):
    return await make_cast(db)


@pytest.fixture
async def files(db, settings):
    store = FileStore(db, settings)
    yield store
    await store.remove_all()


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
@pytest.mark.parametrize("role", ROLES)
async def test_only_the_team_and_the_founders_download_a_team_file(cast, files, client, db, role, api):
    stored = await files.add(cast.team)
    await as_user(client, db, cast.person(role))
    response = await client.get(file_url(stored, api))
    if role in ALLOWED:
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == stored.sha256
    else:
        # Exactly what an unknown id gets: nothing tells that the file exists.
        assert response.status_code == 404
        assert stored.storage_key not in response.text


async def test_a_refusal_and_an_unknown_file_look_the_same(cast, files, client, db):
    stored = await files.add(cast.team)
    await as_user(client, db, cast.outsider)
    refused = await client.get(file_url(stored))
    unknown = await client.get(file_url(uuid.uuid4()))
    assert refused.status_code == unknown.status_code == 404
    assert refused.headers["content-type"] == unknown.headers["content-type"]
    assert len(refused.text) == len(unknown.text)


async def test_a_member_of_another_team_gets_404_for_each_file_of_the_team(cast, files, client, db):
    first = await files.add(cast.team, name="deck.pdf")
    second = await files.add(cast.team, name="budget.csv", data=b"a,b\n1,2\n", content_type="text/csv")
    own = await files.add(cast.other_team, name="ours.pdf")
    await as_user(client, db, cast.other_captain)
    assert (await client.get(file_url(first))).status_code == 404
    assert (await client.get(file_url(second))).status_code == 404
    assert (await client.get(file_url(own))).status_code == 200


async def test_a_malformed_file_id_is_not_found(cast, client, db):
    await as_user(client, db, cast.captain)
    for path in ("/files/not-an-id", "/files/%00", "/api/v1/files/12345"):
        assert (await client.get(path)).status_code == 404, path


async def test_a_file_whose_team_is_gone_is_nobodys(cast, files, client, db):
    stored = await files.add(cast.team)
    await db.execute(update(StoredFile).where(StoredFile.id == stored.id).values(team_id=None))
    for person in (cast.captain, cast.founder, cast.admin):
        await as_user(client, db, person)
        assert (await client.get(file_url(stored))).status_code == 404


async def test_a_file_missing_from_storage_is_a_404_not_a_server_error(cast, files, client, db):
    stored = await files.add(cast.team)
    await files.storage.delete(stored.storage_key)
    await as_user(client, db, cast.captain)
    response = await client.get(file_url(stored))
    assert response.status_code == 404


# --- how a file is served ------------------------------------------------------------------------------


async def test_a_download_is_an_attachment_that_no_browser_runs_or_keeps(cast, files, client, db):
    stored = await files.add(cast.team, name="pitch.pdf")
    await as_user(client, db, cast.member)
    response = await client.get(file_url(stored))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="pitch.pdf"'
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    policies = response.headers.get_list("content-security-policy")
    assert any(policy.startswith("sandbox") for policy in policies)
    assert any("frame-ancestors 'none'" in policy for policy in policies), "the global policy stays as well"
    assert response.headers["cache-control"] == "private, no-store"
    assert int(response.headers["content-length"]) == stored.size == len(response.content)


async def test_a_non_ascii_name_is_offered_exactly_with_a_plain_fallback(cast, files, client, db):
    stored = await files.add(cast.team, name="Présentation été 2026 – équipe.pdf")
    await as_user(client, db, cast.captain)
    response = await client.get(file_url(stored))
    assert response.headers["content-disposition"] == (
        'attachment; filename="Presentation ete 2026 _ equipe.pdf"; '
        "filename*=UTF-8''Pr%C3%A9sentation%20%C3%A9t%C3%A9%202026%20%E2%80%93%20%C3%A9quipe.pdf"
    )


@pytest.mark.parametrize(
    ("stored_name", "header"),
    [
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        ("C:\\Users\\me\\secret.docx", 'attachment; filename="secret.docx"'),
        (
            'evil"\r\nSet-Cookie: x=1.pdf',
            "attachment; filename=\"evil_ Set-Cookie_ x_1.pdf\"; filename*=UTF-8''evil_%20Set-Cookie_%20x%3D1.pdf",
        ),
        ("日本語.pdf", "attachment; filename=\"file.pdf\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"),
        ("\u202egpj.exe", 'attachment; filename="gpj.exe"'),
        (".hidden", 'attachment; filename="hidden"'),
        ("", 'attachment; filename="file"'),
    ],
)
async def test_stored_names_are_made_harmless_in_the_header(cast, files, client, db, stored_name, header):
    stored = await files.add(cast.team, name=stored_name)
    await as_user(client, db, cast.captain)
    response = await client.get(file_url(stored))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == header


async def test_a_malformed_stored_type_is_served_as_bytes(cast, files, client, db):
    await as_user(client, db, cast.captain)
    for content_type in ("text/plain\r\nX-Evil: 1", "not a type", ""):
        stored = await files.add(cast.team, name="notes.txt", content_type=content_type)
        response = await client.get(file_url(stored))
        assert response.headers["content-type"] == "application/octet-stream"
        assert "x-evil" not in response.headers
    stored = await files.add(cast.team, name="notes.txt", content_type="Text/Plain; charset=utf-8")
    assert (await client.get(file_url(stored))).headers["content-type"].startswith("text/plain")


async def test_the_api_route_serves_the_same_bytes_with_the_same_headers(cast, files, client, db):
    stored = await files.add(cast.team, name="deck.pdf")
    await as_user(client, db, cast.founder)
    page, api = await client.get(file_url(stored)), await client.get(file_url(stored, api=True))
    assert page.content == api.content
    for name in ("content-disposition", "content-type", "cache-control", "content-length"):
        assert page.headers[name] == api.headers[name]


async def test_an_api_refusal_is_a_problem_document(cast, files, client, db):
    stored = await files.add(cast.team)
    await as_user(client, db, cast.outsider)
    response = await client.get(file_url(stored, api=True))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_large_file_streams_back_intact(cast, files, client, db):
    data = bytes(range(256)) * 4096 * 3  # 3 MiB, several read chunks
    stored = await files.add(cast.team, name="data.bin", data=data, content_type="application/octet-stream")
    await as_user(client, db, cast.captain)
    response = await client.get(file_url(stored))
    assert response.content == data
