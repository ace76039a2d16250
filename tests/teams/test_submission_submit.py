"""Submitting and withdrawing: required answers, the team's minimum size, statuses, and the receipts."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.notifications.kinds import render
from app.notifications.models import MailMessage, Notification
from app.platform.i18n import in_locale
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


async def ready(client, db, **challenge_fields):
    """The member's team with its deck uploaded (version 1)."""
    cast = await make_cast(db, **challenge_fields)
    await as_user(client, db, cast.member)
    await upload(client, cast.path + "/files/deck", "deck.pdf", PDF)
    return cast


async def test_submitting_saves_the_form_and_marks_it_submitted_in_one_version(client, db, storage_root):
    cast = await ready(client, db)
    response = await client.submit(cast.path + "/submit", form(1, pitch="Hearts", stage="product"))
    assert response.status_code == 303
    submission = await submission_of(db, cast.team, cast.round)
    assert (submission.status, submission.version) == ("submitted", 2)
    assert submission.submitted_at is not None
    last = (await versions_of(db, cast.team, cast.round))[-1]
    assert (last.action, last.answers, last.created_by_id) == (
        "submit",
        {"pitch": "Hearts", "stage": "product"},
        cast.member.id,
    )
    assert "deck" in last.files
    page = text_of((await client.get(cast.path)).text)
    assert "Submitted: version 2. Every member of the team gets a receipt." in page
    assert "Status Submitted" in page and "Submit again" in page and "Withdraw the submission" in page


async def test_submitting_needs_every_required_answer_and_file(client, db, storage_root):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.submit(cast.path + "/submit", form(0, summary="No pitch, no deck"))
    assert response.status_code == 422
    assert (
        'id="field-pitch-error" class="field-error">Answer this question before submitting.' in response.text
    )
    assert "Upload this file before submitting." in text_of(response.text)
    assert await versions_of(db, cast.team, cast.round) == []
    by_api = await api(client, "POST", cast.api + "/submit")
    assert by_api.status_code == 422
    assert {error["key"] for error in by_api.json()["errors"]} == {"answers.pitch", "answers.deck"}


async def test_a_team_below_the_minimum_size_cannot_submit_and_is_told_why(client, db, storage_root):
    cast = await ready(client, db, team_min=3, team_max=5)
    page = text_of((await client.get(cast.path)).text)
    reason = "Your team has 2 members; this challenge requires at least 3."
    assert reason in page
    response = await client.submit(cast.path + "/submit", form(1, pitch="Hearts"))
    assert response.status_code == 409 and reason in text_of(response.text)
    assert (await submission_of(db, cast.team, cast.round)).status == "draft"


async def test_every_member_gets_a_notification_and_an_e_mail_receipt_with_the_checksums(
    client, db, storage_root
):
    cast = await ready(client, db)
    cast.captain.locale = "fr"
    await db.flush()
    await client.submit(cast.path + "/submit", form(1, pitch="Hearts"))
    version = (await versions_of(db, cast.team, cast.round))[-1]
    for person in (cast.captain, cast.member):
        [notice] = list(
            await db.scalars(
                select(Notification).where(
                    Notification.user_id == person.id, Notification.kind == "submission_received"
                )
            )
        )
        assert notice.link == cast.path and notice.params["version"] == 2
        [mail] = list(await db.scalars(select(MailMessage).where(MailMessage.to_address == person.email)))
        assert mail.idempotency_key == f"submission_receipt:{version.id}:{person.id}"
        assert str(version.number) in mail.body_text
        assert "deck.pdf" in mail.body_text
        assert hashlib.sha256(PDF).hexdigest() in mail.body_text
        assert f"http://testserver.local{cast.path}" in mail.body_text
    other = await db.scalar(select(MailMessage).where(MailMessage.to_address == cast.other_member.email))
    assert other is None
    captain_mail = await db.scalar(select(MailMessage).where(MailMessage.to_address == cast.captain.email))
    assert "Votre équipe Beat a soumis Round 1" in captain_mail.body_text
    assert render("submission_received", notice.params).title == "Beat submitted Round 1 of Heart Data"
    with in_locale("fr"):
        assert render("submission_received", notice.params).title == "Beat a soumis Round 1 de Heart Data"


async def test_editing_after_submitting_keeps_it_submitted_with_a_new_version(client, db, storage_root):
    cast = await ready(client, db)
    await client.submit(cast.path + "/submit", form(1, pitch="Hearts"))
    await client.submit(cast.path + "/save", form(2, pitch="Hearts, better"))
    submission = await submission_of(db, cast.team, cast.round)
    assert (submission.status, submission.version) == ("submitted", 3)


async def test_withdrawing_then_editing_makes_a_draft_again(client, db, storage_root):
    cast = await ready(client, db)
    await client.submit(cast.path + "/submit", form(1, pitch="Hearts"))
    withdrawn = await client.submit(cast.path + "/withdraw")
    assert withdrawn.status_code == 303
    submission = await submission_of(db, cast.team, cast.round)
    assert (submission.status, submission.version) == ("withdrawn", 3)
    last = (await versions_of(db, cast.team, cast.round))[-1]
    assert (last.action, last.answers) == ("withdraw", {"pitch": "Hearts"})
    await client.submit(cast.path + "/save", form(3, pitch="Hearts, again"))
    assert (await submission_of(db, cast.team, cast.round)).status == "draft"
    again = await api(client, "POST", cast.api + "/submit", json={"base_version": 4})
    assert again.status_code == 200 and again.json()["status"] == "submitted"


async def test_only_a_submitted_submission_can_be_withdrawn(client, db, storage_root):
    cast = await ready(client, db)
    response = await client.submit(cast.path + "/withdraw")
    assert response.status_code == 409
    assert "Only a submitted submission can be withdrawn." in text_of(response.text)
    by_api = await api(client, "POST", cast.api + "/withdraw")
    assert by_api.status_code == 409


async def test_submitting_from_a_stale_page_with_other_answers_is_a_conflict(client, db, storage_root):
    cast = await ready(client, db)
    await as_user(client, db, cast.captain)
    await client.submit(cast.path + "/save", form(1, pitch="Captain's"))
    await as_user(client, db, cast.member)
    response = await client.submit(cast.path + "/submit", form(1, pitch="Member's"))
    assert response.status_code == 409
    assert "Carla Captain saved version 2" in text_of(response.text)
    assert (await submission_of(db, cast.team, cast.round)).status == "draft"
