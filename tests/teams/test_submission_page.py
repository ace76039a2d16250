"""The submission page: the round's form in order with the latest answers, status, version, history and deadline."""

from __future__ import annotations

import re

from sqlalchemy import event

from app.teams.models import Submission, SubmissionVersion
from tests.conftest import text_of
from tests.factories import make_challenge, make_team, make_user
from tests.teams.submission_support import as_user, form, make_cast


async def test_a_member_sees_the_questions_in_order_with_a_save_draft_form(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    page = await client.get(cast.path)
    assert page.status_code == 200
    text = text_of(page.text)
    positions = [
        text.index(label) for label in ("Pitch", "Summary", "Website", "Stage", "Topics", "Pitch deck")
    ]
    assert positions == sorted(positions)
    assert "Old question" not in text  # retired and never answered
    assert "Status Draft" in text and "Nothing saved yet" in text
    assert re.search(r"Closes on .*: 13 days 23 hours left\.", text)
    assert 'hx-trigger="input changed delay:1s, change delay:1s"' in page.text
    assert 'name="base_version" value="0"' in page.text
    assert "<script>" not in page.text and "hx-on" not in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_the_page_shows_the_latest_answers_and_who_changed_what_and_when(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    await client.submit(cast.path + "/save", form(0, pitch="Hearts", tags=["ai", "data"]))
    await as_user(client, db, cast.member)
    await client.submit(
        cast.path + "/save", form(1, pitch="Hearts", summary="We listen.", tags=["ai", "data"])
    )
    page = await client.get(cast.path)
    assert 'value="Hearts"' in page.text and ">We listen.</textarea>" in page.text
    assert re.search(r'value="data"\s+checked', page.text)
    rows = re.findall(r'<tr id="version-(\d+)">(.*?)</tr>', page.text, re.DOTALL)
    assert [number for number, _row in rows] == ["2", "1"]
    assert "saved the draft: Summary Milo Member" in text_of(rows[0][1])
    assert "saved the draft: Pitch, Topics Carla Captain" in text_of(rows[1][1])
    assert "Version 2, saved on" in text_of(page.text) and "by Milo Member" in text_of(page.text)


async def test_a_retired_question_that_was_answered_stays_readable_but_not_editable(client, db):
    cast = await make_cast(db)
    submission = Submission(team_id=cast.team.id, round_id=cast.round.id, version=1)
    db.add(submission)
    await db.flush()
    db.add(
        SubmissionVersion(
            submission_id=submission.id, number=1, answers={"old": "From before"}, action="save"
        )
    )
    await db.flush()
    await as_user(client, db, cast.member)
    page = await client.get(cast.path)
    text = text_of(page.text)
    assert "Old question (question withdrawn: kept as it was) From before" in text
    assert 'name="answer.old"' not in page.text
    # Saving the other answers keeps it as it was.
    await client.submit(cast.path + "/save", form(1, pitch="New"))
    api = await client.get(cast.api + "/submission")
    assert api.json()["answers"] == {"old": "From before", "pitch": "New"}


async def test_founders_read_the_submission_without_a_form(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.captain)
    await client.submit(cast.path + "/save", form(0, pitch="Hearts"))
    await as_user(client, db, cast.founder)
    page = await client.get(cast.path)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Pitch Hearts" in text
    assert "only the team’s members change it" in text
    assert 'id="submission-form"' not in page.text and "Save draft" not in text


async def test_a_later_round_is_refused_until_the_team_is_advanced(client, db):
    cast = await make_cast(db)
    await as_user(client, db, cast.member)
    page = await client.get(f"/teams/{cast.team.id}/rounds/{cast.second_round.id}")
    assert page.status_code == 403
    assert "Your team was not advanced to Round 2." in text_of(page.text)
    saved = await client.submit(
        f"/teams/{cast.team.id}/rounds/{cast.second_round.id}/save", form(0, pitch="x")
    )
    assert saved.status_code == 403


async def test_a_round_of_another_challenge_is_not_found(client, db):
    cast = await make_cast(db)
    other = await make_challenge(db)
    from sqlalchemy import select

    from app.challenges.models import Round

    foreign_round = await db.scalar(select(Round).where(Round.challenge_id == other.id))
    await as_user(client, db, cast.member)
    assert (await client.get(f"/teams/{cast.team.id}/rounds/{foreign_round.id}")).status_code == 404


async def test_a_closed_round_says_so_and_shows_no_form(client, db):
    import datetime as dt

    cast = await make_cast(db)
    cast.round.opens_at = cast.round.opens_at - dt.timedelta(days=30)
    cast.round.deadline = cast.round.opens_at + dt.timedelta(days=1)
    await db.flush()
    await as_user(client, db, cast.member)
    text = text_of((await client.get(cast.path)).text)
    assert "The deadline of Round 1 passed on" in text and "Closed since" in text
    assert "Save draft" not in text


async def count_queries(connection, action) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", count)
    try:
        await action()
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", count)
    return len(statements)


async def with_versions(db, cast, team, number: int) -> None:
    submission = Submission(
        team_id=team.id, round_id=cast.round.id, version=number, updated_by_id=cast.captain.id
    )
    db.add(submission)
    await db.flush()
    for index in range(1, number + 1):
        db.add(
            SubmissionVersion(
                submission_id=submission.id,
                number=index,
                answers={"pitch": f"Pitch {index}"},
                created_by_id=cast.captain.id if index % 2 else cast.member.id,
            )
        )
    await db.flush()


async def test_the_page_costs_the_same_queries_for_5_and_50_versions(client, db, connection):
    cast = await make_cast(db)
    few = await make_team(db, cast.challenge, await make_user(db), name="Few")
    await with_versions(db, cast, few, 5)
    await with_versions(db, cast, cast.team, 50)
    await as_user(client, db, cast.founder)
    await client.get(
        f"/teams/{few.id}/rounds/{cast.round.id}"
    )  # the session is touched once; later requests read only
    counts = {}
    for team, shown in ((few, 5), (cast.team, 20)):
        url = f"/teams/{team.id}/rounds/{cast.round.id}"

        async def get(url=url, shown=shown):
            response = await client.get(url)
            assert response.status_code == 200
            assert response.text.count('<tr id="version-') == shown

        counts[shown] = await count_queries(connection, get)
    assert counts[5] == counts[20]
    assert counts[5] <= 12


async def test_the_page_speaks_french_to_a_french_reader(client, db):
    cast = await make_cast(db)
    cast.member.locale = "fr"
    cast.fields["pitch"].help_text = "Deux phrases **au plus**."
    await db.flush()
    await as_user(client, db, cast.member)
    page = await client.get(cast.path)
    text = text_of(page.text)
    assert "Enregistrer le brouillon" in text and "Soumettre" in text
    assert "Clôture le" in text and "il reste 13 jours 23 heures" in text
    assert "Pitch (obligatoire pour soumettre)" in text
    assert 'aria-describedby="field-pitch-help"' in page.text and "<strong>au plus</strong>" in page.text
