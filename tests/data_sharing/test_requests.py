"""Access requests: drafting, named members accepting the agreement, every transition and refusal, the history
with internal comments kept from the team, notifications both ways, audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import select

from app.accounts.sessions import actor_from_user as act
from app.data_sharing import requests, steward_board
from app.data_sharing.models import AccessRequestEvent, AgreementAcceptance, AgreementVersion
from app.db import utcnow
from app.notifications.models import Notification
from app.platform.errors import Conflict, InvalidInput
from app.platform.models import AuditEntry
from tests.conftest import text_of
from tests.data_sharing.request_support import make_cast
from tests.factories import make_team, make_user, sign_in

PURPOSE = "Train a model of heart failure decompensation."


async def draft(db, cast, members=None):
    members = members if members is not None else [cast.member.id]
    return await requests.create(
        db, act(cast.captain), cast.team.id, cast.offering.id, PURPOSE, members, utcnow()
    )


async def submitted(db, cast):
    request = await draft(db, cast)
    await requests.accept_agreement(db, act(cast.member), request.id, utcnow())
    await requests.submit(db, act(cast.captain), request.id, utcnow())
    return request


async def kinds(db, request_id):
    rows = await db.scalars(
        select(AccessRequestEvent.kind)
        .where(AccessRequestEvent.request_id == request_id)
        .order_by(AccessRequestEvent.seq)
    )
    return list(rows)


async def test_the_captain_drafts_a_request_with_a_created_event_and_an_audit_row(db):
    cast = await make_cast(db)
    request = await draft(db, cast)
    assert request.state == "draft"
    assert await kinds(db, request.id) == ["created"]
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.object_id == str(request.id)))
    assert audit.action == "access_request:create"


@pytest.mark.parametrize(
    ("purpose", "members", "field"),
    [("", "member", "purpose"), ("  ", "member", "purpose"), (PURPOSE, "none", "members"),
     (PURPOSE, "outsider", "members"), (PURPOSE, "garbage", "members")],
)  # fmt: skip
async def test_a_draft_needs_a_purpose_and_current_members(db, purpose, members, field):
    cast = await make_cast(db)
    chosen = {"member": [cast.member.id], "none": [], "outsider": [cast.other_user.id], "garbage": ["x"]}[
        members
    ]
    with pytest.raises(InvalidInput) as refused:
        await requests.create(
            db, act(cast.captain), cast.team.id, cast.offering.id, purpose, chosen, utcnow()
        )
    assert field in refused.value.errors


async def test_only_the_captain_drafts(db):
    cast = await make_cast(db)
    with pytest.raises(PermissionDeniedException):
        await requests.create(
            db, act(cast.member), cast.team.id, cast.offering.id, PURPOSE, [cast.member.id], utcnow()
        )
    for outsider in (cast.steward, cast.founder, cast.other_user, cast.admin):
        with pytest.raises((NotFoundException, PermissionDeniedException)):
            await requests.create(
                db, act(outsider), cast.team.id, cast.offering.id, PURPOSE, [cast.member.id], utcnow()
            )


async def test_an_offering_not_agreed_or_withdrawn_is_refused(db):
    cast = await make_cast(db, agreed=False)
    with pytest.raises(Conflict, match="not available"):
        await draft(db, cast)
    cast = await make_cast(db, withdrawn_at=utcnow())
    with pytest.raises(Conflict, match="not available"):
        await draft(db, cast)


async def test_an_offering_from_a_later_round_is_for_advanced_teams_only(db):
    from app.challenges.models import Round
    from app.judging.models import Advancement

    cast = await make_cast(db, rounds=2)
    second = await db.scalar(
        select(Round).where(Round.challenge_id == cast.challenge.id, Round.position == 2)
    )
    cast.offering.from_round_id = second.id
    await db.flush()
    with pytest.raises(Conflict, match="Round 2"):
        await draft(db, cast)
    db.add(Advancement(round_id=second.id, team_id=cast.team.id, decided_by_id=cast.founder.id))
    await db.flush()
    assert (await draft(db, cast)).state == "draft"


async def test_an_offering_of_another_challenge_is_not_found(db):
    cast = await make_cast(db)
    other = await make_cast(db)
    with pytest.raises(NotFoundException):
        await requests.create(
            db, act(cast.captain), cast.team.id, other.offering.id, PURPOSE, [cast.member.id], utcnow()
        )


async def test_submitting_needs_every_named_member_to_accept_the_version_in_force(db):
    cast = await make_cast(db)
    request = await draft(db, cast, [cast.member.id, cast.captain.id])
    with pytest.raises(InvalidInput) as refused:
        await requests.submit(db, act(cast.captain), request.id, utcnow())
    assert (
        "Milo Member" in refused.value.errors["members"]
        and "Carla Captain" in refused.value.errors["members"]
    )
    await requests.accept_agreement(db, act(cast.member), request.id, utcnow())
    await requests.accept_agreement(db, act(cast.captain), request.id, utcnow())
    # A new agreement version: accepting version 1 is no longer enough.
    db.add(AgreementVersion(dataset_id=cast.dataset.id, version=2, text="Version 2"))
    await db.flush()
    with pytest.raises(InvalidInput) as refused:
        await requests.submit(db, act(cast.captain), request.id, utcnow())
    assert "version 2" in refused.value.errors["members"]
    await requests.accept_agreement(db, act(cast.member), request.id, utcnow())
    await requests.accept_agreement(db, act(cast.captain), request.id, utcnow())
    await requests.submit(db, act(cast.captain), request.id, utcnow())
    assert request.state == "submitted"
    accepted = await db.scalars(
        select(AgreementAcceptance.version).where(AgreementAcceptance.user_id == cast.member.id)
    )
    assert sorted(accepted) == [1, 2]


async def test_only_a_named_member_accepts_for_themselves(db):
    cast = await make_cast(db)
    request = await draft(db, cast)
    with pytest.raises(Conflict, match="named"):
        await requests.accept_agreement(db, act(cast.other_member), request.id, utcnow())
    with pytest.raises(NotFoundException):
        await requests.accept_agreement(db, act(cast.other_user), request.id, utcnow())
    with pytest.raises(PermissionDeniedException):
        await requests.accept_agreement(db, act(cast.steward), request.id, utcnow())


async def test_a_named_member_who_left_the_team_blocks_submission(db):
    from app.teams.models import TeamMember

    cast = await make_cast(db)
    request = await draft(db, cast)
    await requests.accept_agreement(db, act(cast.member), request.id, utcnow())
    await db.delete(await db.get(TeamMember, (cast.team.id, cast.member.id)))
    await db.flush()
    with pytest.raises(InvalidInput) as refused:
        await requests.submit(db, act(cast.captain), request.id, utcnow())
    assert "No longer in your team" in refused.value.errors["members"]


async def test_rejecting_needs_a_reason_and_returning_a_comment(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    with pytest.raises(InvalidInput) as refused:
        await requests.reject(db, act(cast.steward), request.id, " ", utcnow())
    assert "reason" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        await requests.return_for_changes(db, act(cast.steward), request.id, "", utcnow())
    assert "comment" in refused.value.errors
    await requests.reject(db, act(cast.steward), request.id, "Purpose too vague.", utcnow())
    assert request.state == "rejected"
    with pytest.raises(Conflict, match="Rejected"):
        await requests.withdraw(db, act(cast.captain), request.id, utcnow())


async def test_returned_then_edited_and_resubmitted(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    await requests.return_for_changes(
        db, act(cast.steward), request.id, "Say which outputs you publish.", utcnow()
    )
    assert request.state == "returned"
    with pytest.raises(Conflict):
        await requests.reject(db, act(cast.steward), request.id, "No.", utcnow())
    await requests.edit(
        db,
        act(cast.captain),
        request.id,
        PURPOSE + " Only aggregates are published.",
        [cast.member.id],
        utcnow(),
    )
    await requests.submit(db, act(cast.captain), request.id, utcnow())
    assert await kinds(db, request.id) == ["created", "submitted", "returned", "resubmitted"]
    with pytest.raises(Conflict):
        await requests.edit(db, act(cast.captain), request.id, PURPOSE, [cast.member.id], utcnow())


async def test_the_steward_board_counts_the_wait_from_the_last_submission(db):
    cast = await make_cast(db)
    request = await draft(db, cast)
    await requests.accept_agreement(db, act(cast.member), request.id, utcnow())
    first = utcnow() - dt.timedelta(days=9)
    await requests.submit(db, act(cast.captain), request.id, first)
    await requests.return_for_changes(
        db, act(cast.steward), request.id, "Change it.", first + dt.timedelta(days=1)
    )
    again = first + dt.timedelta(days=3, hours=5)
    await requests.submit(db, act(cast.captain), request.id, again)
    await requests.add_comment(
        db, act(cast.steward), request.id, "Looking.", True, again + dt.timedelta(days=1)
    )
    board = await steward_board.board(
        db, act(cast.steward), steward_board.LogFilters(), utcnow(), only="pending"
    )
    assert board.pending is not None
    [row] = [row for row in board.pending.items if row["id"] == request.id]
    assert row["since"] == again


@pytest.mark.parametrize("stage", ["draft", "submitted", "returned"])
async def test_the_captain_withdraws_from_draft_submitted_or_returned(db, stage):
    cast = await make_cast(db)
    request = await (draft(db, cast) if stage == "draft" else submitted(db, cast))
    if stage == "returned":
        await requests.return_for_changes(db, act(cast.steward), request.id, "Change it.", utcnow())
    with pytest.raises(PermissionDeniedException):
        await requests.withdraw(db, act(cast.member), request.id, utcnow())
    await requests.withdraw(db, act(cast.captain), request.id, utcnow())
    assert request.state == "withdrawn"
    with pytest.raises(Conflict, match="Withdrawn"):
        await requests.withdraw(db, act(cast.captain), request.id, utcnow())


async def test_decisions_are_the_stewards_of_the_dataset_only(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    for person in (cast.captain, cast.member):
        with pytest.raises(PermissionDeniedException):
            await requests.reject(db, act(person), request.id, "No.", utcnow())
    for person in (cast.steward_org_member, cast.other_user, cast.admin, cast.founder):
        with pytest.raises(NotFoundException):
            await requests.reject(db, act(person), request.id, "No.", utcnow())


async def test_every_transition_is_audited_and_notified_both_ways(db):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    await requests.return_for_changes(db, act(cast.steward), request.id, "More detail.", utcnow())
    actions = list(
        await db.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(request.id)).order_by(AuditEntry.id)
        )
    )
    assert actions == ["access_request:create", "access_request:submitted", "access_request:returned"]
    notes = list(
        await db.execute(
            select(Notification.user_id, Notification.kind).where(
                Notification.link == f"/data-requests/{request.id}"
            )
        )
    )
    assert (cast.steward.id, "access_request_submitted") in notes
    assert {(m.id, "access_request_returned") for m in (cast.captain, cast.member, cast.other_member)} <= set(
        notes
    )


async def test_internal_comments_never_reach_the_team(db, client):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    secret = "Check the hospital contract first."
    await requests.add_comment(db, act(cast.steward), request.id, secret, True, utcnow())
    await requests.add_comment(
        db, act(cast.steward), request.id, "Which variables do you need?", False, utcnow()
    )
    await requests.add_comment(
        db, act(cast.member), request.id, "Age and ejection fraction.", False, utcnow()
    )
    with pytest.raises(PermissionDeniedException):
        await requests.add_comment(db, act(cast.captain), request.id, "Internal?", True, utcnow())
    notified = await db.execute(
        select(Notification.user_id, Notification.params).where(Notification.kind.like("access_request%"))
    )
    team = {cast.captain.id, cast.member.id, cast.other_member.id}
    assert all(secret not in str(params) for user_id, params in notified if user_id in team)
    for person in (cast.captain, cast.member, cast.other_member):
        client.cookies.clear()
        await sign_in(client, db, person)
        page = await client.get(f"/data-requests/{request.id}")
        assert page.status_code == 200 and "Which variables" in page.text and secret not in page.text
        api = await client.get(f"/api/v1/data-requests/{request.id}")
        assert api.status_code == 200 and secret not in api.text
        assert "internal_comment" not in [e["kind"] for e in api.json()["events"]]
    client.cookies.clear()
    await sign_in(client, db, cast.steward)
    page = await client.get(f"/data-requests/{request.id}")
    assert secret in page.text and "Internal note" in page.text
    api = await client.get(f"/api/v1/data-requests/{request.id}")
    assert secret in api.text


async def test_the_request_page_shows_the_history_with_who_and_what(db, client):
    cast = await make_cast(db)
    request = await submitted(db, cast)
    await requests.return_for_changes(db, act(cast.steward), request.id, "Tell us about outputs.", utcnow())
    await sign_in(client, db, cast.member)
    page = text_of((await client.get(f"/data-requests/{request.id}")).text)
    for words in (
        "Drafted the request",
        "Carla Captain",
        "Sam Steward",
        "Returned for changes",
        "Tell us about outputs.",
    ):
        assert words in page


async def test_a_second_team_cannot_name_members_of_another(db):
    cast = await make_cast(db)
    stranger = await make_user(db)
    await make_team(db, cast.challenge, stranger)
    with pytest.raises(InvalidInput):
        await draft(db, cast, [stranger.id])


async def test_members_named_on_a_request_are_asked_to_accept_the_agreement(db):
    cast = await make_cast(db)
    request = await draft(db, cast, members=[cast.captain.id, cast.member.id])
    link = f"/data-requests/{request.id}"
    named = select(Notification.user_id).where(
        Notification.kind == "access_request_named", Notification.link == link
    )
    assert set(await db.scalars(named)) == {cast.member.id}  # not the captain, who named themselves
    await requests.edit(
        db, act(cast.captain), request.id, PURPOSE, [cast.member.id, cast.other_member.id], utcnow()
    )
    assert sorted(map(str, await db.scalars(named))) == sorted(
        map(str, [cast.member.id, cast.other_member.id])
    )
