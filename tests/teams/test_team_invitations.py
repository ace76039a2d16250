"""Invitations by e-mail: a signed link valid 7 days, for people with or without an account, used once, revocable."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from sqlalchemy import select

from app.db import utcnow
from app.notifications.models import MailMessage
from app.teams import invitations
from app.teams.models import TeamInvitation
from tests.conftest import text_of, unique_email
from tests.factories import make_registration, make_user
from tests.teams.team_support import (
    as_user,
    count_members,
    fresh,
    make_cast,
    member_ids,
    notifications_of,
    registered,
)

LINK = re.compile(r"http://testserver\.local(/invitations/team/[\w.\-]+)")


async def invite(client, db, cast, email):
    await as_user(client, db, cast.captain)
    return await client.submit(f"/teams/{cast.team.id}/invitations", {"email": email})


async def mail_to(db, address) -> MailMessage:
    return await db.scalar(select(MailMessage).where(MailMessage.to_address == address))


async def link_to(db, address) -> str:
    return LINK.search((await mail_to(db, address)).body_text).group(1)


async def invitation_for(db, team, address) -> TeamInvitation:
    return await db.scalar(
        select(TeamInvitation)
        .where(TeamInvitation.team_id == team.id, TeamInvitation.email == address)
        .execution_options(populate_existing=True)
    )


async def test_someone_without_an_account_gets_a_link_that_leads_to_sign_up_and_back(client, db):
    cast = await make_cast(db)
    address = unique_email("newcomer")
    response = await invite(client, db, cast, address.upper())
    assert response.status_code == 303
    invitation = await invitation_for(db, cast.team, address)
    assert abs(invitation.expires_at - utcnow() - dt.timedelta(days=7)) < dt.timedelta(minutes=1)
    message = await mail_to(db, address)
    assert "Heartbeat" in message.subject
    assert "Carla Captain invites you to join the team Heartbeat" in message.body_text
    path = await link_to(db, address)
    await as_user(client, db, None)
    page = await client.get(path)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Heartbeat" in text and "Heart Data" in text
    assert f"/signup?next={path.replace('/', '%2F')}" in page.text
    assert f"/login?next={path.replace('/', '%2F')}" in page.text


async def test_the_mail_is_in_the_invitees_language_when_they_have_an_account(client, db):
    cast = await make_cast(db)
    french = await make_user(db, email=unique_email("fr"), locale="fr", name="Fleur")
    response = await invite(client, db, cast, french.email)
    assert response.status_code == 303
    message = await mail_to(db, french.email)
    assert "Invitation à rejoindre l’équipe Heartbeat" in message.subject
    [notice] = await notifications_of(db, french, "team_invitation")
    # The e-mail carries the link already: the notification is not e-mailed a second time.
    assert notice.emailed_at is not None
    assert notice.link == await link_to(db, french.email)


async def test_a_registered_invitee_accepts_once_and_joins(client, db):
    cast = await make_cast(db)
    person = await registered(db, cast.challenge, "Ines Invitee", email=unique_email("ines"))
    await invite(client, db, cast, person.email)
    path = await link_to(db, person.email)
    await as_user(client, db, person)
    page = await client.get(path)
    assert "Join the team" in text_of(page.text)
    response = await client.submit(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/teams/{cast.team.id}"
    assert person.id in await member_ids(db, cast.team)
    assert await count_members(db, cast.team) == (3, 3)
    invitation = await invitation_for(db, cast.team, person.email)
    assert (invitation.accepted_by_id, invitation.accepted_at is not None) == (person.id, True)
    again = await client.submit(path)
    assert again.status_code == 410
    assert "This invitation has already been used." in text_of(again.text)


async def test_an_invitee_without_approved_registration_is_offered_to_register_first(client, db):
    cast = await make_cast(db)
    person = await make_user(db, email=unique_email("late"))
    await invite(client, db, cast, person.email)
    path = await link_to(db, person.email)
    await as_user(client, db, person)
    page = await client.get(path)
    assert page.status_code == 200
    register = f"/challenges/{cast.challenge.slug}/register?next={path.replace('/', '%2F')}"
    assert register in page.text
    response = await client.submit(path)
    assert response.status_code == 403
    assert "Register for this challenge first" in text_of(response.text)
    assert person.id not in await member_ids(db, cast.team)
    await make_registration(db, cast.challenge, person)
    assert (await client.submit(path)).status_code == 303


async def test_only_the_invited_address_may_accept(client, db):
    cast = await make_cast(db)
    address = unique_email("meant")
    await invite(client, db, cast, address)
    path = await link_to(db, address)
    await as_user(client, db, cast.participant)
    page = await client.get(path)
    assert f"This invitation was sent to {address}" in text_of(page.text)
    response = await client.submit(path)
    assert response.status_code == 403
    assert cast.participant.id not in await member_ids(db, cast.team)


async def test_an_altered_or_unknown_link_is_not_found(client, db):
    cast = await make_cast(db)
    address = unique_email("x")
    await invite(client, db, cast, address)
    path = await link_to(db, address)
    await as_user(client, db, None)
    assert (await client.get(path[:-2] + "xx")).status_code == 404
    assert (await client.get("/invitations/team/nonsense")).status_code == 404
    from app.organizations.invitations import invitation_path as organization_path

    # A token signed for another purpose (an organization's invitation) does not open a team's.
    foreign = organization_path(client._transport.app.state.settings, cast.team.id).rsplit("/", 1)[1]
    assert (await client.get(f"/invitations/team/{foreign}")).status_code == 404


async def test_an_invitation_expires_after_seven_days(client, db):
    cast = await make_cast(db)
    person = await registered(db, cast.challenge, "Slow Sam", email=unique_email("slow"))
    await invite(client, db, cast, person.email)
    invitation = await invitation_for(db, cast.team, person.email)
    path = await link_to(db, person.email)
    invitation.expires_at = utcnow() - dt.timedelta(seconds=1)
    await db.flush()
    await as_user(client, db, person)
    response = await client.submit(path)
    assert response.status_code == 410
    assert "This invitation has expired." in text_of(response.text)
    # The signature ages too: a link signed more than 7 days ago is expired whatever the row says.
    invitation.expires_at = utcnow() + dt.timedelta(days=1)
    await db.flush()
    with time_machine.travel(utcnow() - dt.timedelta(days=invitations.VALID_DAYS, hours=1)):
        old_path = invitations.invitation_path(client._transport.app.state.settings, invitation.id)
    assert (await client.submit(old_path)).status_code == 410
    assert (await client.submit(path)).status_code == 303


async def test_inviting_again_replaces_an_expired_invitation_but_not_a_pending_one(client, db):
    cast = await make_cast(db)
    address = unique_email("twice")
    await invite(client, db, cast, address)
    response = await client.submit(f"/teams/{cast.team.id}/invitations", {"email": address})
    assert response.status_code == 422
    assert "An invitation to this address is already pending." in text_of(response.text)
    invitation = await invitation_for(db, cast.team, address)
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    await db.flush()
    assert (await client.submit(f"/teams/{cast.team.id}/invitations", {"email": address})).status_code == 303


async def test_the_captain_withdraws_an_invitation_and_its_link_stops_working(client, db):
    cast = await make_cast(db)
    person = await registered(db, cast.challenge, "Wanda Withdrawn", email=unique_email("w"))
    await invite(client, db, cast, person.email)
    invitation = await invitation_for(db, cast.team, person.email)
    path = await link_to(db, person.email)
    page = await client.get(f"/teams/{cast.team.id}")
    assert person.email in page.text
    response = await client.submit(f"/teams/{cast.team.id}/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    assert (await fresh(db, TeamInvitation, invitation.id)).revoked_at is not None
    again = await client.submit(f"/teams/{cast.team.id}/invitations/{invitation.id}/revoke")
    assert again.status_code == 409
    await as_user(client, db, person)
    refused = await client.submit(path)
    assert refused.status_code == 410
    assert "This invitation was withdrawn." in text_of(refused.text)


async def test_inviting_is_refused_for_members_a_full_team_and_bad_addresses(client, db):
    cast = await make_cast(db)
    response = await invite(client, db, cast, cast.member.email)
    assert response.status_code == 422
    assert "This person is already in your team." in text_of(response.text)
    for bad in ("", "not-an-address", "a@b", "x" * 300 + "@example.org"):
        response = await client.submit(f"/teams/{cast.team.id}/invitations", {"email": bad})
        assert response.status_code == 422, bad
        assert "Enter a valid e-mail address." in text_of(response.text)
    htmx = await client.htmx("POST", f"/teams/{cast.team.id}/invitations", data={"email": "nope"})
    assert htmx.status_code == 422
    assert htmx.text.lstrip().startswith('<form id="invite_form"')
    full = await make_cast(db, team_max=2)
    response = await invite(client, db, full, unique_email("full"))
    assert response.status_code == 409
    assert "This team is full (2 of 2)." in text_of(response.text)


async def test_accepting_while_in_another_team_is_refused(client, db):
    cast = await make_cast(db)
    await invite(client, db, cast, cast.other_member.email)
    path = await link_to(db, cast.other_member.email)
    await as_user(client, db, cast.other_member)
    response = await client.submit(path)
    assert response.status_code == 409
    assert "You are already in a team of this challenge." in text_of(response.text)
    assert await count_members(db, cast.team) == (2, 2)


async def test_invitations_over_the_api(client, db):
    cast = await make_cast(db)
    address = unique_email("api")
    await as_user(client, db, cast.captain)
    headers = {"X-CSRF-Token": await client.csrf()}
    created = await client.post(
        f"/api/v1/teams/{cast.team.id}/invitations", json={"email": address}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["email"] == address and "token" not in body
    listed = await client.get(f"/api/v1/teams/{cast.team.id}/invitations")
    assert [item["id"] for item in listed.json()] == [body["id"]]
    bad = await client.post(
        f"/api/v1/teams/{cast.team.id}/invitations", json={"email": "nope"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"key": "email", "message": "Enter a valid e-mail address.", "source": "body"}
    ]
    revoked = await client.delete(f"/api/v1/teams/{cast.team.id}/invitations/{body['id']}", headers=headers)
    assert revoked.status_code == 204
    assert (await client.get(f"/api/v1/teams/{cast.team.id}/invitations")).json() == []


async def test_an_invitee_accepts_over_the_api(client, db):
    cast = await make_cast(db)
    person = await registered(db, cast.challenge, "Api Ann", email=unique_email("ann"))
    await invite(client, db, cast, person.email)
    token = (await link_to(db, person.email)).rsplit("/", 1)[1]
    await as_user(client, db, person)
    response = await client.post(
        f"/api/v1/invitations/team/{token}", headers={"X-CSRF-Token": await client.csrf()}
    )
    assert response.status_code == 200
    assert str(person.id) in {member["user_id"] for member in response.json()["members"]}
