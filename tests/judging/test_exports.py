"""Judging exports end to end: asked for on the page, written by a real arq worker (burst mode) through the
outbox into storage with progress, downloaded by founders only, with the CSV and xlsx contents checked.

These tests commit for real (the worker reads through its own connections), in a scratch database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from arq.worker import Worker
from sqlalchemy import select

from app.judging.models import JudgingJob, JudgingRound
from app.worker import worker_options
from tests.conftest import make_client, text_of
from tests.factories import make_judged_round, make_user, sign_in
from tests.judging.ranking_support import give_review
from tests.scratch import app_on, scratch_database, scratch_sessions


@pytest.fixture(scope="module")
def export_database(servers):
    with scratch_database(servers, "exports") as url:
        yield url


@pytest.fixture
async def sessions(export_database):
    async with scratch_sessions(export_database) as sessions:
        yield sessions


async def seeded(sessions, *, closed: bool):
    async with sessions() as db:
        judged = await make_judged_round(db, teams=2, judges=2)
        judged.judges[0].name = "Alice Judge"
        judged.judges[1].name = "Bob Judge"
        first, second = judged.entries
        await give_review(
            db,
            judged,
            judged.judges[0],
            first,
            (10, 10),
            comments=('=HYPERLINK("x")', "Solid"),
            comment="=Great",
        )
        await give_review(db, judged, judged.judges[1], first, (8, 8), comments=("Clear", ""), comment="")
        await give_review(db, judged, judged.judges[0], second, (4, 7), comments=("", ""))
        await give_review(
            db, judged, judged.judges[1], second, (5, 5), final=False, comments=("Draft note", "")
        )
        if closed:
            settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == judged.round.id))
            settings.closes_at = judged.now - dt.timedelta(hours=1)
        await db.commit()
    return judged


async def run_worker(settings, sessions, redis) -> None:
    options = worker_options(settings, settings.redis_url)
    options.pop("redis_settings")
    options["cron_jobs"] = []
    options["on_startup"] = None
    worker = Worker(
        **options,
        redis_pool=redis,
        burst=True,
        poll_delay=0.05,
        ctx={"session_maker": sessions, "settings": settings},
    )
    await worker.main()
    await worker.close()


def exports_url(judged) -> str:
    return f"/challenges/{judged.challenge.slug}/rounds/{judged.round.id}/judging/exports"


async def export(app, sessions, settings, redis, judged, what: str, fmt: str) -> tuple[bytes, str]:
    """Ask for an export as the founder, let the worker write it, download it; (bytes, content type)."""
    async with app_on(app, sessions), make_client(app) as client:
        async with sessions() as db:
            await sign_in(client, db, judged.founder)
            await db.commit()
        response = await client.htmx("POST", exports_url(judged), data={"what": what, "format": fmt})
        assert response.status_code == 200, response.text
        assert "Waiting for the worker" in text_of(response.text) and 'hx-trigger="every 1s"' in response.text
        await run_worker(settings, sessions, redis)
        page = await client.htmx("GET", exports_url(judged))
        assert page.text.lstrip().startswith('<section id="export_jobs"') and "every 1s" not in page.text
        link = re.search(r'href="([^"]+/exports/[0-9a-f-]{36})"', page.text).group(1)
        download = await client.get(link)
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["cache-control"] == "no-store"
        return download.content, download.headers["content-type"]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_ranking_csv_through_the_worker(app, sessions, settings, redis):
    judged = await seeded(sessions, closed=False)
    data, content_type = await export(app, sessions, settings, redis, judged, "ranking", "csv")
    assert content_type.startswith("text/csv")
    rows = csv_rows(data)
    assert rows[0][:3] == ["Rank", "Tied", "Team"]
    # Entry 1: 100 and 80 -> mean 90; entry 2: 60 (only the finalized review counts).
    assert [row[2] for row in rows[1:]] == [team.name for team in judged.teams]
    assert rows[1][0] == "1" and rows[1][5] == "90" and rows[2][5] == "60"
    async with sessions() as db:
        job = await db.scalar(select(JudgingJob).where(JudgingJob.round_id == judged.round.id))
        assert (job.kind, job.status, job.done, job.total) == ("export", "done", 2, 2)


async def test_scores_xlsx_names_judges_and_keeps_formulas_as_text(app, sessions, settings, redis):
    judged = await seeded(sessions, closed=True)
    data, content_type = await export(app, sessions, settings, redis, judged, "scores", "xlsx")
    assert content_type.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = xlsx_rows(data)
    assert rows[0][:5] == ["Team", "Entry id", "Judge", "Judge e-mail", "Criterion"]
    assert len(rows) == 1 + 4 * 2  # 4 reviews x 2 criteria
    judges = {row[2] for row in rows[1:]}
    assert judges == {"Alice Judge", "Bob Judge"}
    formula = next(row for row in rows if row[9] and str(row[9]).startswith("=HYPERLINK"))
    assert formula[9] == '=HYPERLINK("x")' and formula[6] == 10  # a string cell, not a formula
    assert {row[10] for row in rows[1:]} == {"counted", "draft, not counted"}


async def test_feedback_csv_is_anonymous_with_means_per_criterion(app, sessions, settings, redis):
    judged = await seeded(sessions, closed=True)
    data, _type = await export(app, sessions, settings, redis, judged, "feedback", "csv")
    rows = csv_rows(data)
    text = data.decode("utf-8-sig")
    assert "Alice Judge" not in text and "Bob Judge" not in text and "Draft note" not in text
    first_team = [row for row in rows[1:] if row[0] == judged.teams[0].name]
    by_criterion = {row[1]: row for row in first_team}
    assert by_criterion["Criterion 1"][2] == "9" and by_criterion["Criterion 1"][4] == "2"
    comments = by_criterion["Criterion 1"][5]
    assert "=HYPERLINK" in comments and "Clear" in comments and not comments.startswith("=")
    # The formula guard of app.platform.csv: a cell starting with "=" is defused.
    assert by_criterion["Overall"][5] == "'=Great"


async def test_scores_export_waits_for_judging_to_close(app, sessions, settings, redis):
    judged = await seeded(sessions, closed=False)
    async with app_on(app, sessions), make_client(app) as client:
        async with sessions() as db:
            await sign_in(client, db, judged.founder)
            await db.commit()
        refused = await client.htmx("POST", exports_url(judged), data={"what": "scores", "format": "csv"})
        assert refused.status_code == 422
        assert "once judging has closed" in text_of(refused.text)
        bad = await client.htmx("POST", exports_url(judged), data={"what": "ranking", "format": "pdf"})
        assert bad.status_code == 422 and "Choose CSV or xlsx." in text_of(bad.text)
    async with sessions() as db:
        assert await db.scalar(select(JudgingJob).where(JudgingJob.round_id == judged.round.id)) is None


async def test_download_is_for_founders_only_and_checked_again(app, sessions, settings, redis):
    judged = await seeded(sessions, closed=True)
    await export(app, sessions, settings, redis, judged, "scores", "csv")
    async with sessions() as db:
        job = await db.scalar(select(JudgingJob).where(JudgingJob.round_id == judged.round.id))
        outsider = await make_user(db)
        await db.commit()
    link = f"{exports_url(judged)}/{job.id}"
    async with app_on(app, sessions):
        for user, expected in ((judged.judges[0], 403), (outsider, 403), (judged.captains[0], 403)):
            async with make_client(app) as client:
                async with sessions() as db:
                    await sign_in(client, db, user)
                    await db.commit()
                assert (await client.get(link)).status_code == expected
        async with make_client(app) as visitor:
            assert (await visitor.get(link)).status_code == 303
        # Judging reopened: the export holding judges' names is refused until it closes again.
        async with sessions() as db:
            round_settings = await db.scalar(
                select(JudgingRound).where(JudgingRound.round_id == judged.round.id)
            )
            round_settings.closes_at = judged.now + dt.timedelta(days=1)
            await db.commit()
        async with make_client(app) as client:
            async with sessions() as db:
                await sign_in(client, db, judged.founder)
                await db.commit()
            assert (await client.get(link)).status_code == 409


async def test_running_the_job_twice_writes_once(app, sessions, settings, redis):
    from app.judging.export_jobs import export_judging

    judged = await seeded(sessions, closed=False)
    await export(app, sessions, settings, redis, judged, "ranking", "xlsx")
    async with sessions() as db:
        job = await db.scalar(select(JudgingJob).where(JudgingJob.round_id == judged.round.id))
        finished = job.finished_at
        await export_judging({"session_maker": sessions, "settings": settings}, db, str(job.id))
        await db.commit()
    async with sessions() as db:
        again = await db.get(JudgingJob, job.id)
        assert again.finished_at == finished and again.status == "done"
