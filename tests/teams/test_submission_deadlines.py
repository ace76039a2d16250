"""Deadlines, decided by the instant a request arrives: one second before is accepted, the deadline itself is
refused, whatever the page showed; an upload that arrived in time may finish streaming shortly after."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from app.platform.storage import LocalStorage
from app.teams import uploads
from app.teams.models import StoredFile
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

SECOND = dt.timedelta(seconds=1)
CLOSED = "The deadline of Round 1 passed on"


@pytest.fixture
def storage_root(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "storage_for", lambda settings: LocalStorage(tmp_path))
    return tmp_path


def files_in(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def ready_cast(client, db):
    """A team whose round closes in an hour (sessions stay valid while the clock moves that far)."""
    cast = await make_cast(db, deadline_in=dt.timedelta(hours=1))
    await as_user(client, db, cast.member)
    return cast


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-SECOND, True), (dt.timedelta(0), False)], ids=["second-before", "at-deadline"]
)
async def test_saving_a_draft(client, db, offset, accepted):
    cast = await ready_cast(client, db)
    with time_machine.travel(cast.round.deadline + offset, tick=False):
        page = await client.submit(cast.path + "/save", form(0, pitch="Last words"))
        autosave = await client.htmx("POST", cast.path + "/save", data=form(1, pitch="Last words, again"))
        put = await api(
            client, "PUT", cast.api + "/submission", json={"base_version": 0, "answers": {"pitch": "x"}}
        )
    if accepted:
        assert page.status_code == 303
        assert autosave.status_code == 200
        assert put.status_code == 409  # based on version 0, saved twice since
        assert len(await versions_of(db, cast.team, cast.round)) == 2
    else:
        assert page.status_code == 403 and CLOSED in text_of(page.text)
        assert (
            autosave.status_code == 403 and CLOSED in text_of(autosave.text) and "save-error" in autosave.text
        )
        assert put.status_code == 403 and CLOSED in put.json()["detail"]
        assert await submission_of(db, cast.team, cast.round) is None


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-SECOND, True), (dt.timedelta(0), False)], ids=["second-before", "at-deadline"]
)
async def test_uploading_a_file(client, db, storage_root, offset, accepted):
    cast = await ready_cast(client, db)
    with time_machine.travel(cast.round.deadline + offset, tick=False):
        response = await upload(client, cast.path + "/files/deck", "deck.pdf", PDF)
    if accepted:
        assert response.status_code == 303
        assert len(files_in(storage_root)) == 1
    else:
        assert response.status_code == 403 and CLOSED in text_of(response.text)
        assert files_in(storage_root) == []


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-SECOND, True), (dt.timedelta(0), False)], ids=["second-before", "at-deadline"]
)
async def test_submitting(client, db, storage_root, offset, accepted):
    cast = await ready_cast(client, db)
    await upload(client, cast.path + "/files/deck", "deck.pdf", PDF)
    with time_machine.travel(cast.round.deadline + offset, tick=False):
        response = await client.submit(cast.path + "/submit", form(1, pitch="Final"))
        by_api = await api(client, "POST", cast.api + "/submit")
    submission = await submission_of(db, cast.team, cast.round)
    if accepted:
        assert response.status_code == 303 and by_api.status_code == 200
        assert submission.status == "submitted"
    else:
        assert response.status_code == 403 and CLOSED in text_of(response.text)
        assert by_api.status_code == 403
        assert submission.status == "draft"


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-SECOND, True), (dt.timedelta(0), False)], ids=["second-before", "at-deadline"]
)
async def test_withdrawing_and_restoring(client, db, storage_root, offset, accepted):
    cast = await ready_cast(client, db)
    await upload(client, cast.path + "/files/deck", "deck.pdf", PDF)
    await client.submit(cast.path + "/submit", form(1, pitch="Final"))
    with time_machine.travel(cast.round.deadline + offset, tick=False):
        restored = await client.submit(cast.path + "/versions/1/restore", {"base_version": "2"})
        withdrawn = await client.submit(cast.path + "/withdraw")
    expected = (303, 303) if accepted else (403, 403)
    assert (restored.status_code, withdrawn.status_code) == expected
    status = (await submission_of(db, cast.team, cast.round)).status
    assert status == ("withdrawn" if accepted else "submitted")


async def test_the_page_of_a_closed_round_says_so_and_a_stale_form_is_still_refused(client, db):
    cast = await ready_cast(client, db)
    page = await client.get(cast.path)
    assert "Save draft" in page.text  # the page was loaded in time...
    with time_machine.travel(cast.round.deadline + dt.timedelta(minutes=1), tick=False):
        late = await client.submit(cast.path + "/save", form(0, pitch="Too late"))
        reloaded = text_of((await client.get(cast.path)).text)
    assert late.status_code == 403  # ...but the save arrives after the deadline
    assert "Closed since" in reloaded and "Save draft" not in reloaded


async def upload_finishing_at(client, cast, finish: dt.datetime, traveller) -> object:
    """An upload that arrives one second before the deadline and whose body ends at `finish`."""
    boundary = "slow-body"

    async def body():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="deck.pdf"\r\n\r\n'
        ).encode() + PDF[:10]
        traveller.move_to(finish)
        yield PDF[10:] + f"\r\n--{boundary}--\r\n".encode()

    return await client.post(
        cast.path + "/files/deck",
        params={"_csrf": await client.csrf()},
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


async def test_an_upload_that_arrived_before_the_deadline_is_accepted_though_it_finishes_after(
    client, db, storage_root
):
    cast = await ready_cast(client, db)
    finish = cast.round.deadline + dt.timedelta(minutes=5)
    with time_machine.travel(cast.round.deadline - SECOND, tick=False) as traveller:
        response = await upload_finishing_at(client, cast, finish, traveller)
    assert response.status_code == 303
    [version] = await versions_of(db, cast.team, cast.round)
    assert version.action == "upload" and version.created_at == finish
    assert len(files_in(storage_root)) == 1


async def test_an_upload_still_streaming_long_after_the_deadline_is_refused_and_removed(
    client, db, storage_root
):
    cast = await ready_cast(client, db)
    finish = cast.round.deadline + uploads.LATE_BODY_GRACE
    with time_machine.travel(cast.round.deadline - SECOND, tick=False) as traveller:
        response = await upload_finishing_at(client, cast, finish, traveller)
    assert response.status_code == 403
    assert "finished too long after it" in text_of(response.text)
    assert files_in(storage_root) == []
    assert await db.scalar(select(StoredFile).where(StoredFile.team_id == cast.team.id)) is None
    assert await versions_of(db, cast.team, cast.round) == []


async def test_nothing_is_saved_before_the_round_opens(client, db):
    cast = await ready_cast(client, db)
    with time_machine.travel(cast.round.opens_at - SECOND, tick=False):
        response = await client.submit(cast.path + "/save", form(0, pitch="Early"))
    assert response.status_code == 403
    assert "Round 1 opens on" in text_of(response.text)
