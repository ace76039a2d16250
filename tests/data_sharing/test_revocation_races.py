"""Revocation racing access, and approval of an amended request racing revocation, on committed data with one
connection per request (a scratch database), each race repeated to make it bite.

(a) A steward revokes while a member asks for links and downloads: every attempt is answered 2xx/303 or 403,
    every attempt is in the access log, an attempt started after the revocation answered is refused, a link
    issued before is refused at download afterwards, and no access is logged as allowed once the revocation
    committed (the access rule waits for a revocation under way, and the revocation for the decisions).
(b) A steward approves a request to add a member while another revokes the grant it amends: the revocation
    always holds; the approval either came first (the member was added, then lost access with everyone) or
    is refused with 409 (nobody added, the revocation closed the request); every accepted step is in the
    request's history and the audit log, and neither transaction fails on a deadlock (both lock the grant
    before the request).
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import func, select

from app.accounts.sessions import actor_from_user as act
from app.data_sharing import access, approvals, grants, links, requests
from app.data_sharing.models import (
    AccessLogEntry,
    AccessRequest,
    AccessRequestEvent,
    DatasetSteward,
    Grant,
    GrantMember,
)
from app.db import utcnow
from app.platform.errors import Conflict
from app.platform.models import AuditEntry
from tests import scratch
from tests.conftest import SECRET
from tests.data_sharing.access_support import make_cast
from tests.factories import make_user

ROUNDS = 6
# Accesses start at random over this many seconds, about as long as a revocation takes, so that some
# of them are decided while it is under way.
SPREAD = 0.15
# Long enough for the other transaction to reach the lock and wait on it.
HOLD = 0.3


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "revoke_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database, pool_size=12, max_overflow=0) as sessions:
        yield sessions


async def _log(sessions, grant_id=None, dataset_id=None) -> list[AccessLogEntry]:
    async with sessions() as session:
        statement = select(AccessLogEntry).order_by(AccessLogEntry.id)
        if grant_id is not None:
            statement = statement.where(AccessLogEntry.grant_id == grant_id)
        if dataset_id is not None:
            statement = statement.where(AccessLogEntry.dataset_id == dataset_id)
        return list(await session.scalars(statement))


async def _watch(sessions, grant_id, stop: asyncio.Event) -> list[tuple[bool, int]]:
    """Snapshots, as fast as they come, of (revocation visible, allowed accesses logged), each in one statement
    so the two agree: once the revocation is visible the count must never grow."""
    seen: list[tuple[bool, int]] = []
    allowed = select(func.count()).where(
        AccessLogEntry.grant_id == grant_id, AccessLogEntry.outcome == "allowed"
    )
    statement = select(Grant.revoked_at.is_not(None), allowed.scalar_subquery()).where(Grant.id == grant_id)
    async with sessions() as session:
        while not stop.is_set():
            seen.append(tuple((await session.execute(statement)).one()))
            await session.commit()
    return seen


async def _allowed(sessions, grant_id) -> int:
    async with sessions() as session:
        return await session.scalar(
            select(func.count()).where(
                AccessLogEntry.grant_id == grant_id, AccessLogEntry.outcome == "allowed"
            )
        )


# --- (a) revoking while downloading ------------------------------------------------------------------


async def test_revoking_while_a_member_downloads_never_lets_an_access_through_after_the_revocation(
    app, sessions, settings, redis
):
    for round_number in range(ROUNDS):
        await _revoke_during_downloads(app, sessions, settings, round_number)


async def _revoke_during_downloads(app, sessions, settings, round_number: int) -> None:
    async with sessions() as session:
        cast = await make_cast(session, settings)
        await session.commit()
    async with (
        scratch.app_on(app, sessions),
        scratch.browsers(app, sessions, [cast.steward, cast.member, cast.member]) as (
            steward,
            member,
            second_tab,
        ),
    ):
        first = await member.submit(f"/data/files/{cast.file.id}/link")
        assert first.status_code == 303
        link = first.headers["location"]
        revoked_answered: list[float] = []
        attempts: list[tuple[str, float, int]] = []  # (what, sent at, status)

        async def revoke():
            await asyncio.sleep(random.uniform(0, 0.02))
            answer = await steward.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "Protocol breach."})
            revoked_answered.append(time.monotonic())
            allowed_then = await _allowed(sessions, cast.grant.id)
            return answer.status_code, allowed_then

        async def download(client, url, what):
            await asyncio.sleep(random.uniform(0, SPREAD))
            sent = time.monotonic()
            answer = await client.get(url)
            attempts.append((what, sent, answer.status_code))
            return answer

        async def link_then_download():
            await asyncio.sleep(random.uniform(0, SPREAD))
            sent = time.monotonic()
            issued = await member.submit(f"/data/files/{cast.file.id}/link")
            attempts.append(("link", sent, issued.status_code))
            if issued.status_code == 303:
                await download(member, issued.headers["location"], "download")

        stop = asyncio.Event()
        watching = asyncio.create_task(_watch(sessions, cast.grant.id, stop))
        outcome, *_ = await asyncio.gather(
            revoke(),
            *(download(tab, link, "download") for tab in (member, second_tab) * 4),
            *(link_then_download() for _ in range(3)),
        )
        stop.set()
        snapshots = await watching
        revoke_status, allowed_when_revoked = outcome
        after = await member.get(link)
        attempts.append(("download", time.monotonic(), after.status_code))

    assert revoke_status == 303
    assert after.status_code == 403, "a link issued before the revocation is refused after it"
    for what, sent, status in attempts:
        assert status in ((303,) if what == "link" else (200,)) + (403,), (what, status)
        if sent > revoked_answered[0]:
            assert status == 403, (round_number, what, "started after the revocation answered")
    after_revocation = {count for revoked, count in snapshots if revoked}
    assert len(after_revocation) <= 1, (
        round_number,
        "an access was logged as allowed after the revocation",
        snapshots,
    )
    assert await _allowed(sessions, cast.grant.id) == allowed_when_revoked, (
        round_number,
        "an access was logged as allowed after the revocation committed",
    )
    rows = [row for row in await _log(sessions, dataset_id=cast.dataset.id) if row.user_id == cast.member.id]
    assert len(rows) == 1 + len(attempts), "every attempt is in the access log"
    statuses = [status for _what, _sent, status in attempts]
    assert sum(row.outcome == "allowed" for row in rows) == 1 + sum(s != 403 for s in statuses)
    refused = [row for row in rows if row.outcome == "refused"]
    assert len(refused) == statuses.count(403) and {row.reason for row in refused} == {"revoked"}


async def _holding(sessions, work, started: asyncio.Event | None, hold: float):
    """Run `work(session)`; with `started`, signal and keep the transaction open `hold` seconds before commit.
    Returns what happened and when it ended."""
    async with sessions() as session:
        try:
            result = await work(session)
        except PermissionDeniedException as exc:
            return "403 " + str(exc.detail), time.monotonic()
        except Conflict as exc:
            await session.rollback()
            return "409 " + str(exc.detail), time.monotonic()
        if started is not None:
            started.set()
            await asyncio.sleep(hold)
        await session.commit()
        return result, time.monotonic()


async def _committed_cast(sessions, settings):
    async with sessions() as session:
        cast = await make_cast(session, settings)
        await session.commit()
    async with sessions() as session:
        link = await links.issue(session, act(cast.member), SECRET, cast.file.id, utcnow())
        await session.commit()
    return cast, link.token


async def test_a_download_during_an_uncommitted_revocation_waits_for_it_and_is_refused(sessions, settings):
    cast, token = await _committed_cast(sessions, settings)
    started = asyncio.Event()

    async def revoke(session):
        await grants.revoke(session, act(cast.steward), cast.grant.id, "Protocol breach.", utcnow())
        return "revoked"

    waited_from: list[float] = []

    async def download():
        await started.wait()
        waited_from.append(time.monotonic())
        return await _holding(
            sessions, lambda s: links.redeem(s, act(cast.member), SECRET, token, utcnow()), None, 0
        )

    (revoked, _revoke_done), (downloaded, download_done) = await asyncio.gather(
        _holding(sessions, revoke, started, HOLD), download()
    )
    assert revoked == "revoked"
    assert downloaded == "403 " + str(access.REASONS["revoked"])
    assert download_done - waited_from[0] >= HOLD - 0.05, "the download waited for the revocation to commit"
    rows = await _log(sessions, grant_id=cast.grant.id)
    assert [(row.action, row.outcome, row.reason) for row in rows] == [
        ("link", "allowed", ""),
        ("download", "refused", "revoked"),
    ]


async def test_a_revocation_waits_for_the_download_decided_before_it(sessions, settings):
    cast, token = await _committed_cast(sessions, settings)
    started = asyncio.Event()

    async def download(session):
        file = await links.redeem(session, act(cast.member), SECRET, token, utcnow())
        return file.id

    async def revoke():
        await started.wait()

        async def work(session):
            await grants.revoke(session, act(cast.steward), cast.grant.id, "Protocol breach.", utcnow())
            return "revoked"

        return await _holding(sessions, work, None, 0)

    began = time.monotonic()
    (downloaded, _download_done), (revoked, revoke_done) = await asyncio.gather(
        _holding(sessions, download, started, HOLD), revoke()
    )
    assert downloaded == cast.file.id and revoked == "revoked"
    assert revoke_done - began >= HOLD, "the revocation waited for the download to commit"
    rows = await _log(sessions, grant_id=cast.grant.id)
    assert [(row.action, row.outcome) for row in rows] == [("link", "allowed"), ("download", "allowed")]
    async with sessions() as session:
        decision = await access.decide(session, cast.member.id, cast.dataset.id, utcnow())
    assert decision.reason == "revoked"


# --- (b) approving an amendment while revoking -------------------------------------------------------


async def _amendment(sessions, settings):
    """A grant naming the captain and Max, a submitted request to add Olive (who accepted the agreement), and
    a second steward of the dataset; committed."""
    async with sessions() as session:
        cast = await make_cast(session, settings)
        cast.second_steward = await make_user(session, name="Stella Steward")
        session.add(DatasetSteward(dataset_id=cast.dataset.id, user_id=cast.second_steward.id))
        await session.flush()
        now = utcnow()
        asked = await approvals.ask_to_add_member(
            session, act(cast.captain), cast.grant.id, cast.unnamed.id, "Olive joins.", now
        )
        await requests.accept_agreement(session, act(cast.unnamed), asked.id, now)
        await requests.submit(session, act(cast.captain), asked.id, now)
        await session.commit()
    return cast, asked.id


async def _end_state(sessions, cast, request_id):
    async with sessions() as session:
        request = await session.get(AccessRequest, request_id)
        grant = await session.get(Grant, cast.grant.id)
        added = await session.get(GrantMember, (cast.grant.id, cast.unnamed.id))
        steps = list(await session.scalars(
            select(AccessRequestEvent.kind).where(AccessRequestEvent.request_id == request_id).order_by(AccessRequestEvent.seq)
        ))  # fmt: skip
        audited = list(await session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id.in_([str(request_id), str(cast.grant.id)])).order_by(AuditEntry.id)
        ))  # fmt: skip
        decision = await access.decide(session, cast.unnamed.id, cast.dataset.id, utcnow())
    return request, grant, added, steps, audited, decision


def _check_consistent(approved: bool, request, grant, added, steps, audited, decision) -> None:
    assert grant.revoked_at is not None and audited.count("grant:revoke") == 1
    assert decision.allowed is False and decision.reason == "revoked"
    if approved:
        assert request.state == "approved" and steps == ["created", "submitted", "approved"]
        assert added is not None and added.removed_at is None
        assert audited.count("access_request:approved") == 1 and audited.count("grant:add_member") == 1
    else:
        # the revocation closed the request it came before: off the stewards' board, in the history and audited
        assert request.state == "withdrawn" and steps == ["created", "submitted", "grant_revoked"]
        assert added is None
        assert "access_request:approved" not in audited and "grant:add_member" not in audited
        assert audited.count("access_request:grant_revoked") == 1


async def test_approving_an_amendment_while_the_grant_is_revoked_ends_in_one_consistent_state(
    app, sessions, settings, redis
):
    for _round in range(ROUNDS):
        await _approve_while_revoking(app, sessions, settings)


async def _approve_while_revoking(app, sessions, settings) -> None:
    cast, request_id = await _amendment(sessions, settings)
    async with (
        scratch.app_on(app, sessions),
        scratch.browsers(app, sessions, [cast.steward, cast.second_steward]) as (approver, revoker),
    ):

        async def approve():
            await asyncio.sleep(random.uniform(0, 0.02))
            return await approver.post(f"/api/v1/data-requests/{request_id}/approve", json={"comment": "Welcome."},
                                       headers={"X-CSRF-Token": await approver.csrf()})  # fmt: skip

        async def revoke():
            await asyncio.sleep(random.uniform(0, 0.02))
            return await revoker.post(f"/api/v1/grants/{cast.grant.id}/revoke", json={"reason": "Study closed."},
                                      headers={"X-CSRF-Token": await revoker.csrf()})  # fmt: skip

        approved, revoked = await asyncio.gather(approve(), revoke())
    assert revoked.status_code == 200, revoked.text
    assert approved.status_code in (200, 409), approved.text
    if approved.status_code == 409:
        assert approved.json()["detail"] == "The grant this request amends is no longer active."
    _check_consistent(approved.status_code == 200, *await _end_state(sessions, cast, request_id))


@pytest.mark.parametrize("first", ["approve", "revoke"])
async def test_an_amendment_and_a_revocation_serialize_on_the_grant(sessions, settings, first):
    cast, request_id = await _amendment(sessions, settings)
    started = asyncio.Event()

    async def approve(session):
        now = utcnow()
        return await approvals.approve(session, act(cast.steward), request_id, None, now, grace_days=30)

    async def revoke(session):
        return await grants.revoke(
            session, act(cast.second_steward), cast.grant.id, "Study closed.", utcnow()
        )

    works = {"approve": approve, "revoke": revoke}
    second_name = "revoke" if first == "approve" else "approve"

    async def second():
        await started.wait()
        return await _holding(sessions, works[second_name], None, 0)

    (first_result, _t1), (second_result, _t2) = await asyncio.gather(
        _holding(sessions, works[first], started, HOLD), second()
    )
    results = {first: first_result, second_name: second_result}
    assert isinstance(results["revoke"], Grant)
    if first == "approve":
        assert isinstance(results["approve"], Grant)
    else:
        assert results["approve"] == "409 The grant this request amends is no longer active."
    _check_consistent(first == "approve", *await _end_state(sessions, cast, request_id))
