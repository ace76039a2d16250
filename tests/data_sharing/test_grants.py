"""Stewards end access early (revoke a grant, remove a member), with a reason, audited; the team loses access on
its next request. The expiry job marks and tells once; access never waits for it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.data_sharing import jobs
from app.data_sharing.models import Grant, GrantMember
from app.db import utcnow
from app.notifications.models import Notification
from app.platform.models import AuditEntry
from tests.data_sharing.access_support import log_rows, make_cast
from tests.factories import make_user, sign_in


async def _audit(db, action):
    return list((await db.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def _notified(db, kind):
    return set((await db.scalars(select(Notification.user_id).where(Notification.kind == kind))).all())


async def test_a_steward_revokes_with_a_reason_and_the_team_loses_access_at_once(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.steward)
    page = await client.get(f"/grants/{cast.grant.id}")
    assert page.status_code == 200 and "Revoke the grant" in page.text
    response = await client.submit(
        f"/grants/{cast.grant.id}/revoke", {"reason": "Data shared outside the team."}
    )
    assert response.status_code == 303
    await db.refresh(cast.grant)
    assert cast.grant.revoked_at is not None and cast.grant.revoked_by_id == cast.steward.id
    [entry] = await _audit(db, "grant:revoke")
    assert entry.actor_id == cast.steward.id and entry.details["reason"] == "Data shared outside the team."
    assert {cast.captain.id, cast.member.id, cast.unnamed.id, cast.steward.id} <= await _notified(
        db, "grant_revoked"
    )
    await sign_in(client, db, cast.member)
    assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code == 403
    assert (await log_rows(db, cast.dataset.id))[-1].reason == "revoked"
    assert "Data shared outside the team." in (await client.get(f"/grants/{cast.grant.id}")).text


async def test_revoking_needs_a_reason_and_happens_once(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.steward)
    response = await client.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "  "})
    assert response.status_code == 422 and "Say why" in response.text
    assert (await db.get(Grant, cast.grant.id)).revoked_at is None
    assert (await client.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "Ended"})).status_code == 303
    response = await client.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "Again"})
    assert response.status_code == 409


async def test_a_steward_removes_one_member_who_alone_loses_access(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.steward)
    url = f"/grants/{cast.grant.id}/members/{cast.member.id}/remove"
    assert (await client.submit(url, {"reason": ""})).status_code == 422
    assert (await client.submit(url, {"reason": "Left the project."})).status_code == 303
    row = await db.get(GrantMember, (cast.grant.id, cast.member.id))
    await db.refresh(row)
    assert row.removed_at is not None and row.removed_reason == "Left the project."
    assert (await _audit(db, "grant:remove_member"))[0].details["user_id"] == str(cast.member.id)
    assert await _notified(db, "grant_member_removed") == {cast.member.id}
    assert (await client.submit(url, {"reason": "Again"})).status_code == 409
    await sign_in(client, db, cast.member)
    assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code == 403
    await sign_in(client, db, cast.captain)
    assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code == 303


@pytest.mark.parametrize("who, view, manage", [
    ("steward", 200, 303), ("captain", 200, 403), ("member", 200, 403), ("unnamed", 200, 403),
    ("founder", 200, 403), ("outsider", 404, 404), ("admin", 404, 404),
])  # fmt: skip
async def test_grant_permissions_per_role(client, db, settings, who, view, manage):
    cast = await make_cast(db, settings)
    user = await make_user(db, admin=True) if who == "admin" else getattr(cast, who)
    await sign_in(client, db, user)
    assert (await client.get(f"/grants/{cast.grant.id}")).status_code == view
    remove = await client.submit(
        f"/grants/{cast.grant.id}/members/{cast.member.id}/remove", {"reason": "Why"}
    )
    assert remove.status_code == manage
    revoke = await client.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "Why"})
    assert revoke.status_code == manage


async def test_visitors_are_sent_to_sign_in_for_grants(client, db, settings):
    cast = await make_cast(db, settings)
    assert (await client.get(f"/grants/{cast.grant.id}")).status_code in (303, 401)


async def test_the_job_expires_once_and_warns_a_week_before_once(db, settings):
    now = utcnow()
    ended = await make_cast(
        db, settings, starts_at=now - dt.timedelta(days=10), expires_at=now - dt.timedelta(minutes=1)
    )
    ending = await make_cast(
        db, settings, starts_at=now - dt.timedelta(days=10), expires_at=now + dt.timedelta(days=6)
    )
    later = await make_cast(
        db, settings, starts_at=now - dt.timedelta(days=10), expires_at=now + dt.timedelta(days=8)
    )
    assert await jobs.run_grant_expiry(db, now) == (1, 1)
    assert await jobs.run_grant_expiry(db, now) == (0, 0)
    for cast in (ended, ending, later):
        await db.refresh(cast.grant)
    assert ended.grant.expired_at == now and ended.grant.warned_at is None
    assert ending.grant.warned_at == now and ending.grant.expired_at is None
    assert later.grant.warned_at is None and later.grant.expired_at is None
    [entry] = [e for e in await _audit(db, "grant:expire") if e.object_id == str(ended.grant.id)]
    assert entry.actor_id is None
    assert {ended.captain.id, ended.steward.id} <= await _notified(db, "grant_expired")
    assert {ending.member.id, ending.steward.id} <= await _notified(db, "grant_expiring")
    count = await db.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == ending.member.id)
    )
    assert count == 1


async def test_a_revoked_grant_is_neither_warned_nor_expired(db, settings):
    now = utcnow()
    cast = await make_cast(
        db, settings, starts_at=now - dt.timedelta(days=10), expires_at=now - dt.timedelta(minutes=1)
    )
    cast.grant.revoked_at = now - dt.timedelta(days=1)
    await db.flush()
    assert await jobs.run_grant_expiry(db, now) == (0, 0)


def test_the_cron_job_is_registered():
    from app.worker import cron_jobs

    assert any(job.coroutine is jobs.grant_expiry for job in cron_jobs())
