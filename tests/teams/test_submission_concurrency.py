"""Two members saving the same draft at once: exactly one save per base version wins, the other is told.

These run on a scratch database of their own (migrated once for the module), where each request has
its own connection and commits for real, as two web processes would.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app.accounts.sessions import actor_from_user
from app.db import utcnow
from app.teams import submissions
from app.teams.models import Submission, SubmissionVersion
from tests import scratch
from tests.conftest import make_client
from tests.factories import sign_in
from tests.teams.submission_support import make_cast

# Long enough for the other transaction to reach the lock and wait on it.
HOLD = 0.3


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "submission_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database) as sessions:
        yield sessions


async def committed_cast(sessions):
    async with sessions() as session:
        cast = await make_cast(session)
        await session.commit()
    return cast


async def versions(sessions, cast) -> list[SubmissionVersion]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(SubmissionVersion)
                .join(Submission, Submission.id == SubmissionVersion.submission_id)
                .where(Submission.team_id == cast.team.id)
                .order_by(SubmissionVersion.number)
            )
        )


async def test_two_members_saving_at_once_over_http_one_wins_per_base_version_and_nothing_is_lost(
    app, sessions, redis
):
    cast = await committed_cast(sessions)
    url = cast.api + "/submission"
    async with scratch.app_on(app, sessions), make_client(app) as captain, make_client(app) as member:
        async with sessions() as session:
            await sign_in(captain, session, cast.captain)
            await sign_in(member, session, cast.member)
            await session.commit()
        headers = {browser: {"X-CSRF-Token": await browser.csrf()} for browser in (captain, member)}
        winners = []
        for base in range(5):
            answers = await asyncio.gather(
                *(
                    browser.put(
                        url,
                        json={"base_version": base, "answers": {"pitch": f"{who} {base}"}},
                        headers=headers[browser],
                    )
                    for browser, who in ((captain, "Carla"), (member, "Milo"))
                )
            )
            assert sorted(response.status_code for response in answers) == [200, 409], [
                r.text for r in answers
            ]
            won = next(response for response in answers if response.status_code == 200).json()
            lost = next(response for response in answers if response.status_code == 409).json()
            assert won["version"] == base + 1
            assert lost["current_version"] == base + 1 and lost["updated_by"] in (
                "Carla Captain",
                "Milo Member",
            )
            winners.append(won["answers"]["pitch"])
    saved = await versions(sessions, cast)
    assert [version.number for version in saved] == [1, 2, 3, 4, 5]
    assert [version.answers["pitch"] for version in saved] == winners


async def test_a_save_waiting_on_the_lock_of_another_is_refused_once_that_one_commits(sessions):
    """The first save holds the submission's row (here: creates it) while the second arrives on the same base."""
    cast = await committed_cast(sessions)
    first_saved = asyncio.Event()

    async def save(person, pitch: str, hold: bool) -> str:
        async with sessions() as session:
            try:
                await submissions.save_draft(
                    session, actor_from_user(person), cast.team.id, cast.round.id, utcnow(),
                    base_version=0, answers={"pitch": pitch},
                )  # fmt: skip
            except submissions.VersionConflict as exc:
                await session.rollback()
                return f"conflict with version {exc.version} by {exc.by}"
            if hold:
                first_saved.set()
                await asyncio.sleep(HOLD)
            await session.commit()
            return "saved"

    async def second() -> str:
        await first_saved.wait()
        return await save(cast.member, "Milo's", hold=False)

    outcomes = await asyncio.gather(save(cast.captain, "Carla's", hold=True), second())
    assert outcomes == ["saved", "conflict with version 1 by Carla Captain"]
    assert [version.answers for version in await versions(sessions, cast)] == [{"pitch": "Carla's"}]
