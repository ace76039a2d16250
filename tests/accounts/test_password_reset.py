"""Password reset: the same answer whether or not the address has an account; links that work once,
expire after an hour, serve only this purpose and only their own user."""

from __future__ import annotations

import datetime as dt

import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from app.accounts import links
from app.accounts.models import User
from app.platform.models import AuditEntry
from tests.accounts.conftest import last_mail_to, link_in, log_in, mails_to, token_of
from tests.conftest import SECRET, make_client, text_of, unique_email
from tests.factories import DEFAULT_PASSWORD, make_user

NEW_PASSWORD = "a brand new pass phrase"


async def reset_link_for(client, db, user) -> str:
    response = await client.submit("/password/forgot", {"email": user.email})
    assert response.status_code == 303
    return link_in(await last_mail_to(db, user.email), "/password/reset")


async def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(client, db):
    user = await make_user(db)
    known = await client.submit("/password/forgot", {"email": user.email})
    known_page = text_of((await client.get(known.headers["location"])).text)
    unknown_address = unique_email("nobody")
    unknown = await client.submit("/password/forgot", {"email": unknown_address})
    unknown_page = text_of((await client.get(unknown.headers["location"])).text)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    assert known_page == unknown_page
    assert "If an account uses this address" in known_page
    assert len(await mails_to(db, user.email)) == 1
    assert await mails_to(db, unknown_address) == []


async def test_disabled_accounts_get_no_link(client, db):
    user = await make_user(db, is_active=False)
    await client.submit("/password/forgot", {"email": user.email})
    assert await mails_to(db, user.email) == []


async def test_malformed_address_is_named_beside_the_field(client):
    response = await client.submit("/password/forgot", {"email": "not an address"})
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in text_of(response.text)


async def test_link_sets_a_new_password_signs_in_and_works_once(client, db):
    user = await make_user(db, locale="fr")
    link = await reset_link_for(client, db, user)
    mail = await last_mail_to(db, user.email)
    assert mail.subject == "Réinitialisez votre mot de passe Tremplin"
    form = await client.get(link)
    assert form.status_code == 200 and 'name="token"' in form.text
    response = await client.submit("/password/reset", {"token": token_of(link), "password": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert client.session_key().startswith("s_")
    assert (await client.get("/account")).status_code == 200
    # Used: the link no longer opens the form nor changes the password.
    assert (await client.get(link)).status_code == 400
    again = await client.submit(
        "/password/reset", {"token": token_of(link), "password": "yet another pass phrase"}
    )
    assert again.status_code == 400
    assert "a déjà servi" in text_of(again.text)
    await client.submit("/logout", {})
    assert (await log_in(client, user.email, DEFAULT_PASSWORD)).status_code == 422
    assert (await log_in(client, user.email, NEW_PASSWORD)).status_code == 303


async def test_reset_signs_out_every_other_session_and_is_audited(app, client, db):
    user = await make_user(db)
    async with make_client(app) as elsewhere:
        await log_in(elsewhere, user.email)
        link = await reset_link_for(client, db, user)
        await client.submit("/password/reset", {"token": token_of(link), "password": NEW_PASSWORD})
        assert (await elsewhere.get("/account")).status_code == 303
    entry = await db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "account:password_reset", AuditEntry.object_id == str(user.id)
        )
    )
    assert entry is not None and entry.actor_id == user.id


async def test_link_expires_after_an_hour(client, db):
    user = await make_user(db)
    link = await reset_link_for(client, db, user)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=59), tick=True):
        assert (await client.get(link)).status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61), tick=True):
        assert (await client.get(link)).status_code == 400
        response = await client.submit("/password/reset", {"token": token_of(link), "password": NEW_PASSWORD})
    assert response.status_code == 400


async def test_link_is_bound_to_its_user(client, db, settings):
    alice = await make_user(db)
    bob = await make_user(db, password="bob's own pass phrase")
    link = await reset_link_for(client, db, alice)
    # Re-signing Alice's payload with Bob's id needs the secret key: without it the link is refused.
    forged_payload = token_of(link).split(".", 1)[1]
    forged = URLSafeTimedSerializer("not-the-secret", salt="password-reset").dumps(
        {"user": str(bob.id), "pw": "x"}
    )
    for token in (forged, "eyJ1c2VyIjoiMSJ9." + forged_payload):
        assert (
            await client.submit("/password/reset", {"token": token, "password": NEW_PASSWORD})
        ).status_code == 400
    # Even signed with the right key, a fingerprint of Alice's password does not open Bob's account.
    alice_fingerprint = links.read_token(settings, links.RESET_SALT, token_of(link), 3600)[1]["pw"]
    crossed = URLSafeTimedSerializer(SECRET, salt="password-reset").dumps(
        {"user": str(bob.id), "pw": alice_fingerprint}
    )
    assert (
        await client.submit("/password/reset", {"token": crossed, "password": NEW_PASSWORD})
    ).status_code == 400
    assert (
        await client.submit("/password/reset", {"token": token_of(link), "password": NEW_PASSWORD})
    ).status_code == 303
    await db.refresh(bob)
    assert (await log_in(client, bob.email, "bob's own pass phrase")).status_code == 303


async def test_verification_link_cannot_reset_a_password(client, db):
    email = unique_email("purpose")
    await client.submit(
        "/signup", {"email": email, "name": "Ada", "password": DEFAULT_PASSWORD, "locale": "en"}
    )
    verify = link_in(await last_mail_to(db, email), "/verify-email")
    response = await client.submit("/password/reset", {"token": token_of(verify), "password": NEW_PASSWORD})
    assert response.status_code == 400


async def test_a_password_changed_otherwise_kills_the_link(client, db):
    user = await make_user(db)
    link = await reset_link_for(client, db, user)
    await db.execute(update(User).where(User.id == user.id).values(password_hash="$argon2id$changed"))
    assert (await client.get(link)).status_code == 400


async def test_weak_new_password_is_refused_and_the_link_still_works(client, db):
    user = await make_user(db)
    link = await reset_link_for(client, db, user)
    weak = await client.submit("/password/reset", {"token": token_of(link), "password": "password"})
    assert weak.status_code == 422
    assert "Use at least 10 characters." in text_of(weak.text)
    assert f'value="{token_of(link)}"' in weak.text
    assert (
        await client.submit("/password/reset", {"token": token_of(link), "password": NEW_PASSWORD})
    ).status_code == 303


async def test_reset_confirms_the_address(client, db):
    user = await make_user(db, verified=False)
    link = await reset_link_for(client, db, user)
    await client.submit("/password/reset", {"token": token_of(link), "password": NEW_PASSWORD})
    await db.refresh(user)
    assert user.email_verified_at is not None
