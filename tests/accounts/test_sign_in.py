"""Signing in and out: one message for every wrong credential, safe redirects only, CSRF on the forms."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.accounts.models import User
from app.platform.security import csrf_token
from tests.accounts.conftest import log_in, log_out
from tests.conftest import SECRET, text_of, unique_email
from tests.factories import make_user

WRONG = "Wrong e-mail address or password."


async def test_sign_in_page_has_labelled_fields(client):
    page = await client.get("/login")
    assert page.status_code == 200
    assert '<label for="email">' in page.text and '<label for="password">' in page.text
    assert 'name="_csrf"' in page.text


async def test_correct_credentials_sign_in_whatever_the_case_of_the_address(client, db):
    user = await make_user(db, email=unique_email("Case"))
    response = await log_in(client, user.email.upper())
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Welcome back" in text_of((await client.get("/")).text)


async def test_wrong_password_and_unknown_address_get_the_same_answer(client, db):
    user = await make_user(db)
    wrong_password = await log_in(client, user.email, "not the right password")
    unknown = await log_in(client, unique_email("nobody"), "not the right password")
    assert wrong_password.status_code == unknown.status_code == 422
    assert WRONG in text_of(wrong_password.text) and WRONG in text_of(unknown.text)
    assert text_of(wrong_password.text) == text_of(unknown.text)
    assert client.session_key().startswith("a_")


async def test_empty_fields_are_named(client):
    response = await log_in(client, "", "")
    assert response.status_code == 422
    assert text_of(response.text).count("This field is required.") == 2


async def test_disabled_account_cannot_sign_in(client, db):
    user = await make_user(db, is_active=False)
    response = await log_in(client, user.email)
    assert response.status_code == 422
    assert "This account is disabled" in text_of(response.text)
    assert client.session_key().startswith("a_")


async def test_disabled_account_with_a_wrong_password_gets_the_generic_message(client, db):
    user = await make_user(db, is_active=False)
    response = await log_in(client, user.email, "not the right password")
    assert WRONG in text_of(response.text)
    assert "disabled" not in text_of(response.text)


async def test_pages_that_need_sign_in_come_back_after_it(client, db):
    user = await make_user(db)
    response = await client.get("/account/tokens")
    assert response.status_code == 303
    login_page = await client.get(response.headers["location"])
    assert 'name="next" value="/account/tokens"' in login_page.text
    signed_in = await log_in(client, user.email, next="/account/tokens")
    assert signed_in.headers["location"] == "/account/tokens"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/\tevil", "evil"],
)
async def test_sign_in_never_redirects_off_site(client, db, target):
    user = await make_user(db)
    response = await log_in(client, user.email, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_signed_in_person_visiting_sign_in_goes_on(client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    response = await client.get("/login?next=/account")
    assert response.status_code == 303 and response.headers["location"] == "/account"


async def test_htmx_sign_in_gets_the_form_back_or_a_redirect(client, db):
    user = await make_user(db)
    failed = await client.htmx("POST", "/login", data={"email": user.email, "password": "nope nope nope"})
    assert failed.status_code == 422
    assert failed.text.lstrip().startswith('<form id="login_form"')
    assert WRONG in text_of(failed.text)
    succeeded = await client.htmx(
        "POST",
        "/login",
        data={"email": user.email, "password": "correct horse battery staple", "next": "/account"},
    )
    assert succeeded.status_code == 200 and succeeded.headers["hx-redirect"] == "/account"


async def test_sign_out_ends_the_session_and_is_harmless_when_signed_out(client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    assert (await log_out(client)).status_code == 303
    assert (await client.get("/account")).status_code == 303
    assert (await log_out(client)).status_code == 303


async def test_sign_out_needs_the_csrf_token(client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    response = await client.post("/logout")
    assert response.status_code == 403
    assert (await client.get("/account")).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/signup", "/password/forgot"])
async def test_forms_without_csrf_token_are_refused(client, db, path):
    await client.get("/")
    fields = {
        "email": unique_email(),
        "password": "correct horse battery staple",
        "name": "X",
        "locale": "en",
    }
    assert (await client.post(path, data=fields)).status_code == 403
    foreign = csrf_token(SECRET, "a_another-browser")
    assert (await client.post(path, data={**fields, "_csrf": foreign})).status_code == 403


async def test_sign_in_with_the_token_of_the_page_passes(client, db):
    user = await make_user(db)
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": user.email, "password": "correct horse battery staple", "_csrf": await client.csrf()},
    )
    assert response.status_code == 303


async def test_password_hash_is_upgraded_when_parameters_change(client, db):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("correct horse battery staple")
    user = await make_user(db)
    await db.execute(update(User).where(User.id == user.id).values(password_hash=weak))
    assert (await log_in(client, user.email)).status_code == 303
    await db.refresh(user)
    assert user.password_hash != weak
