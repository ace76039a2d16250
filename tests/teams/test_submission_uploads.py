"""Uploads: streamed with the size limit enforced while reading, type checked by name and content,
checksummed, stored under a generated key with a harmless display name, and nothing left after a refusal."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.platform.storage import LocalStorage
from app.teams import uploads
from app.teams.models import StoredFile
from tests.conftest import text_of
from tests.teams.submission_support import (
    PDF,
    PNG,
    api,
    as_user,
    count_files,
    form,
    make_cast,
    upload,
    versions_of,
)

MB = 1024 * 1024


@pytest.fixture
def storage_root(tmp_path, monkeypatch):
    """Uploads of this test go to a folder of its own, so that what is left behind can be listed."""
    monkeypatch.setattr(uploads, "storage_for", lambda settings: LocalStorage(tmp_path))
    return tmp_path


def files_in(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def test_an_uploaded_pdf_is_stored_checksummed_and_attached_as_a_new_version(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await client.submit(cast.path + "/save", form(0, pitch="Hearts"))
    response = await upload(client, cast.path + "/files/deck", "deck.pdf", PDF)
    assert response.status_code == 303
    stored = await db.scalar(select(StoredFile).where(StoredFile.team_id == cast.team.id))
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (stored.size, stored.content_type, stored.original_name) == (
        len(PDF),
        "application/pdf",
        "deck.pdf",
    )
    assert stored.uploaded_by_id == cast.member.id
    assert stored.storage_key.startswith("submissions/") and "deck" not in stored.storage_key
    assert (storage_root / stored.storage_key).read_bytes() == PDF
    versions = await versions_of(db, cast.team, cast.round)
    assert [(v.number, v.action) for v in versions] == [(1, "save"), (2, "upload")]
    assert versions[-1].answers == {"pitch": "Hearts"} and versions[-1].files == {"deck": str(stored.id)}
    page = text_of((await client.get(cast.path)).text)
    assert f"deck.pdf ({len(PDF)} bytes) SHA-256: {stored.sha256}" in page


async def test_a_path_traversal_name_is_only_a_harmless_display_name(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await upload(client, cast.path + "/files/deck", "../../etc/passwd.pdf", PDF)
    assert response.status_code == 303
    stored = await db.scalar(select(StoredFile).where(StoredFile.team_id == cast.team.id))
    assert stored.original_name == "passwd.pdf"
    assert files_in(storage_root) == [stored.storage_key]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\deck.pdf", "deck.pdf"),
        ("deck\x00\n\r.pdf", "deck .pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("..", "file"),
        ("", "file"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_display_names_lose_folders_control_characters_and_excess_length(raw, shown):
    assert uploads.display_name(raw) == shown


async def test_a_pdf_that_is_really_a_png_is_refused_and_leaves_nothing(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    before = await count_files(db)
    response = await upload(client, cast.path + "/files/deck", "deck.pdf", PNG)
    assert response.status_code == 415
    assert "The file’s content is not a PDF file, whatever its name says." in text_of(response.text)
    assert files_in(storage_root) == []
    assert await count_files(db) == before
    assert await versions_of(db, cast.team, cast.round) == []


async def test_a_name_of_a_type_the_question_does_not_accept_is_refused_before_storing(
    client, db, storage_root
):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await upload(client, cast.path + "/files/deck", "deck.png", PNG)
    assert response.status_code == 415
    assert "This question accepts these types of file: PDF." in text_of(response.text)
    assert files_in(storage_root) == []


async def test_an_empty_file_is_refused(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await upload(client, cast.path + "/files/deck", "deck.pdf", b"")
    assert response.status_code == 422
    assert "The file is empty." in text_of(response.text)
    assert files_in(storage_root) == []


async def test_an_upload_over_the_limit_is_refused_without_reading_it_all(client, db, storage_root):
    """A body that would be 200 MB, for a question limited to 1 MB: the server stops reading near the limit."""
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    before = await count_files(db)
    sent = 0
    boundary = "limit-test-boundary"

    async def body():
        nonlocal sent
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        ).encode()
        sent += len(head)
        yield head
        for _ in range(200 * 16):
            chunk = b"x" * (64 * 1024)
            sent += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        cast.path + "/files/deck",
        params={"_csrf": await client.csrf()},
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "The file is larger than the 1 MB this question accepts." in text_of(response.text)
    assert sent < 1 * MB + uploads.ENVELOPE_BYTES + 2 * 64 * 1024
    assert files_in(storage_root) == []
    assert await count_files(db) == before


async def test_an_announced_length_over_the_limit_is_refused_before_reading_anything(
    client, db, storage_root
):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    sent = 0

    async def body():
        nonlocal sent
        for _ in range(200 * 16):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)

    response = await client.post(
        cast.path + "/files/deck",
        params={"_csrf": await client.csrf()},
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": str(200 * MB)},
    )
    assert response.status_code == 413
    assert sent <= 64 * 1024
    assert files_in(storage_root) == []


async def test_a_truncated_upload_is_refused_and_removed(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="deck.pdf"\r\n\r\n' + PDF
    response = await client.post(
        cast.path + "/files/deck",
        params={"_csrf": await client.csrf()},
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert "The upload was incomplete or malformed." in text_of(response.text)
    assert files_in(storage_root) == []


async def test_an_upload_that_is_not_multipart_is_refused(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.post(
        cast.path + "/files/deck",
        params={"_csrf": await client.csrf()},
        content=PDF,
        headers={"content-type": "application/pdf"},
    )
    assert response.status_code == 422
    assert "Send the file as multipart/form-data." in text_of(response.text)


async def test_an_upload_without_the_csrf_token_is_refused_and_stores_nothing(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.post(cast.path + "/files/deck", files={"file": ("deck.pdf", PDF)})
    assert response.status_code == 403
    assert files_in(storage_root) == []


@pytest.mark.parametrize("key", ["nope", "pitch", "old"])
async def test_only_a_current_file_question_takes_a_file(client, db, storage_root, key):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await upload(client, cast.path + f"/files/{key}", "deck.pdf", PDF)
    assert response.status_code == 404
    assert files_in(storage_root) == []


async def test_htmx_uploads_swap_the_question_with_its_file_or_its_refusal(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    refused = await upload(client, cast.path + "/files/deck", "deck.pdf", PNG, htmx=True)
    assert refused.status_code == 415
    assert refused.text.lstrip().startswith('<div class="submission-field submission-file" id="file-deck">')
    assert (
        'id="upload-input-deck-error" class="field-error" role="alert">The file’s content is not a PDF file'
        in refused.text
    )
    accepted = await upload(client, cast.path + "/files/deck", "deck.pdf", PDF, htmx=True)
    assert accepted.status_code == 200
    assert ">deck.pdf</a>" in accepted.text
    assert 'name="base_version" value="1" hx-swap-oob="true"' in accepted.text
    assert 'id="save-status"' in accepted.text and "(version 1)" in text_of(accepted.text)


async def test_a_new_file_replaces_the_question_s_file_and_the_old_one_stays_in_its_version(
    client, db, storage_root
):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await upload(client, cast.path + "/files/deck", "first.pdf", PDF)
    await upload(client, cast.path + "/files/deck", "second.pdf", PDF + b"more")
    first, second = await versions_of(db, cast.team, cast.round)
    assert first.files["deck"] != second.files["deck"]
    assert len(files_in(storage_root)) == 2


async def test_the_api_uploads_and_answers_with_the_submission(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await api(client, "POST", cast.api + "/files/deck", files={"file": ("deck.pdf", PDF)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1
    deck = body["files"]["deck"]
    assert (deck["name"], deck["sha256"], deck["size"]) == (
        "deck.pdf",
        hashlib.sha256(PDF).hexdigest(),
        len(PDF),
    )
    assert deck["url"] == f"/files/{deck['id']}"
    refused = await api(client, "POST", cast.api + "/files/deck", files={"file": ("deck.pdf", PNG)})
    assert refused.status_code == 415
    assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("extension", "content", "matches"),
    [
        ("pdf", PDF, True),
        ("png", PNG, True),
        ("jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        ("docx", b"PK\x03\x04\x14\x00", True),
        ("zip", PDF, False),
        ("odt", b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.text", True),
        ("odt", b"PK\x03\x04" + b"\x00" * 40, False),
        ("mp4", b"\x00\x00\x00\x18ftypmp42", True),
        ("csv", "name;ville\nAda;Lyon\n".encode("latin-1"), True),
        ("txt", PNG, False),
    ],
)
def test_content_is_recognized_by_its_first_bytes(extension, content, matches):
    assert uploads.content_matches(extension, content) is matches


async def test_an_htmx_upload_to_an_unknown_question_answers_in_the_save_status(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await upload(client, cast.path + "/files/nope", "deck.pdf", PDF, htmx=True)
    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#save-status"
    assert 'class="save-status save-error"' in response.text
    assert "This page does not exist, or you are not allowed to see it." in text_of(response.text)


async def test_an_autosave_from_someone_no_longer_in_the_team_is_refused_in_the_status(client, db):
    from sqlalchemy import delete

    from app.teams.models import TeamMember

    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await db.execute(delete(TeamMember).where(TeamMember.user_id == cast.member.id))
    response = await client.htmx("POST", cast.path + "/save", data=form(0, pitch="Still here?"))
    assert response.status_code == 404
    assert "This page does not exist, or you are not allowed to see it." in text_of(response.text)
    assert "<html" not in response.text
