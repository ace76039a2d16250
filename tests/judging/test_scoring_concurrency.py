"""Scoring under real concurrency: 50 judges saving and finalizing at once on one round, and one judge's
autosaves of one criterion racing each other. Every score is saved exactly once and the ranking counts
every judge on every entry.

These run on a scratch database of their own (migrated once for the module), where each request has its
own connection and commits for real, as concurrent web processes would; the requests are real HTTP
requests to the app (half through the pages' htmx autosave, half through the API), sent at once with
asyncio.gather.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.judging.models import Review, Score
from app.judging.ranking import compute_ranking
from app.platform.models import AuditEntry
from tests import scratch
from tests.factories import make_judged_round

JUDGES = 50
ENTRIES = 2
CRITERIA = 2
# Connections for the requests in flight: enough for dozens of transactions to meet on the round's rows,
# while leaving room on the server for the other test workers.
POOL = 30


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "scoring_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(
        scratch_database, pool_size=POOL, max_overflow=0, pool_timeout=60
    ) as sessions:
        yield sessions


def given(judge: int, entry: int, criterion: int) -> int:
    """The value judge `judge` gives entry `entry` on criterion `criterion`: spread over the 0-10 scale."""
    return (judge * 3 + entry * 5 + criterion * 7) % 11


async def judge_everything(client, index: int, judged) -> list[int]:
    """One judge's work: save every criterion of every entry, then finalize each; half use the API."""
    token = {"X-CSRF-Token": await client.csrf()}
    codes = []
    for e, entry in enumerate(judged.entries):
        if index % 2:
            scores = {str(c.id): {"value": given(index, e, k)} for k, c in enumerate(judged.criteria)}
            codes.append(
                (
                    await client.put(
                        f"/api/v1/entries/{entry.id}/review", json={"scores": scores}, headers=token
                    )
                ).status_code
            )
            codes.append(
                (await client.post(f"/api/v1/entries/{entry.id}/review/finalize", headers=token)).status_code
            )
            continue
        saves = [
            client.htmx(
                "POST", f"/judge/entries/{entry.id}/scores/{c.id}", data={"value": str(given(index, e, k))}
            )
            for k, c in enumerate(judged.criteria)
        ]
        codes.extend(response.status_code for response in await asyncio.gather(*saves))
        codes.append((await client.htmx("POST", f"/judge/entries/{entry.id}/finalize")).status_code)
    return codes


def expected_means(judged) -> dict:
    """Each entry's mean weighted total (0-100) over the judges, computed here by hand."""
    weights = [Decimal(c.weight) for c in judged.criteria]
    means = {}
    for e, entry in enumerate(judged.entries):
        totals = [
            100 * sum(w * Decimal(given(j, e, k)) / 10 for k, w in enumerate(weights)) / sum(weights)
            for j in range(JUDGES)
        ]
        means[entry.id] = sum(totals) / JUDGES
    return means


async def test_fifty_judges_finalizing_at_once_save_every_score_once_and_rank_consistently(
    app, sessions, redis
):
    async with sessions() as session:
        judged = await make_judged_round(session, teams=ENTRIES, judges=JUDGES, criteria=CRITERIA)
        await session.commit()
    async with scratch.app_on(app, sessions), scratch.browsers(app, sessions, judged.judges) as clients:
        outcomes = await asyncio.gather(
            *(judge_everything(client, i, judged) for i, client in enumerate(clients))
        )
    assert all(code == 200 for codes in outcomes for code in codes), outcomes
    async with sessions() as session:
        reviews = list(await session.scalars(select(Review).where(Review.round_id == judged.round.id)))
        assert len(reviews) == JUDGES * ENTRIES and all(review.finalized_at for review in reviews)
        scores = (
            await session.execute(
                select(Review.user_id, Review.submission_id, Score.criterion_id, Score.value)
                .join(Score, Score.review_id == Review.id)
                .where(Review.round_id == judged.round.id)
            )
        ).all()
        judge_index = {judge.id: i for i, judge in enumerate(judged.judges)}
        entry_index = {entry.id: e for e, entry in enumerate(judged.entries)}
        criterion_index = {c.id: k for k, c in enumerate(judged.criteria)}
        assert len(scores) == JUDGES * ENTRIES * CRITERIA
        assert len({(u, s, c) for u, s, c, _v in scores}) == len(scores)
        for user_id, submission_id, criterion_id, value in scores:
            assert value == given(
                judge_index[user_id], entry_index[submission_id], criterion_index[criterion_id]
            )
        finalized = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "review:finalize")
        assert await session.scalar(finalized) == JUDGES * ENTRIES
        ranking = await compute_ranking(session, judged.round.id)
    assert ranking.judges == JUDGES and ranking.method == "mean" and not ranking.subsets_differ
    means = expected_means(judged)
    for entry in ranking.entries:
        assert entry.judges == JUDGES
        assert abs(entry.mean - means[entry.submission_id]) < Decimal("0.000001")
    assert [e.submission_id for e in ranking.entries] == sorted(means, key=means.__getitem__, reverse=True)


async def test_one_judges_racing_autosaves_of_one_criterion_leave_one_review_and_one_score(
    app, sessions, redis
):
    async with sessions() as session:
        judged = await make_judged_round(session, teams=1, judges=1, criteria=2)
        await session.commit()
    entry, (first, second) = judged.entries[0], judged.criteria
    tabs = 20
    async with (
        scratch.app_on(app, sessions),
        scratch.browsers(app, sessions, judged.judges * tabs) as clients,
    ):
        answers = await asyncio.gather(
            *(
                client.htmx(
                    "POST",
                    f"/judge/entries/{entry.id}/scores/{first.id}",
                    data={"value": str(i % 11), "comment": f"take {i}"},
                )
                for i, client in enumerate(clients)
            ),
            clients[0].htmx("POST", f"/judge/entries/{entry.id}/scores/{second.id}", data={"value": "4"}),
            clients[1].htmx("POST", f"/judge/entries/{entry.id}/comment", data={"comment": "Overall, good."}),
        )
    assert [response.status_code for response in answers] == [200] * (tabs + 2)
    async with sessions() as session:
        reviews = list(await session.scalars(select(Review).where(Review.submission_id == entry.id)))
        assert len(reviews) == 1 and reviews[0].comment == "Overall, good."
        rows = (
            await session.execute(
                select(Score.criterion_id, Score.value, Score.comment).where(Score.review_id == reviews[0].id)
            )
        ).all()
    by_criterion = {criterion_id: (value, comment) for criterion_id, value, comment in rows}
    assert len(rows) == 2 and by_criterion[second.id] == (Decimal(4), "")
    value, comment = by_criterion[first.id]
    take = int(comment.removeprefix("take "))
    assert value == take % 11  # value and comment of the same save, never a mix of two
