"""Two stewards deciding, and the captain withdrawing, at the same moment: one decision wins, the others get 409
with the current state; every accepted step is in the history; never two grants, never one for a withdrawn
request. Runs on a scratch database where each request has its own connection and commits for real."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.data_sharing.models import AccessRequest, AccessRequestEvent, DatasetSteward, Grant
from app.db import utcnow
from tests import scratch
from tests.data_sharing.request_support import make_cast
from tests.data_sharing.test_requests import submitted


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "request_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database) as sessions:
        yield sessions


async def committed(sessions, rounds: int):
    """The cast (with a second named steward) and `rounds` submitted requests, committed."""
    async with sessions() as session:
        cast = await make_cast(session)
        session.add(DatasetSteward(dataset_id=cast.dataset.id, user_id=cast.steward_org_member.id))
        made = [await submitted(session, cast) for _ in range(rounds)]
        await session.commit()
    return cast, [request.id for request in made]


async def test_approve_reject_return_and_withdraw_at_once_end_in_one_consistent_state(app, sessions, redis):
    cast, request_ids = await committed(sessions, 6)
    expires = (utcnow() + dt.timedelta(days=20)).isoformat()
    async with (
        scratch.app_on(app, sessions),
        scratch.browsers(app, sessions, [cast.steward, cast.steward_org_member, cast.captain]) as (
            steward,
            other_steward,
            captain,
        ),
    ):
        for index, request_id in enumerate(request_ids):
            base = f"/api/v1/data-requests/{request_id}"
            decide = (
                ("/reject", {"reason": "Too broad."})
                if index % 2
                else ("/return", {"comment": "Be precise."})
            )
            calls = [
                steward.post(
                    base + "/approve",
                    json={"expires_at": expires},
                    headers={"X-CSRF-Token": await steward.csrf()},
                ),
                other_steward.post(
                    base + decide[0], json=decide[1], headers={"X-CSRF-Token": await other_steward.csrf()}
                ),
                captain.post(base + "/withdraw", headers={"X-CSRF-Token": await captain.csrf()}),
            ]
            answers = await asyncio.gather(*calls)
            codes = sorted(answer.status_code for answer in answers)
            assert codes[0] == 200 and codes[1:] in ([409, 409], [200, 409]), [a.text for a in answers]
            async with sessions() as session:
                request = await session.get(AccessRequest, request_id)
                events = list(await session.scalars(
                    select(AccessRequestEvent).where(AccessRequestEvent.request_id == request_id).order_by(AccessRequestEvent.seq)
                ))  # fmt: skip
                grants = await session.scalar(
                    select(func.count()).select_from(Grant).where(Grant.request_id == request_id)
                )
            # A return may be followed by the captain's withdrawal (both allowed in that order); nothing else.
            steps = [event.to_state for event in events[2:]]
            assert len(steps) == codes.count(200), steps
            assert request.state == steps[-1]
            assert grants == (1 if request.state == "approved" else 0)
            for answer in answers:
                if answer.status_code == 409:
                    assert answer.json()["state"] in ("approved", "rejected", "returned", "withdrawn")
                    assert answer.json()["detail"]


async def _holding(sessions, work, started: asyncio.Event | None, hold: float) -> str:
    """Run `work(session)`; with `started`, signal and keep the transaction open `hold` seconds before commit."""
    from app.platform.errors import Conflict

    async with sessions() as session:
        try:
            await work(session)
        except Conflict as exc:
            await session.rollback()
            return f"409 {exc.extra['state']}"
        if started is not None:
            started.set()
            await asyncio.sleep(hold)
        await session.commit()
        return "done"


@pytest.mark.parametrize("first", ["approve", "withdraw"])
async def test_a_transition_waiting_on_the_lock_sees_the_winners_state(sessions, first):
    from app.accounts.sessions import actor_from_user as act
    from app.data_sharing import approvals, requests

    cast, (request_id,) = await committed(sessions, 1)
    now = utcnow()

    async def approve(session):
        await approvals.approve(
            session, act(cast.steward), request_id, now + dt.timedelta(days=5), now, grace_days=30
        )

    async def withdraw(session):
        await requests.withdraw(session, act(cast.captain), request_id, now)

    started = asyncio.Event()
    works = {"approve": approve, "withdraw": withdraw}
    second_name = "withdraw" if first == "approve" else "approve"

    async def second() -> str:
        await started.wait()
        return await _holding(sessions, works[second_name], None, 0)

    outcomes = await asyncio.gather(_holding(sessions, works[first], started, 0.3), second())
    winner_state = "approved" if first == "approve" else "withdrawn"
    assert outcomes == ["done", f"409 {winner_state}"]
    async with sessions() as session:
        grants = await session.scalar(
            select(func.count()).select_from(Grant).where(Grant.request_id == request_id)
        )
        states = list(await session.scalars(
            select(AccessRequestEvent.to_state).where(AccessRequestEvent.request_id == request_id).order_by(AccessRequestEvent.seq)
        ))  # fmt: skip
    assert states == ["draft", "submitted", winner_state]
    assert grants == (1 if first == "approve" else 0)
