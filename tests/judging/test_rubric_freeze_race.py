"""A finalize and a rubric change arriving together are serialized on the round's settings row: either the
change lands first (and the finalize sees the new criterion), or the finalize does (and the change is
refused because the rubric froze). Never a final review whose rubric changed afterwards."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app.accounts.sessions import actor_from_user
from app.judging import rubrics, scoring
from app.judging.models import Criterion, JudgingRound, Review, Score
from app.platform.errors import Conflict, InvalidInput
from tests.factories import make_judged_round
from tests.scratch import scratch_database, scratch_sessions


@pytest.fixture(scope="module")
def race_database(servers):
    with scratch_database(servers, "freeze_race") as url:
        yield url


async def scored_round(sessions):
    async with sessions() as db:
        judged = await make_judged_round(db, teams=1, judges=1, criteria=2)
        review = Review(
            submission_id=judged.entries[0].id, user_id=judged.judges[0].id, round_id=judged.round.id
        )
        db.add(review)
        await db.flush()
        db.add_all(Score(review_id=review.id, criterion_id=c.id, value=5) for c in judged.criteria)
        await db.commit()
    return judged


NEW_CRITERION = {"name": "Ethics", "weight": "1", "scale_min": "0", "scale_max": "10", "scale_step": "1"}


async def test_a_finalize_waits_for_a_rubric_change_in_progress_and_sees_it(race_database):
    async with scratch_sessions(race_database) as sessions:
        judged = await scored_round(sessions)
        judge = actor_from_user(judged.judges[0])
        async with sessions() as editing:
            # The founder's change holds the settings row (as rubric changes do) ...
            await editing.scalar(
                select(JudgingRound).where(JudgingRound.round_id == judged.round.id).with_for_update()
            )

            async def finalize():
                async with sessions() as db:
                    await scoring.finalize(db, judge, judged.entries[0].id, judged.now)
                    await db.commit()

            finalizing = asyncio.create_task(finalize())
            await asyncio.sleep(0.5)
            assert not finalizing.done(), "the finalize did not wait for the rubric change"
            editing.add(
                Criterion(
                    round_id=judged.round.id,
                    position=9,
                    name="Ethics",
                    weight=1,
                    scale_min=0,
                    scale_max=10,
                    scale_step=1,
                )
            )
            await editing.commit()
        # ... so the finalize sees the new criterion and refuses: it has no score.
        with pytest.raises(InvalidInput) as refused:
            await finalizing
        assert "Ethics" in refused.value.errors["finalize"]


async def test_a_rubric_change_after_a_finalize_is_refused(race_database):
    async with scratch_sessions(race_database) as sessions:
        judged = await scored_round(sessions)
        judge, founder = actor_from_user(judged.judges[0]), actor_from_user(judged.founder)
        async with sessions() as db:
            await scoring.finalize(db, judge, judged.entries[0].id, judged.now)
            await db.commit()
        async with sessions() as db:
            with pytest.raises(Conflict):
                await rubrics.add_criterion(db, founder, judged.round.id, NEW_CRITERION)
