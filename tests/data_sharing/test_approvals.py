"""Approval makes the grant in the same transaction; expiry past the challenge's end plus grace, or past the
dataset's longest duration, is refused with a message; an amended request adds a member to the grant."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.accounts.sessions import actor_from_user as act
from app.challenges.models import Round
from app.data_sharing import approvals, requests
from app.data_sharing.models import Grant, GrantMember
from app.db import utcnow
from app.platform.errors import Conflict, InvalidInput
from app.platform.models import AuditEntry
from tests.data_sharing.request_support import make_cast
from tests.data_sharing.test_requests import submitted

DAY = dt.timedelta(days=1)


async def test_approval_makes_the_grant_for_the_named_members(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    now = utcnow()
    grant = await approvals.approve(db, act(cast.steward), request.id, now + 30 * DAY, now, grace_days=30)
    assert request.state == "approved"
    assert (grant.team_id, grant.dataset_id, grant.starts_at, grant.expires_at) == (
        cast.team.id,
        cast.dataset.id,
        now,
        now + 30 * DAY,
    )
    members = list(await db.scalars(select(GrantMember.user_id).where(GrantMember.grant_id == grant.id)))
    assert members == [cast.member.id]
    actions = set(
        await db.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id.in_([str(request.id), str(grant.id)]))
        )
    )
    assert {"access_request:approved", "grant:create"} <= actions


async def test_an_expiry_past_the_datasets_longest_duration_is_refused(db):
    cast = await make_cast(db, max_grant_days=10)
    request = await submitted(db, cast)
    now = utcnow()
    with pytest.raises(InvalidInput) as refused:
        await approvals.approve(
            db, act(cast.steward), request.id, now + 10 * DAY + dt.timedelta(seconds=1), now, grace_days=30
        )
    assert "at most 10 days" in refused.value.errors["expires_at"]
    assert request.state == "submitted"
    await approvals.approve(db, act(cast.steward), request.id, now + 10 * DAY, now, grace_days=30)


async def test_an_expiry_past_the_challenges_end_plus_grace_is_refused(db):
    cast = await make_cast(db, max_grant_days=1000)
    request = await submitted(db, cast)
    now = utcnow()
    last_deadline = await db.scalar(
        select(func.max(Round.deadline)).where(Round.challenge_id == cast.challenge.id)
    )
    end = max(cast.challenge.judging_ends_at, last_deadline)
    cast.challenge.results_at = end + 5 * DAY  # the latest of the three is the end
    await db.flush()
    with pytest.raises(InvalidInput) as refused:
        await approvals.approve(
            db,
            act(cast.steward),
            request.id,
            end + 5 * DAY + 7 * DAY + dt.timedelta(seconds=1),
            now,
            grace_days=7,
        )
    assert "plus 7 days of grace" in refused.value.errors["expires_at"]
    await approvals.approve(db, act(cast.steward), request.id, end + 12 * DAY, now, grace_days=7)


@pytest.mark.parametrize("expires", [None, "before"])
async def test_an_expiry_is_required_and_after_the_start(db, expires):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    now = utcnow()
    with pytest.raises(InvalidInput) as refused:
        await approvals.approve(
            db, act(cast.steward), request.id, now - DAY if expires else None, now, grace_days=30
        )
    assert "expires_at" in refused.value.errors


async def test_only_a_submitted_request_is_approved(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    await requests.withdraw(db, act(cast.captain), request.id, utcnow())
    with pytest.raises(Conflict, match="Withdrawn"):
        await approvals.approve(db, act(cast.steward), request.id, utcnow() + DAY, utcnow(), grace_days=30)
    assert await db.scalar(select(func.count()).select_from(Grant).where(Grant.request_id == request.id)) == 0


async def test_an_amended_request_adds_one_member_to_the_active_grant(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    now = utcnow()
    grant = await approvals.approve(db, act(cast.steward), request.id, now + 30 * DAY, now, grace_days=30)
    with pytest.raises(InvalidInput) as refused:
        await approvals.ask_to_add_member(db, act(cast.captain), grant.id, cast.member.id, "Again", now)
    assert refused.value.errors  # the member already on the grant is refused with a message
    amended = await approvals.ask_to_add_member(
        db, act(cast.captain), grant.id, cast.other_member.id, "Olga joins the analysis.", now
    )
    assert amended.amends_grant_id == grant.id
    await requests.accept_agreement(db, act(cast.other_member), amended.id, now)
    await requests.submit(db, act(cast.captain), amended.id, now)
    same = await approvals.approve(db, act(cast.steward), amended.id, None, now, grace_days=30)
    assert same.id == grant.id
    members = set(await db.scalars(select(GrantMember.user_id).where(GrantMember.grant_id == grant.id)))
    assert members == {cast.member.id, cast.other_member.id}
    assert await db.scalar(select(func.count()).select_from(Grant).where(Grant.team_id == cast.team.id)) == 1


async def test_an_amended_request_names_exactly_one_member(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    now = utcnow()
    grant = await approvals.approve(db, act(cast.steward), request.id, now + 30 * DAY, now, grace_days=30)
    amended = await approvals.ask_to_add_member(
        db, act(cast.captain), grant.id, cast.other_member.id, "Olga joins.", now
    )
    with pytest.raises(InvalidInput):
        await requests.edit(
            db, act(cast.captain), amended.id, "Both", [cast.other_member.id, cast.captain.id], now
        )


async def test_the_grace_period_is_a_setting():
    from app.settings import Settings

    assert Settings.from_env({"GRANT_GRACE_DAYS": "12", "SECRET_KEY": "x" * 40}).grant_grace_days == 12
    assert Settings.from_env({"SECRET_KEY": "x" * 40}).grant_grace_days == 30


async def test_the_api_asks_to_add_a_member_to_the_grant(db, client):
    from tests.factories import sign_in

    cast = await make_cast(db)
    request = await submitted(db, cast)
    now = utcnow()
    grant = await approvals.approve(db, act(cast.steward), request.id, now + 30 * DAY, now, grace_days=30)
    await sign_in(client, db, cast.captain)
    headers = {"X-CSRF-Token": await client.csrf()}
    body = {"offering_id": str(cast.offering.id), "purpose": "Olga joins.", "amends_grant_id": str(grant.id)}
    two = await client.post("/api/v1/data-requests", headers=headers,
                            json=body | {"members": [str(cast.other_member.id), str(cast.captain.id)]})  # fmt: skip
    assert two.status_code == 422
    one = await client.post(
        "/api/v1/data-requests", headers=headers, json=body | {"members": [str(cast.other_member.id)]}
    )
    assert one.status_code == 201 and one.json()["amends_grant_id"] == str(grant.id)
