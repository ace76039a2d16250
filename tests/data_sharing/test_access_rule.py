"""The access rule, condition by condition: every refusal names its reason and is in the access log even
though the refusal's request is rolled back; all conditions met, the access is allowed and logged."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import delete, update

from app.accounts.sessions import actor_from_user
from app.data_sharing import access
from app.data_sharing.models import AgreementAcceptance, AgreementVersion, Grant, GrantMember
from app.db import utcnow
from app.teams.models import TeamMember
from tests.data_sharing.access_support import log_rows, make_cast


async def attempt(db, user, dataset, now, file_id=None):
    """The rule as a content route runs it: the decision, or the 403 after logging the refusal."""
    try:
        decision = await access.require_access(
            db, actor_from_user(user), dataset.id, "download", now, file_id
        )
    except PermissionDeniedException as exc:
        return "refused", exc.detail
    return "allowed", decision


async def test_all_conditions_met_is_allowed_and_logged(db, settings):
    cast = await make_cast(db, settings)
    now = utcnow()
    outcome, decision = await attempt(db, cast.member, cast.dataset, now, cast.file.id)
    assert (
        outcome == "allowed"
        and decision.grant_id == cast.grant.id
        and decision.expires_at == cast.grant.expires_at
    )
    [row] = await log_rows(db, cast.dataset.id)
    assert (row.user_id, row.file_id, row.grant_id, row.team_id, row.outcome, row.reason, row.action) == (
        cast.member.id,
        cast.file.id,
        cast.grant.id,
        cast.team.id,
        "allowed",
        "",
        "download",
    )


async def _assert_refused(db, cast, user, reason, now=None):
    outcome, message = await attempt(db, user, cast.dataset, now or utcnow(), cast.file.id)
    assert outcome == "refused"
    assert message == str(access.REASONS[reason])
    row = (await log_rows(db, cast.dataset.id))[-1]
    assert (row.user_id, row.outcome, row.reason, row.file_id) == (user.id, "refused", reason, cast.file.id)


async def test_a_team_member_not_named_on_the_grant_is_refused(db, settings):
    cast = await make_cast(db, settings)
    await _assert_refused(db, cast, cast.unnamed, "not_named")


async def test_someone_outside_the_team_is_refused_as_holding_no_grant(db, settings):
    cast = await make_cast(db, settings)
    await _assert_refused(db, cast, cast.outsider, "no_grant")
    await _assert_refused(db, cast, cast.founder, "no_grant")
    await _assert_refused(db, cast, cast.steward, "no_grant")


async def test_a_named_member_who_left_the_team_is_refused(db, settings):
    cast = await make_cast(db, settings)
    await db.execute(
        delete(TeamMember).where(TeamMember.team_id == cast.team.id, TeamMember.user_id == cast.member.id)
    )
    await _assert_refused(db, cast, cast.member, "left_team")


async def test_a_new_agreement_version_must_be_accepted_again(db, settings):
    cast = await make_cast(db, settings)
    db.add(AgreementVersion(dataset_id=cast.dataset.id, version=2, text="Also: no export of row-level data."))
    await db.flush()
    await _assert_refused(db, cast, cast.member, "agreement_not_accepted")
    db.add(AgreementAcceptance(dataset_id=cast.dataset.id, user_id=cast.member.id, version=2))
    await db.flush()
    assert (await attempt(db, cast.member, cast.dataset, utcnow()))[0] == "allowed"


async def test_a_grant_that_has_not_started_is_refused(db, settings):
    now = utcnow()
    cast = await make_cast(
        db, settings, starts_at=now + dt.timedelta(days=2), expires_at=now + dt.timedelta(days=9)
    )
    await _assert_refused(db, cast, cast.member, "not_started", now)


async def test_a_grant_is_refused_at_its_exact_expiry_instant_without_the_job(db, settings):
    cast = await make_cast(db, settings)
    expiry = cast.grant.expires_at
    assert cast.grant.expired_at is None
    assert (await attempt(db, cast.member, cast.dataset, expiry - dt.timedelta(microseconds=1)))[
        0
    ] == "allowed"
    await _assert_refused(db, cast, cast.member, "expired", expiry)


async def test_a_revoked_grant_is_refused(db, settings):
    cast = await make_cast(db, settings)
    await db.execute(
        update(Grant).where(Grant.id == cast.grant.id).values(revoked_at=utcnow(), revoke_reason="Breach")
    )
    await _assert_refused(db, cast, cast.member, "revoked")


async def test_a_member_removed_from_the_grant_is_refused(db, settings):
    cast = await make_cast(db, settings)
    await db.execute(
        update(GrantMember)
        .where(GrantMember.grant_id == cast.grant.id, GrantMember.user_id == cast.member.id)
        .values(removed_at=utcnow(), removed_reason="Left the project")
    )
    await _assert_refused(db, cast, cast.member, "member_removed")
    assert (await attempt(db, cast.captain, cast.dataset, utcnow()))[0] == "allowed"


@pytest.mark.parametrize("accept", [False])
async def test_a_member_who_never_accepted_the_agreement_is_refused(db, settings, accept):
    cast = await make_cast(db, settings, accept=accept)
    await _assert_refused(db, cast, cast.member, "agreement_not_accepted")
