"""Saving drafts: every save a version, answers checked per kind, autosave's status, conflicts never silent."""

from __future__ import annotations

import pytest

from tests.conftest import text_of
from tests.querycount import counting_statements
from tests.teams.submission_support import (
    add_field,
    api,
    as_user,
    form,
    make_cast,
    submission_of,
    versions_of,
)


async def test_every_save_is_a_new_version_numbered_after_the_last(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    first = await client.submit(cast.path + "/save", form(0, pitch="One"))
    assert first.status_code == 303 and first.headers["location"] == cast.path
    await client.submit(cast.path + "/save", form(1, pitch="Two", stage="idea"))
    versions = await versions_of(db, cast.team, cast.round)
    assert [(v.number, v.action, v.answers, v.created_by_id) for v in versions] == [
        (1, "save", {"pitch": "One"}, cast.member.id),
        (2, "save", {"pitch": "Two", "stage": "idea"}, cast.member.id),
    ]
    submission = await submission_of(db, cast.team, cast.round)
    assert (submission.version, submission.status, submission.updated_by_id) == (2, "draft", cast.member.id)
    page = await client.get(cast.path)
    assert "Saved at" in text_of(page.text) and "(version 2)" in text_of(page.text)


async def test_saving_what_is_already_saved_makes_no_version(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await client.submit(cast.path + "/save", form(0, pitch="One"))
    again = await client.htmx("POST", cast.path + "/save", data=form(1, pitch="One"))
    assert again.status_code == 200
    assert "All changes saved (version 1)." in text_of(again.text)
    assert len(await versions_of(db, cast.team, cast.round)) == 1


async def test_autosave_answers_with_the_saved_state_and_the_next_base_version(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.htmx("POST", cast.path + "/save", data=form(0, pitch="Typing"))
    assert response.status_code == 200
    assert '<p id="save-status"' in response.text and "<html" not in response.text
    assert "Saved at" in text_of(response.text) and "(version 1)" in text_of(response.text)
    assert (
        '<input type="hidden" id="base-version" name="base_version" value="1" hx-swap-oob="true">'
        in response.text
    )
    assert '<dd id="submission-version" hx-swap-oob="true">' in response.text
    assert "Version 1, saved on" in text_of(response.text) and "by Milo Member" in text_of(response.text)


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"pitch": "x" * 301}, "pitch", "Use at most 300 characters."),
        ({"summary": "x" * 20_001}, "summary", "Use at most 20000 characters."),
        ({"site": "ftp://example.org"}, "site", "Enter a web address starting with http:// or https://."),
        ({"site": "javascript:alert(1)"}, "site", "Enter a web address starting with http:// or https://."),
        ({"stage": "galaxy"}, "stage", "Choose one of the listed options."),
        ({"tags": ["ai", "space"]}, "tags", "Choose among the listed options."),
    ],
    ids=["short-text", "long-text", "ftp-url", "javascript-url", "single-choice", "multiple-choice"],
)
async def test_answers_are_checked_per_kind_and_the_form_comes_back_with_the_message(
    client, db, answers, field, message
):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.submit(cast.path + "/save", form(0, **answers))
    assert response.status_code == 422
    assert f'id="field-{field}-error" class="field-error">{message}</small>' in response.text
    assert await versions_of(db, cast.team, cast.round) == []
    refused = await api(client, "PUT", cast.api + "/submission", json={"base_version": 0, "answers": answers})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"key": f"answers.{field}", "message": message, "source": "body"}]


async def test_texts_at_their_limits_urls_and_choices_are_accepted(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    answers = {
        "pitch": "x" * 300,
        "summary": "line\r\n" * 3000,
        "site": "https://heart.example/pitch?lang=fr",
        "stage": "prototype",
        "tags": ["data", "ai"],
    }
    response = await api(
        client, "PUT", cast.api + "/submission", json={"base_version": 0, "answers": answers}
    )
    assert response.status_code == 200, response.text
    saved = response.json()["answers"]
    # Newlines as the browser counts them; choices in the founders' order.
    assert saved["summary"] == ("line\n" * 3000).strip()
    assert saved["tags"] == ["ai", "data"]
    assert response.json()["version"] == 1


async def test_required_questions_are_not_required_for_a_draft(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.submit(cast.path + "/save", form(0, summary="Only this"))
    assert response.status_code == 303


async def test_the_api_refuses_answers_to_unknown_retired_and_file_questions(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    answers = {"nope": "x", "old": "again", "deck": "file.pdf"}
    response = await api(
        client, "PUT", cast.api + "/submission", json={"base_version": 0, "answers": answers}
    )
    assert response.status_code == 422
    errors = {error["key"]: error["message"] for error in response.json()["errors"]}
    assert errors == {
        "answers": "These are not questions of this form: nope.",
        "answers.old": "This question was withdrawn by the founders: its answer can no longer change.",
        "answers.deck": "Upload files with the file upload, not as an answer.",
    }


@pytest.mark.parametrize("extra", [{"status": "submitted"}, {"version": 9}, {"team_id": "x"}, {"files": {}}])
async def test_the_api_takes_no_status_version_team_or_files_from_the_body(client, db, extra):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    body = {"base_version": 0, "answers": {"pitch": "Hi"}, **extra}
    response = await api(client, "PUT", cast.api + "/submission", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await submission_of(db, cast.team, cast.round) is None


async def test_a_save_based_on_an_older_version_is_refused_and_says_who_saved(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    await client.submit(cast.path + "/save", form(0, pitch="Captain's"))
    await as_user(client, db, cast.member)
    refused = await client.submit(cast.path + "/save", form(0, pitch="Member's"))
    assert refused.status_code == 409
    text = text_of(refused.text)
    assert "Carla Captain saved version 1 at" in text and "your change was not saved" in text
    assert "Reload the latest version" in text
    # What the member typed is still in the form, to copy.
    assert 'value="Member&#39;s"' in refused.text
    assert [v.answers for v in await versions_of(db, cast.team, cast.round)] == [{"pitch": "Captain's"}]


async def test_autosave_conflict_is_a_409_status_block_offering_to_reload(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    await client.submit(cast.path + "/save", form(0, pitch="Captain's"))
    await as_user(client, db, cast.member)
    refused = await client.htmx("POST", cast.path + "/save", data=form(0, pitch="Member's"))
    assert refused.status_code == 409
    assert 'class="save-status save-conflict"' in refused.text
    assert "Carla Captain saved version 1" in text_of(refused.text)
    assert f'<a href="{cast.path}">Reload the latest version</a>' in refused.text
    assert "hx-swap-oob" not in refused.text  # the form keeps its old base: no silent overwrite next time


async def test_the_api_conflict_tells_the_current_version_and_who_made_it(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    await api(client, "PUT", cast.api + "/submission", json={"base_version": 0, "answers": {"pitch": "A"}})
    await as_user(client, db, cast.member)
    refused = await api(
        client, "PUT", cast.api + "/submission", json={"base_version": 0, "answers": {"pitch": "B"}}
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["current_version"] == 1 and body["updated_by"] == "Carla Captain" and body["updated_at"]
    assert "Carla Captain saved version 1" in body["detail"]


async def test_the_same_answers_racing_from_autosave_and_the_save_button_are_no_conflict(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await client.htmx("POST", cast.path + "/save", data=form(0, pitch="Same"))
    clicked = await client.submit(cast.path + "/save", form(0, pitch="Same"))
    assert clicked.status_code == 303
    assert len(await versions_of(db, cast.team, cast.round)) == 1


async def test_a_page_form_without_its_base_version_is_refused(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    response = await client.submit(cast.path + "/save", {"answer.pitch": "x"})
    assert response.status_code == 400
    assert "Reload the page" in text_of(response.text)


async def test_an_autosave_costs_the_same_statements_for_few_or_many_questions(client, db, connection):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    await client.htmx("POST", cast.path + "/save", data=form(0, pitch="Warm-up"))
    with counting_statements(connection) as few:
        response = await client.htmx("POST", cast.path + "/save", data=form(1, pitch="One"))
        assert "(version 2)" in text_of(response.text)
    for position in range(10, 50):
        await add_field(db, cast.round, f"extra{position}", "short_text", position, label=f"Extra {position}")
    with counting_statements(connection) as many:
        response = await client.htmx("POST", cast.path + "/save", data=form(2, pitch="Two", extra42="More"))
        assert "(version 3)" in text_of(response.text)
    assert len(few) == len(many)
