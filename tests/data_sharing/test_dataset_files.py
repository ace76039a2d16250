"""Stewards upload a dataset's files (streamed into storage, checksummed, original name for display), list
them and remove them (soft, audited); nobody else manages them, and no page serves their content."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.data_sharing import dataset_files
from app.data_sharing.models import DatasetFile
from app.platform.storage import LocalStorage
from tests.conftest import text_of
from tests.data_sharing.support import ROLES, as_role, audit_entries, denied, make_cast

CSV = b"id,age,lvef\n" + b"1,63,45\n" * 400


@pytest.fixture
def storage_root(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_files, "storage_for", lambda settings: LocalStorage(tmp_path))
    return tmp_path


@pytest.fixture
async def cast(db):
    return await make_cast(db)


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def upload(client, url, name, content):
    return await client.post(url, params={"_csrf": await client.csrf()}, files={"file": (name, content)})


async def files_of(db, dataset):
    statement = (
        select(DatasetFile).where(DatasetFile.dataset_id == dataset.id).order_by(DatasetFile.created_at)
    )
    return list(await db.scalars(statement.execution_options(populate_existing=True)))


async def test_a_steward_uploads_a_file_streamed_and_checksummed(client, db, cast, storage_root):
    await as_role(client, db, cast, "steward")
    url = f"/datasets/{cast.dataset.slug}/files"
    response = await upload(client, url, "../../cohort 2024.csv", CSV)
    assert response.status_code == 303
    [row] = await files_of(db, cast.dataset)
    assert (row.name, row.content_type, row.size) == ("cohort 2024.csv", "text/csv", len(CSV))
    assert row.sha256 == hashlib.sha256(CSV).hexdigest()
    assert row.uploaded_by_id == cast.steward.id and "cohort" not in row.storage_key
    assert len(stored_files(storage_root)) == 1
    [entry] = await audit_entries(db, "dataset:upload_file", cast.dataset.id)
    assert entry.details["sha256"] == row.sha256
    page = await client.get(url)
    shown = text_of(page.text)
    assert "cohort 2024.csv" in shown and row.sha256 in shown
    assert "never serves their content outside the access rule" in shown
    assert f"/data/files/{row.id}" not in page.text and row.storage_key not in page.text


async def test_an_empty_or_malformed_upload_is_refused_and_leaves_nothing(client, db, cast, storage_root):
    await as_role(client, db, cast, "steward")
    url = f"/datasets/{cast.dataset.slug}/files"
    empty = await upload(client, url, "empty.csv", b"")
    assert empty.status_code == 422 and "The file is empty." in text_of(empty.text)
    plain = await client.post(
        url, params={"_csrf": await client.csrf()}, content=b"x", headers={"content-type": "text/plain"}
    )
    assert plain.status_code == 422 and "Send the file as multipart/form-data." in text_of(plain.text)
    assert stored_files(storage_root) == [] and await files_of(db, cast.dataset) == []


async def test_a_workspace_dataset_holds_no_files(client, db, storage_root):
    cast = await make_cast(db, access_mode="workspace")
    await as_role(client, db, cast, "steward")
    response = await upload(client, f"/datasets/{cast.dataset.slug}/files", "a.csv", CSV)
    assert response.status_code == 409
    assert "external secure workspace" in text_of(response.text)
    assert stored_files(storage_root) == []


async def test_a_steward_removes_a_file_softly(client, db, cast, storage_root):
    await as_role(client, db, cast, "steward")
    url = f"/datasets/{cast.dataset.slug}/files"
    await upload(client, url, "a.csv", CSV)
    [row] = await files_of(db, cast.dataset)
    assert (await client.submit(f"{url}/{row.id}/remove")).status_code == 303
    [row] = await files_of(db, cast.dataset)
    assert row.removed_at is not None
    listing = await client.get(url)
    assert (
        "is removed from the dataset" in text_of(listing.text) and f'id="file-{row.id}"' not in listing.text
    )
    assert len(await audit_entries(db, "dataset:remove_file", cast.dataset.id)) == 1
    assert (await client.submit(f"{url}/{row.id}/remove")).status_code == 404


@pytest.mark.parametrize("role", ROLES)
async def test_only_stewards_manage_files(client, db, cast, storage_root, role):
    db.add(
        DatasetFile(
            dataset_id=cast.dataset.id,
            storage_key="datasets/x",
            name="kept.csv",
            content_type="text/csv",
            size=3,
            sha256="0" * 64,
        )
    )
    await db.flush()
    [row] = await files_of(db, cast.dataset)
    await as_role(client, db, cast, role)
    url = f"/datasets/{cast.dataset.slug}/files"
    attempts = {
        "list": await client.get(url),
        "upload": await upload(client, url, "b.csv", CSV),
        "remove": await client.submit(f"{url}/{row.id}/remove"),
    }
    for name, response in attempts.items():
        if role == "steward":
            assert response.status_code in (200, 303), name
        else:
            assert denied(response.status_code, role), (name, response.status_code)
    if role != "steward":
        [row] = await files_of(db, cast.dataset)
        assert row.removed_at is None and stored_files(storage_root) == []
