"""Signing up and confirming the address: checked fields, one account per address, purpose-bound links."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select, update

from app.accounts.models import User
from tests.accounts.conftest import last_mail_to, link_in, mails_to, sign_up, token_of, user_by_email
from tests.conftest import text_of, unique_email
from tests.factories import make_user

LONG_PASSWORD = ("the quick brown fox jumps over the lazy dog " * 5)[:200]


async def count_users(db, email: str) -> int:
    return await db.scalar(
        select(func.count()).select_from(User).where(func.lower(User.email) == email.lower())
    )


async def test_sign_up_creates_a_signed_in_unverified_account(client, db):
    email = unique_email("new")
    response = await sign_up(client, email, name="  Ada Lovelace  ")
    assert response.status_code == 303
    assert client.session_key().startswith("s_")
    user = await user_by_email(db, email)
    assert user.name == "Ada Lovelace"
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")


async def test_sign_up_preselects_the_language_of_the_page(client):
    page = await client.get("/signup", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert '<option value="fr" selected>' in page.text


async def test_taken_address_is_reported_on_the_field_whatever_its_case(client, db):
    existing = await make_user(db)
    response = await sign_up(client, existing.email.upper())
    assert response.status_code == 422
    assert "An account already uses this address" in text_of(response.text)
    assert 'aria-invalid="true" aria-describedby="email-error"' in response.text
    assert await count_users(db, existing.email) == 1
    assert client.session_key().startswith("a_")


async def test_taken_address_is_only_reported_once_the_rest_of_the_form_is_valid(client, db):
    existing = await make_user(db)
    response = await sign_up(client, existing.email, password="short")
    assert response.status_code == 422
    assert "already uses this address" not in text_of(response.text)


async def test_probing_addresses_through_sign_up_is_throttled(client, db, settings):
    existing = await make_user(db)
    for _ in range(settings.login_rate_limit):
        assert (await sign_up(client, existing.email)).status_code == 422
    response = await sign_up(client, existing.email)
    assert response.status_code == 429
    assert "Too many attempts" in text_of(response.text)
    # Someone else signing up from the same place is not held back.
    assert (await sign_up(client, unique_email("fresh"))).status_code == 303


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "This field is required."),
        ("email", "not-an-address", "Enter a valid e-mail address."),
        ("email", "a@" + "b" * 250 + ".org", "Enter a valid e-mail address."),
        ("email", "x\x00@example.org", "Enter a valid e-mail address."),
        ("name", "", "This field is required."),
        ("name", "   ", "This field is required."),
        ("name", "n" * 121, "Use at most 120 characters."),
        ("name", "Bad\x00Name", "Remove the invisible or unreadable characters."),
        ("name", "Bad\x1bName", "Remove the invisible or unreadable characters."),
        ("password", "", "Use at least 10 characters."),
        ("password", "short", "Use at least 10 characters."),
        ("password", "password123", "This password is too common."),
        ("password", "1234567890", "This password is too common."),
        ("password", "x" * 2000, "Use at most 1024 characters."),
        ("locale", "de", "Choose one of the options."),
    ],
)
async def test_bad_fields_are_named_beside_the_field(client, db, field, value, message):
    fields = {
        "email": unique_email(),
        "name": "Ada",
        "password": "correct horse battery staple",
        "locale": "en",
        field: value,
    }
    response = await client.submit("/signup", fields)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert f'id="{field}-error"' in response.text
    assert client.session_key().startswith("a_"), "nobody was signed up and signed in"


async def test_long_pass_phrases_are_welcome(client, db):
    assert len(LONG_PASSWORD) == 200
    email = unique_email()
    assert (await sign_up(client, email, password=LONG_PASSWORD)).status_code == 303
    await client.submit("/logout", {})
    assert (await client.submit("/login", {"email": email, "password": LONG_PASSWORD})).status_code == 303


async def test_sign_up_form_keeps_values_but_never_the_password(client):
    response = await client.submit(
        "/signup", {"email": "bad", "name": "Ada <b>", "password": "my secret words", "locale": "en"}
    )
    assert response.status_code == 422
    assert 'value="Ada &lt;b&gt;"' in response.text
    assert "my secret words" not in response.text


# --- e-mail verification -----------------------------------------------------------------------------


async def signed_up(client, db, locale: str = "en") -> tuple[str, str]:
    email = unique_email("verify")
    await sign_up(client, email, locale=locale)
    return email, link_in(await last_mail_to(db, email), "/verify-email")


async def test_verification_link_is_built_from_base_url(client, db):
    _email, link = await signed_up(client, db)
    assert link.startswith("/verify-email?token=")
    response = await client.get(link, headers={"host": "testserver.local"})
    assert response.status_code == 200


async def test_verification_works_from_another_browser_and_twice(client, db, app):
    from tests.conftest import make_client

    email, link = await signed_up(client, db)
    async with make_client(app) as other:
        assert (await other.submit("/verify-email", {"token": token_of(link)})).headers[
            "location"
        ] == "/login"
        again = await other.get(link)
        assert "already confirmed" in text_of(again.text)
    assert (await user_by_email(db, email)).email_verified_at is not None


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "", lambda t: "x" * 3000],
)
async def test_forged_verification_links_are_refused(client, db, mangle):
    email, link = await signed_up(client, db)
    token = mangle(token_of(link))
    assert (await client.get("/verify-email", params={"token": token})).status_code == 400
    response = await client.submit("/verify-email", {"token": token})
    assert response.status_code == 400
    assert "not valid or has expired" in text_of(response.text)
    assert (await user_by_email(db, email)).email_verified_at is None


async def test_verification_link_expires_after_three_days(client, db):
    email, link = await signed_up(client, db)
    # Signed out first: three days later the session itself would have expired.
    await client.submit("/logout", {})
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3, minutes=1), tick=True):
        response = await client.submit("/verify-email", {"token": token_of(link)})
    assert response.status_code == 400
    assert (await user_by_email(db, email)).email_verified_at is None


async def test_verification_link_dies_when_the_address_changes(client, db):
    email, link = await signed_up(client, db)
    user = await user_by_email(db, email)
    await db.execute(update(User).where(User.id == user.id).values(email=unique_email("changed")))
    assert (await client.submit("/verify-email", {"token": token_of(link)})).status_code == 400


async def test_reset_link_cannot_verify_an_address(client, db):
    email, _link = await signed_up(client, db)
    await client.submit("/logout", {})
    await client.submit("/password/forgot", {"email": email})
    reset_link = link_in(await last_mail_to(db, email), "/password/reset")
    assert (await client.submit("/verify-email", {"token": token_of(reset_link)})).status_code == 400


async def test_resend_sends_a_new_working_link(client, db):
    email, _first = await signed_up(client, db)
    response = await client.submit("/verify-email/resend", {})
    assert response.status_code == 303
    assert "We have sent you a new confirmation link." in text_of((await client.get("/account")).text)
    mails = await mails_to(db, email)
    assert len(mails) == 2
    second = link_in(mails[-1], "/verify-email")
    assert (await client.submit("/verify-email", {"token": token_of(second)})).status_code == 303
    response = await client.submit("/verify-email/resend", {})
    assert "already confirmed" in text_of((await client.get("/account")).text)
    assert len(await mails_to(db, email)) == 2


async def test_resending_is_throttled(client, db, settings):
    email, _first = await signed_up(client, db)
    for _ in range(settings.login_rate_limit + 2):
        await client.submit("/verify-email/resend", {})
    assert len(await mails_to(db, email)) <= 1 + settings.login_rate_limit
    assert "Please wait a few minutes" in text_of((await client.get("/account")).text)


async def test_resend_needs_sign_in(client):
    response = await client.submit("/verify-email/resend", {})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_sign_up_returns_to_where_the_person_was_going(client):
    from tests.conftest import unique_email

    page = await client.get("/signup?next=/invitations/team/abc")
    assert 'name="next" value="/invitations/team/abc"' in page.text
    response = await client.submit(
        "/signup",
        {
            "name": "Nina Next",
            "email": unique_email("next"),
            "password": "a long and quiet river at dawn",
            "locale": "en",
            "next": "/invitations/team/abc",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/invitations/team/abc"


async def test_sign_up_ignores_an_offsite_next(client):
    from tests.conftest import unique_email

    response = await client.submit(
        "/signup",
        {
            "name": "Olga Offsite",
            "email": unique_email("offsite"),
            "password": "a long and quiet river at dawn",
            "locale": "en",
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/account"
