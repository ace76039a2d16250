"""Versions: an earlier one can be read, and restoring it brings back exactly its answers and files."""

from __future__ import annotations

import pytest

from app.platform.storage import LocalStorage
from app.teams import uploads
from tests.conftest import text_of
from tests.teams.submission_support import (
    PDF,
    api,
    as_user,
    form,
    make_cast,
    submission_of,
    upload,
    versions_of,
)


@pytest.fixture
def storage_root(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "storage_for", lambda settings: LocalStorage(tmp_path))
    return tmp_path


async def history(client, db):
    """Version 1: answers; 2: a deck; 3: other answers; 4: another deck."""
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await client.submit(
        cast.path + "/save", form(0, pitch="First", tags=["ai", "data"], site="https://one.example")
    )
    await upload(client, cast.path + "/files/deck", "one.pdf", PDF)
    await client.submit(cast.path + "/save", form(2, pitch="Second", stage="idea"))
    await upload(client, cast.path + "/files/deck", "two.pdf", PDF + b"2")
    await client.get(cast.path)  # shows (and so clears) the last flash message
    return cast


async def test_an_earlier_version_shows_its_own_answers_and_files(client, db, storage_root):
    cast = await history(client, db)
    page = await client.get(cast.path + "/versions/2")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Version 2 of Round 1" in text
    assert "Milo Member uploaded a file on" in text
    assert "Pitch First" in text and "Topics ai, data" in text and "one.pdf" in text
    assert "two.pdf" not in text and "Second" not in text
    assert "Restore this version" in text
    latest = text_of((await client.get(cast.path + "/versions/4")).text)
    assert "This is the latest version." in latest and "Restore this version" not in latest


async def test_restoring_brings_back_exactly_the_earlier_answers_and_files(client, db, storage_root):
    cast = await history(client, db)
    before = await versions_of(db, cast.team, cast.round)
    response = await client.submit(cast.path + "/versions/2/restore", {"base_version": "4"})
    assert response.status_code == 303
    versions = await versions_of(db, cast.team, cast.round)
    restored = versions[-1]
    assert (restored.number, restored.action, restored.restored_from) == (5, "restore", 2)
    assert restored.answers == before[1].answers and restored.files == before[1].files
    assert restored.answers != before[3].answers and restored.files != before[3].files
    assert (await submission_of(db, cast.team, cast.round)).version == 5
    page = await client.get(cast.path)
    assert "Version 2 is restored as version 5." in text_of(page.text)
    assert 'value="First"' in page.text and "one.pdf" in page.text
    assert "restored version 2: Pitch, Website, Stage, Topics, Pitch deck" in text_of(page.text)


async def test_restore_through_the_api_and_read_versions(client, db, storage_root):
    cast = await history(client, db)
    listed = await client.get(cast.api + "/versions")
    assert [item["number"] for item in listed.json()["items"]] == [4, 3, 2, 1]
    assert listed.json()["items"][1] | {"created_at": None} == {
        "number": 3,
        "action": "save",
        "restored_from": None,
        "created_at": None,
        "created_by": {"id": str(cast.member.id), "name": "Milo Member"},
        "changed": ["Pitch", "Website", "Stage", "Topics"],
    }
    one = (await client.get(cast.api + "/versions/1")).json()
    restored = await api(client, "POST", cast.api + "/versions/1/restore", json={"base_version": 4})
    assert restored.status_code == 200
    body = restored.json()
    assert body["version"] == 5 and body["answers"] == one["answers"] and body["files"] == {}


async def test_restoring_the_current_version_or_a_missing_one_is_refused(client, db, storage_root):
    cast = await history(client, db)
    current = await client.submit(cast.path + "/versions/4/restore", {"base_version": "4"})
    assert current.status_code == 409
    assert "Version 4 is already the current one." in text_of(current.text)
    missing = await client.submit(cast.path + "/versions/9/restore", {"base_version": "4"})
    assert missing.status_code == 404
    assert (await client.get(cast.path + "/versions/9")).status_code == 404
    assert len(await versions_of(db, cast.team, cast.round)) == 4


async def test_restoring_from_a_stale_page_is_a_conflict(client, db, storage_root):
    cast = await history(client, db)
    stale = await client.submit(cast.path + "/versions/1/restore", {"base_version": "3"})
    assert stale.status_code == 409
    assert "Milo Member saved version 4" in text_of(stale.text)


@pytest.mark.parametrize("number", ["0", "-1", "99999999999999999999"])
async def test_a_version_number_out_of_range_is_simply_not_found(client, db, storage_root, number):
    cast = await history(client, db)
    assert (await client.get(cast.path + f"/versions/{number}")).status_code == 404
    assert (await client.get(cast.api + f"/versions/{number}")).status_code == 404
    restore = await client.submit(cast.path + f"/versions/{number}/restore", {"base_version": "4"})
    assert restore.status_code == 404
