"""Adding a member to a grant from its page: the captain chooses a team member not yet on it and says why; the
member accepts the agreement themselves; the captain submits; a steward approves; the member may then access.
Everyone else is refused, and bad input is answered 4xx with a message beside the form."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from app.accounts.sessions import actor_from_user as act
from app.data_sharing import approvals, grants, jobs, requests, steward_board
from app.data_sharing.models import AccessRequest, AccessRequestEvent, GrantMember
from app.db import utcnow
from app.notifications.models import Notification
from app.platform.errors import Conflict
from app.platform.models import AuditEntry
from tests.conftest import text_of
from tests.data_sharing.access_support import CONTENT, add_file, log_rows
from tests.data_sharing.request_support import make_cast
from tests.data_sharing.support import denied
from tests.factories import make_grant, make_user, sign_in

PURPOSE = "Olga joins the analysis of the echocardiograms."


async def _cast_with_grant(db, settings=None):
    """The request cast, with a grant naming the captain and Milo; Olga (other_member) is not on it."""
    cast = await make_cast(db)
    cast.grant = await make_grant(
        db, cast.offering, cast.team, (cast.captain, cast.member), steward=cast.steward
    )
    cast.file = await add_file(db, settings, cast.dataset) if settings is not None else None
    return cast


async def _ask(client, grant_id, member_id, purpose=PURPOSE):
    return await client.submit(f"/grants/{grant_id}/members", {"members": str(member_id), "purpose": purpose})


async def test_captain_asks_member_accepts_steward_approves_and_the_member_may_access(client, db, settings):
    cast = await _cast_with_grant(db, settings)
    grant_url = f"/grants/{cast.grant.id}"

    await sign_in(client, db, cast.captain)
    page = await client.get(grant_url)
    assert page.status_code == 200
    form = page.text[
        page.text.index('id="add-members"') : page.text.index(
            "</select>", page.text.index('id="add-members"')
        )
    ]
    assert "Olga Other" in form and "Milo Member" not in form and "Carla Captain" not in form
    asked = await _ask(client, cast.grant.id, cast.other_member.id)
    assert asked.status_code == 303, text_of(asked.text)
    request_url = asked.headers["location"]
    request = await db.scalar(select(AccessRequest).where(AccessRequest.amends_grant_id == cast.grant.id))
    assert request_url == f"/data-requests/{request.id}" and request.state == "draft"
    told = await db.scalar(select(Notification).where(Notification.kind == "grant_member_asked"))
    assert told.user_id == cast.other_member.id and told.link == request_url
    pending = text_of((await client.get(grant_url)).text)
    assert "Request to add Olga Other : Draft · waiting for Olga Other to accept the agreement" in pending
    assert "Every member of the team is named on the grant or already asked for." in pending
    early = await client.submit(f"{request_url}/submit")
    assert early.status_code == 422 and "Still to accept version 1 of the agreement: Olga Other." in text_of(
        early.text
    )

    await sign_in(client, db, cast.other_member)
    assert (await client.submit(f"{request_url}/accept-agreement")).status_code == 303
    refused = await client.submit(f"/data/files/{cast.file.id}/link")
    assert refused.status_code == 403  # not on the grant yet

    await sign_in(client, db, cast.captain)
    assert (await client.submit(f"{request_url}/submit")).status_code == 303
    assert "Request to add Olga Other : Submitted" in text_of((await client.get(grant_url)).text)

    await sign_in(client, db, cast.steward)
    steward_view = text_of((await client.get(grant_url)).text)
    assert "Request to add Olga Other : Submitted" in steward_view
    approved = await client.submit(f"{request_url}/approve", {"comment": "Welcome, Olga."})
    assert approved.status_code == 303, text_of(approved.text)
    on_grant = await db.scalar(
        select(GrantMember).where(
            GrantMember.grant_id == cast.grant.id, GrantMember.user_id == cast.other_member.id
        )
    )
    assert on_grant is not None and on_grant.removed_at is None
    assert "Request to add Olga Other" not in text_of((await client.get(grant_url)).text)

    await sign_in(client, db, cast.other_member)
    link = await client.submit(f"/data/files/{cast.file.id}/link")
    assert link.status_code == 303
    download = await client.get(link.headers["location"])
    assert download.status_code == 200 and download.content == CONTENT
    rows = [(r.user_id, r.action, r.outcome) for r in await log_rows(db, cast.dataset.id)]
    assert rows == [
        (cast.other_member.id, "link", "refused"),
        (cast.other_member.id, "link", "allowed"),
        (cast.other_member.id, "download", "allowed"),
    ]


@pytest.mark.parametrize(
    "role", ["captain", "member", "other_member", "steward", "founder", "other_user", "admin", "visitor"]
)
async def test_only_the_captain_may_ask_to_add_a_member(client, db, role):
    cast = await _cast_with_grant(db)
    user = getattr(cast, role) if role != "visitor" else None
    if user is not None:
        await sign_in(client, db, user)
    page = await client.get(f"/grants/{cast.grant.id}")
    answer = await _ask(client, cast.grant.id, cast.other_member.id)
    made = await db.scalar(select(AccessRequest.id).where(AccessRequest.amends_grant_id == cast.grant.id))
    if role == "captain":
        assert answer.status_code == 303 and made is not None
        assert 'id="add-members"' in page.text
        return
    assert denied(answer.status_code, role), answer.status_code
    assert made is None
    if page.status_code == 200:  # the team, the founders and the stewards see the grant, not the form
        assert role in ("member", "other_member", "steward", "founder")
        assert 'id="add-members"' not in page.text
    else:
        assert denied(page.status_code, role)


async def test_bad_choices_are_refused_beside_the_form(client, db):
    cast = await _cast_with_grant(db)
    outsider = await make_user(db, name="Nora Nobody")
    await sign_in(client, db, cast.captain)
    cases = [
        ("", PURPOSE, "Choose the member to add."),
        ("not-a-member", PURPOSE, "Choose members of your team from the list."),
        (cast.member.id, PURPOSE, "This member is already named on the grant."),
        (outsider.id, PURPOSE, "Only current members of your team can be named."),
        (uuid.uuid4(), PURPOSE, "Only current members of your team can be named."),
        (cast.other_member.id, "   ", "Say what the data is for: the stewards decide on it."),
    ]
    for member, purpose, message in cases:
        answer = await _ask(client, cast.grant.id, member, purpose)
        assert answer.status_code == 422, (member, answer.status_code)
        assert message in text_of(answer.text)
        assert 'aria-invalid="true"' in answer.text
    assert (
        await db.scalar(select(AccessRequest.id).where(AccessRequest.amends_grant_id == cast.grant.id))
        is None
    )


async def test_a_second_request_for_the_same_member_and_a_revoked_grant_are_conflicts(client, db):
    cast = await _cast_with_grant(db)
    await sign_in(client, db, cast.captain)
    assert (await _ask(client, cast.grant.id, cast.other_member.id)).status_code == 303
    again = await _ask(client, cast.grant.id, cast.other_member.id)
    assert again.status_code == 409 and "A request to add this member is already under way." in text_of(
        again.text
    )
    cast.grant.revoked_at, cast.grant.revoke_reason = utcnow(), "Study closed."
    await db.flush()
    late = await _ask(client, cast.grant.id, cast.other_member.id)
    assert late.status_code == 409 and "The grant this request amends is no longer active." in text_of(
        late.text
    )
    assert 'id="add-members"' not in (await client.get(f"/grants/{cast.grant.id}")).text


# --- a grant that ends closes the requests to add a member to it ----------------------------------------


async def _asked(db, cast, stage: str):
    """A request to add Olga to the cast's grant, left in `stage` (draft or submitted)."""
    now = utcnow()
    request = await approvals.ask_to_add_member(
        db, act(cast.captain), cast.grant.id, cast.other_member.id, PURPOSE, now
    )
    if stage == "submitted":
        await requests.accept_agreement(db, act(cast.other_member), request.id, now)
        await requests.submit(db, act(cast.captain), request.id, now)
    return request


async def _waiting_on_board(db, cast) -> set[uuid.UUID]:
    board = await steward_board.board(
        db, act(cast.steward), steward_board.LogFilters(), utcnow(), only="pending"
    )
    assert board.pending is not None
    return {row["id"] for row in board.pending.items}


async def _history(db, request_id):
    return list(await db.scalars(
        select(AccessRequestEvent).where(AccessRequestEvent.request_id == request_id).order_by(AccessRequestEvent.seq)
    ))  # fmt: skip


@pytest.mark.parametrize("stage", ["draft", "submitted"])
async def test_revoking_a_grant_closes_its_pending_requests_to_add_a_member(client, db, stage):
    cast = await _cast_with_grant(db)
    request = await _asked(db, cast, stage)
    assert (request.id in await _waiting_on_board(db, cast)) is (stage == "submitted")

    await sign_in(client, db, cast.steward)
    revoked = await client.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "Study closed."})
    assert revoked.status_code == 303, text_of(revoked.text)

    await db.refresh(request)
    assert request.state == "withdrawn"
    last = (await _history(db, request.id))[-1]
    assert (last.kind, last.from_state, last.to_state) == ("grant_revoked", stage, "withdrawn")
    assert last.actor_id == cast.steward.id and last.comment == "Study closed." and not last.internal
    [entry] = list(await db.scalars(
        select(AuditEntry).where(AuditEntry.action == "access_request:grant_revoked", AuditEntry.object_id == str(request.id))
    ))  # fmt: skip
    assert entry.actor_id == cast.steward.id
    assert entry.details["from"] == stage and entry.details["grant"] == str(cast.grant.id)
    assert request.id not in await _waiting_on_board(db, cast)
    page = text_of((await client.get(f"/data-requests/{request.id}")).text)
    assert "Closed: the grant it would add a member to was revoked" in page and "Study closed." in page
    with pytest.raises(Conflict, match="The grant this request amends is no longer active"):
        await approvals.approve(db, act(cast.steward), request.id, None, utcnow(), grace_days=30)
    assert await db.get(GrantMember, (cast.grant.id, cast.other_member.id)) is None


async def test_a_decided_request_to_add_a_member_stays_as_it_was_when_the_grant_is_revoked(db):
    cast = await _cast_with_grant(db)
    request = await _asked(db, cast, "submitted")
    await requests.reject(db, act(cast.steward), request.id, "Not needed.", utcnow())
    await grants.revoke(db, act(cast.steward), cast.grant.id, "Study closed.", utcnow())
    await db.refresh(request)
    assert request.state == "rejected" and (await _history(db, request.id))[-1].kind == "rejected"


async def test_the_expiry_job_closes_the_pending_requests_to_add_a_member(db):
    cast = await _cast_with_grant(db)
    request = await _asked(db, cast, "submitted")
    later = cast.grant.expires_at + dt.timedelta(minutes=1)
    expired, _warned = await jobs.run_grant_expiry(db, later)
    assert expired >= 1
    await db.refresh(request)
    assert request.state == "withdrawn"
    last = (await _history(db, request.id))[-1]
    assert (last.kind, last.from_state, last.to_state, last.actor_id) == (
        "grant_expired",
        "submitted",
        "withdrawn",
        None,
    )
    audited = await db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "access_request:grant_expired", AuditEntry.object_id == str(request.id)
        )
    )
    assert audited is not None and audited.actor_id is None
    assert request.id not in await _waiting_on_board(db, cast)
