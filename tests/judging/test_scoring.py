"""The review page: the entry beside the rubric, each criterion saved on change (htmx) with a status beside it,
values checked against the scale, the overall comment, finalizing; the judging clock (read-only and 409
outside judging); no judge ever sees another's scores; who may reach each route; next/previous; the cost."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.judging.models import Criterion, Review, Score
from app.platform.models import AuditEntry
from tests.conftest import text_of
from tests.judging.scoring_support import PAGE_ROLES, PITCH, as_user, make_cast, set_clock, value
from tests.querycount import counting_statements

SECRET = "Otto thinks the business model is shaky"


@pytest.fixture
async def cast(db):
    return await make_cast(db)


def score_url(cast, criterion) -> str:
    return f"{cast.page}/scores/{criterion.id}"


async def scores_of(db, cast, user) -> dict:
    rows = await db.execute(
        select(Score.criterion_id, Score.value, Score.comment)
        .join(Review, Review.id == Score.review_id)
        .where(Review.submission_id == cast.entry.id, Review.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    return {criterion_id: (val, comment) for criterion_id, val, comment in rows}


async def review_of(db, cast, user) -> Review | None:
    return await db.scalar(
        select(Review)
        .where(Review.submission_id == cast.entry.id, Review.user_id == user.id)
        .execution_options(populate_existing=True)
    )


async def score_everything(client, cast, values=(7, 8)) -> None:
    for criterion, number in zip(cast.criteria, values, strict=True):
        response = await client.htmx(
            "POST", score_url(cast, criterion), data={"value": str(number), "comment": ""}
        )
        assert response.status_code == 200, response.text


# --- the page -------------------------------------------------------------------------------------------------


async def test_review_page_shows_the_entry_beside_the_rubric(client, db, cast):
    criterion = cast.criteria[0]
    criterion.description = "Does it solve a **real** problem?"
    criterion.descriptors = [{"value": 0, "text": "Not at all"}, {"value": 10, "text": "Completely"}]
    await db.flush()
    await as_user(client, db, cast.judge)
    response = await client.get(cast.page)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    page = text_of(html)
    assert cast.judged.teams[0].name in page and PITCH in page
    assert '<div class="review-layout">' in html
    assert "Criterion 1" in page and "weight 1 · from 0 to 10" in page and "weight 2 · from 0 to 10" in page
    assert "<strong>real</strong>" in html
    assert "Not at all" in page and "Completely" in page
    assert len(re.findall(r'name="value" value="[\d.]+"', html)) == 22  # 11 levels per criterion
    assert 'hx-post="' + score_url(cast, criterion) + '"' in html
    assert "Overall comment" in page and "Finalize this review" in page
    assert "0 of 3 scored" in page and "Entry 1 of 3" in page


async def test_the_entrys_files_link_to_downloads_the_judge_may_make(client, db, cast, settings):
    from app.challenges.models import RoundField
    from app.teams.models import SubmissionVersion
    from tests.teams.files_support import PDF, FileStore

    files = FileStore(db, settings)
    try:
        stored = await files.add(cast.judged.teams[0], name="deck.pdf")
        db.add(RoundField(round_id=cast.round.id, key="deck", kind="file", position=1, label="Pitch deck"))
        version = await db.scalar(
            select(SubmissionVersion).where(SubmissionVersion.submission_id == cast.entry.id)
        )
        version.files = {"deck": str(stored.id)}
        await db.flush()
        for person, page_status, file_status in (
            (cast.judge, 200, 200),
            (cast.conflicted, 404, 404),
            (cast.unassigned, 404, 404),
        ):
            await as_user(client, db, person)
            page = await client.get(cast.page)
            assert page.status_code == page_status
            if page_status == 200:
                assert f'<a href="/files/{stored.id}">deck.pdf</a>' in page.text and "Pitch deck" in page.text
                assert (await client.get(cast.api)).json()["files"]["deck"]["url"] == f"/files/{stored.id}"
            download = await client.get(f"/files/{stored.id}")
            assert download.status_code == file_status
            if file_status == 200:
                assert download.content == PDF
    finally:
        await files.remove_all()


async def test_long_scales_are_typed_with_their_described_levels_shown(client, db, cast):
    criterion = cast.criteria[0]
    criterion.scale_max, criterion.scale_step = 100, 5
    criterion.descriptors = [{"value": 50, "text": "Promising"}]
    await db.flush()
    await as_user(client, db, cast.judge)
    html = (await client.get(cast.page)).text
    assert f'<input type="number" id="value-{criterion.id}"' in html
    assert 'min="0.00" max="100.00" step="5.00"' in html
    assert "Score, from 0 to 100 in steps of 5" in text_of(html)
    assert "Promising" in text_of(html)


async def test_next_and_previous_follow_the_queue(client, db, cast):
    entries = cast.judged.entries
    await as_user(client, db, cast.judge)
    first = (await client.get(f"/judge/entries/{entries[0].id}")).text
    assert f'href="/judge/entries/{entries[1].id}" rel="next"' in first and 'rel="prev"' not in first
    middle = (await client.get(f"/judge/entries/{entries[1].id}")).text
    assert f'href="/judge/entries/{entries[0].id}" rel="prev"' in middle
    assert f'href="/judge/entries/{entries[2].id}" rel="next"' in middle
    assert "Entry 2 of 3" in text_of(middle)
    last = (await client.get(f"/judge/entries/{entries[2].id}")).text
    assert 'rel="next"' not in last


async def test_next_skips_an_entry_in_conflict(client, db, cast):
    await as_user(client, db, cast.conflicted)
    html = (await client.get(f"/judge/entries/{cast.judged.entries[1].id}")).text
    assert 'rel="prev"' not in html and "Entry 1 of 2" in text_of(html)


# --- autosave -------------------------------------------------------------------------------------------------


async def test_a_criterion_saves_on_change_and_answers_with_its_status(client, db, cast):
    criterion = cast.criteria[0]
    await as_user(client, db, cast.judge)
    response = await client.htmx(
        "POST", score_url(cast, criterion), data={"value": "7", "comment": "Clear need."}
    )
    assert response.status_code == 200
    assert f'id="status-{criterion.id}"' in response.text
    assert re.search(r"Saved at \d{1,2}:\d{2}", text_of(response.text))
    assert 'id="review-status"' in response.text and "Draft" in response.text  # out of band
    assert await scores_of(db, cast, cast.judge) == {criterion.id: (value(7), "Clear need.")}
    again = await client.htmx(
        "POST", score_url(cast, criterion), data={"value": "6", "comment": "Clear need, small market."}
    )
    assert again.status_code == 200
    assert await scores_of(db, cast, cast.judge) == {criterion.id: (value(6), "Clear need, small market.")}
    assert (
        await db.scalar(select(func.count()).select_from(Review).where(Review.user_id == cast.judge.id)) == 1
    )


async def test_saved_scores_show_again_on_the_page(client, db, cast):
    criterion = cast.criteria[1]
    await as_user(client, db, cast.judge)
    await client.htmx("POST", score_url(cast, criterion), data={"value": "4", "comment": "Thin evidence."})
    await client.htmx("POST", f"{cast.page}/comment", data={"comment": "A promising team."})
    html = (await client.get(cast.page)).text
    assert re.search(rf'id="value-{criterion.id}-5" name="value" value="4.00" checked', html)
    assert "Thin evidence.</textarea>" in html and "A promising team.</textarea>" in html


async def test_without_javascript_a_criterion_saves_and_comes_back_to_the_page(client, db, cast):
    criterion = cast.criteria[0]
    await as_user(client, db, cast.judge)
    response = await client.submit(score_url(cast, criterion), {"value": "9", "comment": ""})
    assert response.status_code == 303
    assert response.headers["location"] == f"{cast.page}#criterion-{criterion.id}"
    assert (await scores_of(db, cast, cast.judge))[criterion.id][0] == value(9)


async def test_the_overall_comment_saves_itself(client, db, cast):
    await as_user(client, db, cast.judge)
    response = await client.htmx(
        "POST", f"{cast.page}/comment", data={"comment": "  Strong team.\r\nGood demo.  "}
    )
    assert (
        response.status_code == 200 and "Saved at" in response.text and 'id="status-comment"' in response.text
    )
    assert (await review_of(db, cast, cast.judge)).comment == "Strong team.\nGood demo."


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("11", "11 is outside the scale: choose a value from 0 to 10."),
        ("-1", "-1 is outside the scale: choose a value from 0 to 10."),
        ("7.5", "7.5 is not a level of the scale: choose from 0 to 10 in steps of 1."),
        ("seven", "Enter a number."),
        ("NaN", "Enter a number."),
        ("1e400", "is outside the scale"),
    ],
)
async def test_values_outside_the_scale_or_off_step_are_refused_beside_the_criterion(
    client, db, cast, given, message
):
    criterion = cast.criteria[0]
    await as_user(client, db, cast.judge)
    response = await client.htmx("POST", score_url(cast, criterion), data={"value": given})
    assert response.status_code == 422
    assert f'id="status-{criterion.id}"' in response.text and 'role="alert"' in response.text
    assert message in text_of(response.text)
    assert await review_of(db, cast, cast.judge) is None


async def test_half_steps_are_accepted_on_a_half_step_scale(client, db, cast):
    criterion = cast.criteria[0]
    criterion.scale_min, criterion.scale_max, criterion.scale_step = 1, 5, value(0.5)
    await db.flush()
    await as_user(client, db, cast.judge)
    assert (await client.htmx("POST", score_url(cast, criterion), data={"value": "3.5"})).status_code == 200
    refused = await client.htmx("POST", score_url(cast, criterion), data={"value": "3.25"})
    assert refused.status_code == 422
    assert "3.25 is not a level of the scale: choose from 1 to 5 in steps of 0.5." in text_of(refused.text)


async def test_without_javascript_a_refused_value_shows_beside_its_criterion_and_is_kept(client, db, cast):
    criterion = cast.criteria[1]
    await as_user(client, db, cast.judge)
    response = await client.submit(score_url(cast, criterion), {"value": "12", "comment": "My long thought"})
    assert response.status_code == 422
    html = response.text
    status = re.search(rf'<p id="status-{criterion.id}"[^>]*>(.*?)</p>', html, re.DOTALL)
    assert status and "12 is outside the scale" in text_of(status.group(1))
    assert "My long thought</textarea>" in html


async def test_too_long_comments_are_refused(client, db, cast):
    await as_user(client, db, cast.judge)
    response = await client.htmx(
        "POST", score_url(cast, cast.criteria[0]), data={"value": "3", "comment": "x" * 5001}
    )
    assert response.status_code == 422 and "Use at most 5000 characters." in text_of(response.text)
    response = await client.htmx("POST", f"{cast.page}/comment", data={"comment": "x" * 10_001})
    assert response.status_code == 422 and "Use at most 10000 characters." in text_of(response.text)


async def test_a_criterion_of_another_round_is_not_found(client, db, cast):
    from tests.factories import make_judged_round

    elsewhere = await make_judged_round(db, teams=1, judges=1)
    await as_user(client, db, cast.judge)
    response = await client.htmx(
        "POST", f"{cast.page}/scores/{elsewhere.criteria[0].id}", data={"value": "3"}
    )
    assert response.status_code == 404
    assert "does not exist" in text_of(response.text)


# --- finalizing -----------------------------------------------------------------------------------------------


async def test_finalizing_needs_every_criterion_and_names_the_missing_ones(client, db, cast):
    await as_user(client, db, cast.judge)
    await client.htmx("POST", score_url(cast, cast.criteria[0]), data={"value": "5"})
    response = await client.htmx("POST", f"{cast.page}/finalize")
    assert response.status_code == 422
    assert 'id="finalize"' in response.text
    assert "Score every criterion before finalizing. Missing: Criterion 2." in text_of(response.text)
    assert (await review_of(db, cast, cast.judge)).finalized_at is None


async def test_finalizing_marks_the_review_final_audits_it_and_counts_in_the_queue(client, db, cast):
    await as_user(client, db, cast.judge)
    await score_everything(client, cast)
    response = await client.htmx("POST", f"{cast.page}/finalize")
    assert response.status_code == 200 and response.headers["hx-redirect"] == cast.page
    review = await review_of(db, cast, cast.judge)
    assert review.finalized_at is not None
    entry = await db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "review:finalize", AuditEntry.object_id == str(review.id)
        )
    )
    assert entry is not None and entry.actor_id == cast.judge.id
    assert entry.details["submission_id"] == str(cast.entry.id)
    page = text_of((await client.get(cast.page)).text)
    assert f"Your review of {cast.judged.teams[0].name} is finalized." in page
    assert "1 of 3 scored" in page and "Finalized on" in page
    assert "1 of 3 scored" in text_of((await client.get(cast.queue)).text)


async def test_finalizing_twice_changes_nothing(client, db, cast):
    await as_user(client, db, cast.judge)
    await score_everything(client, cast)
    assert (await client.submit(f"{cast.page}/finalize")).status_code == 303
    first = (await review_of(db, cast, cast.judge)).finalized_at
    assert (await client.submit(f"{cast.page}/finalize")).status_code == 303
    assert (await review_of(db, cast, cast.judge)).finalized_at == first
    count = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "review:finalize", AuditEntry.actor_id == cast.judge.id)
    )
    assert await db.scalar(count) == 1


async def test_a_finalized_review_stays_editable_and_final_while_judging_is_open(client, db, cast):
    await as_user(client, db, cast.judge)
    await score_everything(client, cast)
    await client.submit(f"{cast.page}/finalize")
    response = await client.htmx(
        "POST", score_url(cast, cast.criteria[0]), data={"value": "2", "comment": "On reflection."}
    )
    assert response.status_code == 200 and "Finalized" in response.text
    assert (await scores_of(db, cast, cast.judge))[cast.criteria[0].id] == (value(2), "On reflection.")
    assert (await review_of(db, cast, cast.judge)).finalized_at is not None
    change = await db.scalar(select(AuditEntry).where(AuditEntry.action == "review:change_finalized"))
    assert change.details["changed"] == {"Criterion 1": {"from": "7", "to": "2"}}
    cleared = await client.htmx("POST", score_url(cast, cast.criteria[0]), data={"value": ""})
    assert cleared.status_code == 422
    assert "This review is finalized: every criterion keeps a value." in text_of(cleared.text)


# --- the judging clock ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["before the deadline", "after close"])
async def test_outside_judging_the_page_is_read_only_and_writes_get_409(client, db, cast, moment):
    await as_user(client, db, cast.judge)
    await score_everything(client, cast, values=(3, 4))
    now = cast.judged.now
    if moment == "before the deadline":
        await set_clock(db, cast, deadline=now + dt.timedelta(hours=2))
        reason = "Judging of this round opens on"
    else:
        await set_clock(db, cast, closes_at=now - dt.timedelta(minutes=1))
        reason = "Judging of this round closed on"
    page = await client.get(cast.page)
    assert page.status_code == 200
    assert "This page is read-only." in text_of(page.text) and reason in text_of(page.text)
    assert "hx-post" not in page.text and "<fieldset disabled" in page.text
    assert "Finalize this review" not in page.text
    fragment = await client.htmx("POST", score_url(cast, cast.criteria[0]), data={"value": "9"})
    assert fragment.status_code == 409 and reason in text_of(fragment.text)
    plain = await client.submit(score_url(cast, cast.criteria[0]), {"value": "9"})
    assert plain.status_code == 409 and reason in text_of(plain.text)
    assert (await client.htmx("POST", f"{cast.page}/comment", data={"comment": "late"})).status_code == 409
    finalize = await client.submit(f"{cast.page}/finalize")
    assert finalize.status_code == 409 and reason in text_of(finalize.text)
    headers = {"X-CSRF-Token": await client.csrf()}
    api = await client.put(
        cast.api, json={"scores": {str(cast.criteria[0].id): {"value": 9}}}, headers=headers
    )
    assert api.status_code == 409 and reason in api.json()["detail"]
    assert (await client.post(cast.api + "/finalize", headers=headers)).status_code == 409
    assert (await scores_of(db, cast, cast.judge))[cast.criteria[0].id][0] == value(3)


async def test_judging_opens_exactly_at_the_deadline_and_closes_exactly_at_close(client, db, cast):
    import time_machine

    await as_user(client, db, cast.judge)
    deadline = cast.judged.now + dt.timedelta(minutes=10)
    closes = deadline + dt.timedelta(minutes=30)
    await set_clock(db, cast, deadline=deadline, closes_at=closes)
    second = dt.timedelta(seconds=1)
    for instant, expected in (
        (deadline - second, 409),
        (deadline, 200),
        (closes - second, 200),
        (closes, 409),
    ):
        with time_machine.travel(instant, tick=False):
            response = await client.htmx("POST", score_url(cast, cast.criteria[0]), data={"value": "5"})
        assert response.status_code == expected, instant


# --- nobody sees another judge's scores -----------------------------------------------------------------------


@pytest.mark.parametrize("closed", [False, True])
async def test_judge_cannot_see_other_judges_scores_on_page_fragment_or_api(client, db, cast, closed):
    await as_user(client, db, cast.other_judge)
    other = await client.htmx(
        "POST", score_url(cast, cast.criteria[0]), data={"value": "1", "comment": SECRET}
    )
    assert other.status_code == 200
    await client.htmx("POST", f"{cast.page}/comment", data={"comment": SECRET + " overall"})
    await as_user(client, db, cast.judge)
    fragment = await client.htmx(
        "POST", score_url(cast, cast.criteria[1]), data={"value": "8", "comment": "mine"}
    )
    if closed:
        await set_clock(db, cast, closes_at=cast.judged.now - dt.timedelta(minutes=1))
    page = await client.get(cast.page)
    api = await client.get(cast.api)
    queue = await client.get(cast.queue)
    queue_api = await client.get(f"/api/v1/judge/rounds/{cast.round.id}/queue")
    for response in (fragment, page, api, queue, queue_api):
        assert response.status_code == 200
        assert "Otto" not in response.text and "shaky" not in response.text
    body = api.json()
    assert set(body["scores"]) == {str(cast.criteria[1].id)}
    assert body["comment"] == "" and body["scores"][str(cast.criteria[1].id)]["comment"] == "mine"
    # The radio of the other judge's value (1) is not checked on this judge's page.
    assert not re.search(rf'id="value-{cast.criteria[0].id}-2" name="value" value="1.00" checked', page.text)


# --- who may reach each route ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), PAGE_ROLES)
async def test_review_page_permissions(client, db, cast, role, expected):
    await as_user(client, db, cast.role(role))
    response = await client.get(cast.page)
    assert response.status_code == expected
    if expected != 200:
        assert PITCH not in response.text


@pytest.mark.parametrize(("role", "expected"), PAGE_ROLES)
async def test_scoring_permissions_for_fragment_and_form(client, db, cast, role, expected):
    await as_user(client, db, cast.role(role))
    criterion = cast.criteria[0]
    fragment = await client.htmx("POST", score_url(cast, criterion), data={"value": "5"})
    comment = await client.htmx("POST", f"{cast.page}/comment", data={"comment": "hello"})
    plain = await client.submit(score_url(cast, criterion), {"value": "5"})
    finalize = await client.submit(f"{cast.page}/finalize")
    if expected == 200:
        assert (fragment.status_code, comment.status_code, plain.status_code) == (200, 200, 303)
        assert finalize.status_code == 422  # one criterion of two scored
        return
    for response in (fragment, comment, plain, finalize):
        assert response.status_code == expected
    user = cast.role(role)
    if user is not None:
        assert await review_of(db, cast, user) is None


async def test_a_conflict_declared_after_scoring_closes_the_entry(client, db, cast):
    from app.judging.models import Conflict

    await as_user(client, db, cast.judge)
    await score_everything(client, cast)
    db.add(
        Conflict(
            challenge_id=cast.judged.challenge.id, user_id=cast.judge.id, team_id=cast.judged.teams[0].id
        )
    )
    await db.flush()
    assert (await client.get(cast.page)).status_code == 404
    assert (
        await client.htmx("POST", score_url(cast, cast.criteria[0]), data={"value": "1"})
    ).status_code == 404
    assert (await client.get(cast.api)).status_code == 404


# --- cost -----------------------------------------------------------------------------------------------------


async def test_review_page_costs_the_same_queries_whatever_the_rubric_and_queue(client, db, connection):
    from tests.factories import make_judged_round

    counts = []
    for teams, criteria in ((3, 1), (30, 8)):
        judged = await make_judged_round(db, teams=teams, judges=1, criteria=criteria)
        await as_user(client, db, judged.judges[0])
        entry = judged.entries[1]
        for criterion in judged.criteria:
            await client.htmx("POST", f"/judge/entries/{entry.id}/scores/{criterion.id}", data={"value": "3"})
        for url in (f"/judge/entries/{entry.id}", f"/api/v1/entries/{entry.id}/review"):
            with counting_statements(connection) as statements:
                assert (await client.get(url)).status_code == 200
            counts.append(len(statements))
        criteria_count = await db.scalar(
            select(func.count()).select_from(Criterion).where(Criterion.round_id == judged.round.id)
        )
        assert criteria_count == criteria
    assert counts[:2] == counts[2:]


async def test_a_french_judge_reads_french_and_decimal_commas(client, db, cast):
    cast.judge.locale = "fr"
    criterion = cast.criteria[0]
    criterion.scale_step = value(0.5)
    await db.flush()
    await as_user(client, db, cast.judge)
    page = text_of((await client.get(cast.page)).text)
    assert "Mes notes" in page and "Finaliser cette évaluation" in page and "0 sur 3 notés" in page
    refused = await client.htmx("POST", score_url(cast, criterion), data={"value": "7,25"})
    assert refused.status_code == 422
    assert "7,25 n’est pas un niveau de l’échelle : choisissez de 0 à 10 par pas de 0,5." in text_of(
        refused.text
    )
    saved = await client.htmx("POST", score_url(cast, criterion), data={"value": "7,5"})
    assert saved.status_code == 200 and "Enregistré à" in text_of(saved.text)


async def test_score_autosave_costs_the_same_statements_whatever_the_rubric_and_queue(client, db, connection):
    from tests.factories import make_judged_round

    counts = []
    for teams, criteria in ((3, 1), (30, 8)):
        judged = await make_judged_round(db, teams=teams, judges=1, criteria=criteria)
        await as_user(client, db, judged.judges[0])
        entry, criterion = judged.entries[1], judged.criteria[-1]
        url = f"/judge/entries/{entry.id}/scores/{criterion.id}"
        await client.htmx("POST", url, data={"value": "2"})  # the review exists from now on
        with counting_statements(connection) as statements:
            assert (await client.htmx("POST", url, data={"value": "3"})).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
