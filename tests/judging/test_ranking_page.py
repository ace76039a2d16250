"""The founders' ranking pages: who may open them, the method switch, the htmx block, judges' names hidden
until judging closes, and a number of queries that does not grow with the round."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select

from app.judging.models import JudgingJob, JudgingRound
from app.judging.ranking import compute_ranking
from app.judging.ranking_views import tied_ranks
from app.platform.storage import storage_for
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder, make_judged_round, make_user, sign_in
from tests.judging.ranking_support import add_scored_entries, give_review, score_all
from tests.querycount import counting_statements

ROLES = ("visitor", "outsider", "captain", "judge", "admin", "other_founder", "founder")
ALLOWED = {"founder"}


@pytest.fixture
async def judged(db):
    judged = await make_judged_round(db, teams=3, judges=2)
    await score_all(db, judged, {0: [(10, 10), (5, 5), (2, 2)], 1: [(8, 9), (6, 6), None]})
    await give_review(
        db,
        judged,
        judged.judges[1],
        judged.entries[2],
        (3, 3),
        final=False,
        comments=("Secret draft remark",),
    )
    return judged


def base(judged) -> str:
    return f"/challenges/{judged.challenge.slug}/rounds/{judged.round.id}/judging"


async def close_judging(db, judged) -> None:
    settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == judged.round.id))
    settings.closes_at = judged.now - dt.timedelta(hours=1)
    await db.flush()


async def as_role(client, db, judged, role: str) -> None:
    if role == "visitor":
        return
    user = {
        "founder": lambda: judged.founder,
        "captain": lambda: judged.captains[0],
        "judge": lambda: judged.judges[0],
    }.get(role)
    if user is not None:
        await sign_in(client, db, user())
        return
    if role == "other_founder":
        other = await make_challenge(db)
        await sign_in(client, db, await make_founder(db, other))
        return
    await sign_in(client, db, await make_user(db, admin=role == "admin"))


async def finished_export(db, judged, settings) -> JudgingJob:
    key = f"exports/{judged.round.id}/{uuid.uuid4()}.csv"

    async def chunks():
        yield b"Rank,Team\r\n"

    await storage_for(settings).put_stream(key, chunks(), 1000)
    job = JudgingJob(
        round_id=judged.round.id,
        kind="export",
        params={"what": "ranking", "format": "csv"},
        status="done",
        result_key=key,
        result_name="ranking.csv",
        requested_by_id=judged.founder.id,
    )
    db.add(job)
    await db.flush()
    return job


@pytest.mark.parametrize("role", ROLES)
async def test_every_route_answers_each_role(client, db, judged, role, settings):
    job = await finished_export(db, judged, settings)
    await as_role(client, db, judged, role)
    url = base(judged)
    requests = [
        ("GET", f"{url}/ranking", None),
        ("GET", f"{url}/entries/{judged.entries[0].id}", None),
        ("GET", f"{url}/exports", None),
        ("GET", f"{url}/exports/{job.id}", None),
        ("POST", f"{url}/ranking/remind", {}),
        ("POST", f"{url}/exports", {"what": "ranking", "format": "csv"}),
    ]
    for method, path, form in requests:
        response = await (client.get(path) if method == "GET" else client.submit(path, form))
        if role == "visitor":
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        elif role in ALLOWED:
            assert response.status_code in (200, 303), (path, response.status_code)
        else:
            assert response.status_code == 403, (role, path, response.status_code)
    api = await client.get(f"/api/v1/rounds/{judged.round.id}/ranking")
    expected_api = 401 if role == "visitor" else 200 if role in ALLOWED else 403
    assert api.status_code == expected_api


async def test_unpublished_challenge_is_not_found_for_outsiders(client, db):
    judged = await make_judged_round(db, teams=1, judges=1)
    judged.challenge.published_at = None
    await db.flush()
    await sign_in(client, db, await make_user(db))
    assert (await client.get(f"{base(judged)}/ranking")).status_code == 404
    assert (await client.get(f"/api/v1/rounds/{judged.round.id}/ranking")).status_code == 404


async def test_round_of_another_challenge_is_not_found(client, db, judged):
    other = await make_judged_round(db, teams=1, judges=1)
    await sign_in(client, db, judged.founder)
    # The founder's own slug with a round of another challenge, and the other way round.
    wrong = f"/challenges/{judged.challenge.slug}/rounds/{other.round.id}/judging"
    assert (await client.get(f"{wrong}/ranking")).status_code in (403, 404)
    assert (
        await client.get(f"/challenges/{other.challenge.slug}/rounds/{judged.round.id}/judging/ranking")
    ).status_code == 404
    entry_elsewhere = f"{base(judged)}/entries/{other.entries[0].id}"
    assert (await client.get(entry_elsewhere)).status_code == 404
    assert (await client.get(f"{base(judged)}/exports/{uuid.uuid4()}")).status_code == 404


async def test_ranking_page_shows_figures_methods_and_ties(client, db):
    judged = await make_judged_round(db, teams=3, judges=2)
    # Totals: judge 1: 100, 50, 50; judge 2: 80, 50, 50 -> means 90, 50, 50 (a tie for second).
    await score_all(db, judged, {0: [(10, 10), (5, 5), (5, 5)], 1: [(8, 8), (5, 5), (5, 5)]})
    await sign_in(client, db, judged.founder)
    response = await client.get(f"{base(judged)}/ranking")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    text = text_of(response.text)
    assert "Ranked by: Mean." in text and "Every judge scored every ranked entry" in text
    assert "90.0" in text and "50.0" in text
    assert text.count("= 2 (tied)") == 2 and "3" not in re.findall(r"(\d) \(tied\)", text)
    assert "Krippendorff’s alpha" in text and "a spread of 30 points or more" in text
    assert "<svg" in response.text and "judge-chart-title" in response.text


async def test_method_switch_renders_only_the_table_block(client, db, judged):
    await sign_in(client, db, judged.founder)
    response = await client.htmx(
        "GET", f"{base(judged)}/ranking?method=median", headers={"HX-Target": "ranking_table"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="ranking_table"')
    assert "<html" not in response.text and "judge_progress" not in response.text
    assert "Ranked by: Median." in text_of(response.text)
    assert re.search(r'value="median"\s+checked', response.text)


async def test_unknown_method_is_refused_with_a_client_error(client, db, judged):
    await sign_in(client, db, judged.founder)
    assert (await client.get(f"{base(judged)}/ranking?method=best")).status_code == 400
    api = await client.get(f"/api/v1/rounds/{judged.round.id}/ranking?method=best")
    assert api.status_code == 400 and api.headers["content-type"].startswith("application/problem+json")


async def test_discussion_flag_for_high_disagreement(client, db):
    judged = await make_judged_round(db, teams=2, judges=2)
    # Entry 1: 100 and 60 (spread 40: discuss); entry 2: 50 and 60 (spread 10).
    await score_all(db, judged, {0: [(10, 10), (5, 5)], 1: [(6, 6), (6, 6)]})
    await sign_in(client, db, judged.founder)
    html = (await client.get(f"{base(judged)}/ranking")).text
    first = html[html.index(f'id="entry-{judged.entries[0].id}"') :][:1500]
    second = html[html.index(f'id="entry-{judged.entries[1].id}"') :][:1500]
    assert "discuss-flag" in first and "discuss-flag" not in second.split("</tr>")[0]


async def test_entry_shows_only_aggregates_before_judging_closes(client, db, judged):
    from app.judging.models import Review, Score

    finalized = await db.scalar(
        select(Review).where(
            Review.submission_id == judged.entries[2].id, Review.user_id == judged.judges[0].id
        )
    )
    finalized.comment = "Secret overall remark"
    for score in await db.scalars(select(Score).where(Score.review_id == finalized.id)):
        score.comment = "Secret criterion remark"
    await db.flush()
    await sign_in(client, db, judged.founder)
    response = await client.get(f"{base(judged)}/entries/{judged.entries[2].id}")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "shown by name once judging has closed" in text
    for name in (judged.judges[0].name, judged.judges[1].name):
        assert name not in text
    assert "Secret" not in response.text
    assert "1 review is still a draft" in text and "Mean 20.0" in text


async def test_entry_shows_each_judge_by_name_after_close(client, db):
    judged = await make_judged_round(db, teams=1, judges=2)
    judged.judges[1].name = "Zoé Juge"
    await give_review(
        db, judged, judged.judges[0], judged.entries[0], (10, 10), comments=("Strong team", ""), comment="Go"
    )
    await give_review(db, judged, judged.judges[1], judged.entries[0], (4, 7), comments=("", "Clear plan"))
    await close_judging(db, judged)
    await sign_in(client, db, judged.founder)
    text = text_of((await client.get(f"{base(judged)}/entries/{judged.entries[0].id}")).text)
    assert judged.judges[0].name in text and "Zoé Juge" in text
    assert "Strong team" in text and "Clear plan" in text and "Overall comment: Go" in text
    assert "Total: 100.0 / 100" in text and "Total: 60.0 / 100" in text
    assert "Mean 80.0" in text


async def test_api_gives_entries_and_agreement(client, db, judged):
    await sign_in(client, db, judged.founder)
    body = (await client.get(f"/api/v1/rounds/{judged.round.id}/ranking?method=mean")).json()
    assert body["requested"] == "mean" and body["method"] == "mean" and body["judges"] == 2
    assert [entry["rank"] for entry in body["entries"]] == [1, 2, 3]
    assert body["entries"][0]["mean"] == pytest.approx((100 + 100 * (0.8 + 1.8) / 3) / 2, abs=1e-4)
    assert set(body["agreement"]) == {"alpha", "verdict", "units", "pairable"}
    assert body["agreement"]["units"] == 2


async def test_ranking_page_queries_do_not_grow_with_entries(client, db, connection):
    small = await make_judged_round(db, teams=3, judges=3)
    await score_all(db, small, {0: [(5, 5)] * 3, 1: [(6, 6)] * 3, 2: [(7, 7)] * 3})
    large = await make_judged_round(db, teams=1, judges=3)
    await add_scored_entries(db, large, 60)
    await sign_in(client, db, small.founder)
    with counting_statements(connection) as few:
        assert (await client.get(f"{base(small)}/ranking")).status_code == 200
    await sign_in(client, db, large.founder)
    with counting_statements(connection) as many:
        response = await client.get(f"{base(large)}/ranking")
    assert response.status_code == 200 and response.text.count('<tr id="entry-') == 50
    assert "Entries 1–50 of 61" in text_of(response.text)
    assert len(many) == len(few), (len(few), len(many))
    with counting_statements(connection) as last:
        response = await client.get(f"{base(large)}/ranking?page=2")
    assert response.status_code == 200 and response.text.count('<tr id="entry-') == 11
    assert "Entries 51–61 of 61" in text_of(response.text)
    assert len(last) == len(few), (len(few), len(last))


async def test_ranking_pages_follow_on_keep_the_method_and_exports_keep_every_entry(client, db):
    from app.judging.exports import _ranking

    judged = await make_judged_round(db, teams=1, judges=2)
    await add_scored_entries(db, judged, 60)
    await sign_in(client, db, judged.founder)
    url = f"{base(judged)}/ranking"
    first = (await client.get(url, params={"method": "median"})).text
    assert f'href="{url}?method=median&amp;page=2" rel="next"' in first
    second = (await client.get(url, params={"method": "median", "page": 2})).text
    assert f'href="{url}?method=median&amp;page=1" rel="prev"' in second and "Ranked by: Median." in text_of(
        second
    )
    ranking = await compute_ranking(db, judged.round.id, "median")
    shown = re.findall(r'<tr id="entry-([^"]+)"', first) + re.findall(r'<tr id="entry-([^"]+)"', second)
    assert shown == [str(entry.submission_id) for entry in ranking.entries]
    # A page past the end shows the last one; the htmx switch pages too.
    beyond = (await client.get(url, params={"method": "median", "page": 7})).text
    assert re.findall(r'<tr id="entry-([^"]+)"', beyond) == shown[50:]
    switched = await client.htmx("GET", f"{url}?method=median&page=2", headers={"HX-Target": "ranking_table"})
    assert switched.status_code == 200 and switched.text.count('<tr id="entry-') == 11
    assert (await client.get(url, params={"page": 0})).status_code == 400
    # Exports and the API still hold every entry.
    table = await _ranking(db, judged.round.id, "median")
    exported = [row async for batch in table.batches for row in batch]
    assert table.total == 61 and len(exported) == 61
    api = (await client.get(f"/api/v1/rounds/{judged.round.id}/ranking")).json()
    assert len(api["entries"]) == 61


async def test_a_page_of_the_ranking_knows_ties_across_pages(db, connection):
    judged = await make_judged_round(db, teams=3, judges=2)
    # Means 90, 50, 50: the tie for second straddles pages of two entries.
    await score_all(db, judged, {0: [(10, 10), (5, 5), (5, 5)], 1: [(8, 8), (5, 5), (5, 5)]})
    whole = await compute_ranking(db, judged.round.id, "mean")
    with counting_statements(connection) as statements:
        first = await compute_ranking(db, judged.round.id, "mean", page=1, per_page=2)
        second = await compute_ranking(db, judged.round.id, "mean", page=2, per_page=2)
    assert len(statements) == 2
    assert [e.submission_id for e in first.entries + second.entries] == [
        e.submission_id for e in whole.entries
    ]
    assert [e.rank for e in first.entries] == [1, 2] and [e.rank for e in second.entries] == [2]
    assert [e.tied for e in first.entries] == [False, True] and second.entries[0].tied
    assert tied_ranks(first) == tied_ranks(second) == tied_ranks(whole) == frozenset({2})
    assert (first.total, first.offset, second.total, second.offset) == (3, 0, 3, 2)
    assert (first.method, first.judges, first.subsets_differ) == (
        whole.method,
        whole.judges,
        whole.subsets_differ,
    )
    # Past the end: the last page, with one more statement to count the entries.
    with counting_statements(connection) as statements:
        beyond = await compute_ranking(db, judged.round.id, "mean", page=5, per_page=2)
    assert [e.submission_id for e in beyond.entries] == [e.submission_id for e in second.entries]
    assert beyond.offset == 2 and len(statements) == 3


@pytest.mark.parametrize("entries", [3, 300])
async def test_compute_ranking_is_one_statement(db, connection, entries):
    judged = await make_judged_round(db, teams=0, judges=5, criteria=8)
    await add_scored_entries(db, judged, entries)
    with counting_statements(connection) as statements:
        ranking = await compute_ranking(db, judged.round.id)
    assert len(ranking.entries) == entries and ranking.judges == 5
    assert len(statements) == 1


async def test_reading_the_ranking_creates_no_judging_settings_and_ranks_by_the_default(client, db, judged):
    from sqlalchemy import delete, func

    await db.execute(delete(JudgingRound).where(JudgingRound.round_id == judged.round.id))
    await db.flush()
    await sign_in(client, db, judged.founder)
    page = await client.get(f"{base(judged)}/ranking")
    assert page.status_code == 200
    assert re.search(r'value="auto"\s+checked', page.text)
    assert "Judging is still open" in text_of(page.text)
    count = select(func.count()).select_from(JudgingRound).where(JudgingRound.round_id == judged.round.id)
    assert await db.scalar(count) == 0
