"""Invitations by e-mail: a signed, expiring, single-use link that works before one even has an account."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update

from app.accounts.sessions import actor_from_user
from app.notifications.models import MailMessage
from app.organizations import invitations
from app.organizations.models import OrganizationInvitation, OrganizationMember
from app.platform.models import AuditEntry, OutboxJob
from tests.conftest import text_of
from tests.factories import make_organization, make_user
from tests.organizations.conftest import audit_entries, invitation_url, make_invitation


async def membership(db, organization, user) -> str | None:
    return await db.scalar(
        select(OrganizationMember.role).where(
            OrganizationMember.organization_id == organization.id, OrganizationMember.user_id == user.id
        )
    )


async def mail_to(db, address: str) -> MailMessage:
    return await db.scalar(select(MailMessage).where(MailMessage.to_address == address))


def link_path(settings, body: str) -> str:
    match = re.search(re.escape(settings.base_url) + r"(/invitations/organization/[\w.\-]+)", body)
    assert match, body
    return match.group(1)


async def test_owner_invites_by_email_and_a_signed_link_is_mailed(cast, browser, db, settings):
    owner = await browser(cast.owner)
    response = await owner.submit(
        f"/organizations/{cast.organization.slug}/invitations",
        {"email": " New.Person@Example.org ", "role": "member"},
    )
    assert response.status_code == 303
    invitation = await db.scalar(
        select(OrganizationInvitation).where(OrganizationInvitation.organization_id == cast.organization.id)
    )
    assert (invitation.email, invitation.role, invitation.invited_by_id) == (
        "new.person@example.org",
        "member",
        cast.owner.id,
    )
    message = await mail_to(db, "new.person@example.org")
    assert message.subject == "Invitation to join Acme Health on Tremplin"
    assert "Olivia Owner invites you to join Acme Health on Tremplin as member." in message.body_text
    link = link_path(settings, message.body_text)
    assert link.rsplit(".", 2)[0] == invitation_url(settings, invitation).rsplit(".", 2)[0]
    followed = await (await browser()).get(link)
    assert "You are invited to join Acme Health as member." in text_of(followed.text)
    job = await db.scalar(select(OutboxJob).where(OutboxJob.args["mail_id"].astext == str(message.id)))
    assert job.function == "send_mail"
    [entry] = await audit_entries(db, "organization:invite", cast.organization.id)
    assert entry.details["email"] == "new.person@example.org" and entry.details["role"] == "member"
    page = text_of((await owner.get(f"/organizations/{cast.organization.slug}")).text)
    assert "An invitation has been sent to new.person@example.org." in page
    assert "Pending invitations" in page and "new.person@example.org" in page


async def test_invitation_mail_speaks_the_invitees_language(cast, browser, db):
    await make_user(db, email="lea@example.fr", locale="fr")
    owner = await browser(cast.owner)
    await owner.submit(
        f"/organizations/{cast.organization.slug}/invitations", {"email": "lea@example.fr", "role": "owner"}
    )
    message = await mail_to(db, "lea@example.fr")
    assert message.subject == "Invitation à rejoindre Acme Health sur Tremplin"
    assert "en tant que propriétaire" in message.body_text


@pytest.mark.parametrize(
    ("email", "role", "field", "message"),
    [
        ("not-an-address", "member", "email", "Enter a valid e-mail address."),
        ("", "member", "email", "Enter a valid e-mail address."),
        ("someone@example.org", "emperor", "role", "Choose a role from the list."),
        ("MARC@acme.example", "member", "email", "This person is already a member."),
    ],
)
async def test_bad_invitations_are_refused_beside_the_field(cast, browser, db, email, role, field, message):
    owner = await browser(cast.owner)
    response = await owner.submit(
        f"/organizations/{cast.organization.slug}/invitations", {"email": email, "role": role}
    )
    assert response.status_code == 422
    assert f'id="invite-{field}-error"' in response.text
    assert message in text_of(response.text)
    assert await db.scalar(select(func.count()).select_from(OrganizationInvitation)) == 0


async def test_a_second_pending_invitation_to_the_same_address_is_refused(cast, browser, db):
    owner = await browser(cast.owner)
    url = f"/organizations/{cast.organization.slug}/invitations"
    assert (await owner.submit(url, {"email": "twice@example.org", "role": "member"})).status_code == 303
    response = await owner.submit(url, {"email": "TWICE@example.org", "role": "owner"})
    assert response.status_code == 422
    assert "An invitation to this address is already pending." in text_of(response.text)


async def test_someone_without_an_account_is_asked_to_sign_in_or_sign_up(cast, browser, db, settings):
    invitation = await make_invitation(
        db, cast.organization, cast.owner, "newcomer@example.org", role="owner"
    )
    path = invitation_url(settings, invitation)
    visitor = await browser()
    response = await visitor.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = text_of(response.text)
    assert "You are invited to join Acme Health as owner." in page
    assert "sign in or create an account with the address newcomer@example.org" in page
    next_param = path.replace("/", "%2F")
    assert f'href="/signup?next={next_param}"' in response.text
    assert f'href="/login?next={next_param}"' in response.text
    refused = await visitor.submit(path)
    assert refused.status_code == 303 and refused.headers["location"] == f"/login?next={path}"


async def test_invitee_accepts_once_signed_in_with_the_invited_address(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, "URSULA@example.org", role="owner")
    path = invitation_url(settings, invitation)
    ursula = await browser(cast.user)
    assert "Accept the invitation" in text_of((await ursula.get(path)).text)
    response = await ursula.submit(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/organizations/{cast.organization.slug}"
    assert await membership(db, cast.organization, cast.user) == "owner"
    await db.refresh(invitation)
    assert invitation.accepted_at is not None and invitation.accepted_by_id == cast.user.id
    [entry] = await audit_entries(db, "organization:invitation_accept", cast.organization.id)
    assert entry.actor_id == cast.user.id
    assert "Welcome to Acme Health!" in text_of((await ursula.get(response.headers["location"])).text)


async def test_a_used_link_cannot_be_used_again(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, cast.user.email)
    path = invitation_url(settings, invitation)
    ursula = await browser(cast.user)
    assert (await ursula.submit(path)).status_code == 303
    again = await ursula.submit(path)
    assert again.status_code == 410
    assert "This invitation has already been used." in text_of(again.text)
    assert len(await audit_entries(db, "organization:invitation_accept", cast.organization.id)) == 1


async def test_someone_else_holding_the_link_cannot_accept(cast, browser, db, settings):
    invitation = await make_invitation(
        db, cast.organization, cast.owner, "intended@example.org", role="owner"
    )
    path = invitation_url(settings, invitation)
    intruder = await browser(cast.other_owner)
    page = text_of((await intruder.get(path)).text)
    assert (
        "This invitation was sent to intended@example.org, but you are signed in as oscar@other.example."
        in page
    )
    response = await intruder.submit(path)
    assert response.status_code == 403
    assert await membership(db, cast.organization, cast.other_owner) is None
    await db.refresh(invitation)
    assert invitation.accepted_at is None


async def test_an_expired_link_is_refused(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, cast.user.email)
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=invitations.VALID_DAYS, hours=1)):
        path = invitation_url(settings, invitation)
    ursula = await browser(cast.user)
    assert "This invitation has expired." in text_of((await ursula.get(path)).text)
    response = await ursula.submit(path)
    assert response.status_code == 410
    assert await membership(db, cast.organization, cast.user) is None


async def test_a_link_just_before_expiry_still_works(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, cast.user.email)
    with time_machine.travel(
        dt.datetime.now(dt.UTC) - dt.timedelta(days=invitations.VALID_DAYS) + dt.timedelta(minutes=5)
    ):
        path = invitation_url(settings, invitation)
    assert (await (await browser(cast.user)).submit(path)).status_code == 303


async def test_forged_or_foreign_tokens_are_not_found(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, cast.user.email)
    ursula = await browser(cast.user)
    other_purpose = URLSafeTimedSerializer(settings.secret_key, salt="password-reset").dumps(
        str(invitation.id)
    )
    other_secret = URLSafeTimedSerializer("another-secret-" * 3, salt=invitations.SALT).dumps(
        str(invitation.id)
    )
    for token in (
        "garbage",
        other_purpose,
        other_secret,
        invitation_url(settings, invitation).rsplit("/", 1)[1] + "x",
    ):
        assert (await ursula.get(f"/invitations/organization/{token}")).status_code == 404, token
        assert (await ursula.submit(f"/invitations/organization/{token}")).status_code == 404, token
    assert await membership(db, cast.organization, cast.user) is None


async def test_owner_revokes_an_invitation_and_its_link_stops_working(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, cast.user.email)
    owner = await browser(cast.owner)
    revoke = f"/organizations/{cast.organization.slug}/invitations/{invitation.id}/revoke"
    assert (await owner.submit(revoke)).status_code == 303
    [entry] = await audit_entries(db, "organization:invitation_revoke", cast.organization.id)
    assert entry.details["email"] == cast.user.email
    again = await owner.submit(revoke)
    assert again.status_code == 409
    assert "This invitation is no longer pending." in text_of(again.text)
    response = await (await browser(cast.user)).submit(invitation_url(settings, invitation))
    assert response.status_code == 410
    assert "This invitation was withdrawn." in text_of(response.text)
    assert await membership(db, cast.organization, cast.user) is None


async def test_members_cannot_invite_or_revoke(cast, browser, db):
    invitation = await make_invitation(db, cast.organization, cast.owner, "pending@example.org")
    member = await browser(cast.member)
    base = f"/organizations/{cast.organization.slug}/invitations"
    assert (await member.submit(base, {"email": "friend@example.org", "role": "owner"})).status_code == 403
    assert (await member.submit(f"{base}/{invitation.id}/revoke")).status_code == 403
    assert await mail_to(db, "friend@example.org") is None


async def test_accepting_while_already_a_member_keeps_one_membership(cast, browser, db, settings):
    invitation = await make_invitation(db, cast.organization, cast.owner, cast.member.email, role="owner")
    response = await (await browser(cast.member)).submit(invitation_url(settings, invitation))
    assert response.status_code == 303
    assert await membership(db, cast.organization, cast.member) == "member"
    count = await db.scalar(
        select(func.count())
        .select_from(OrganizationMember)
        .where(OrganizationMember.user_id == cast.member.id)
    )
    assert count == 1


# --- concurrent acceptance -----------------------------------------------------------------------------


async def test_two_simultaneous_acceptances_add_one_membership(race_sessions, settings):
    async with race_sessions() as session:
        owner = await make_user(session)
        invitee = await make_user(session)
        organization = await make_organization(session, owner=owner)
        invitation = await make_invitation(session, organization, owner, invitee.email)
        await session.commit()
    token = invitation_url(settings, invitation).rsplit("/", 1)[1]
    actor = actor_from_user(invitee)

    async def accept() -> str:
        async with race_sessions() as session:
            try:
                await invitations.accept_invitation(session, actor, settings, token)
            except invitations.InvitationUnavailable:
                await session.rollback()
                return "refused"
            # Hold the row lock a moment, so that the other acceptance really has to wait for it.
            await asyncio.sleep(0.2)
            await session.commit()
            return "accepted"

    assert sorted(await asyncio.gather(accept(), accept())) == ["accepted", "refused"]
    async with race_sessions() as session:
        members = await session.scalar(
            select(func.count())
            .select_from(OrganizationMember)
            .where(OrganizationMember.user_id == invitee.id)
        )
        accepted = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "organization:invitation_accept")
        )
    assert (members, accepted) == (1, 1)


async def test_an_expired_invitation_is_shown_as_such_and_replaced_by_inviting_again(
    cast, browser, db, settings
):
    old = await make_invitation(db, cast.organization, cast.owner, "late@example.org")
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=invitations.VALID_DAYS + 1)):
        old_path = invitation_url(settings, old)
    await db.execute(
        update(OrganizationInvitation)
        .where(OrganizationInvitation.id == old.id)
        .values(created_at=func.now() - dt.timedelta(days=invitations.VALID_DAYS + 1))
    )
    owner = await browser(cast.owner)
    page = text_of((await owner.get(f"/organizations/{cast.organization.slug}")).text)
    assert "late@example.org Member" in page and "(expired)" in page
    url = f"/organizations/{cast.organization.slug}/invitations"
    assert (await owner.submit(url, {"email": "late@example.org", "role": "member"})).status_code == 303
    await db.refresh(old)
    assert old.revoked_at is not None
    late = await make_user(db, email="late@example.org")
    client = await browser(late)
    assert "This invitation has expired." in text_of((await client.get(old_path)).text)
    new_link = link_path(settings, (await mail_to(db, "late@example.org")).body_text)
    assert (await client.submit(new_link)).status_code == 303
    assert await membership(db, cast.organization, late) == "member"
