"""Session rules: a new id at sign-in, old ids dead after sign-in, sign-out, password change,
account disable and timeouts; cookies HttpOnly, SameSite=Lax, and Secure with __Host- under https."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from app.accounts.models import User, UserSession
from app.accounts.sessions import hash_token
from app.platform.security import csrf_token
from tests.accounts.conftest import log_in, log_out, second_app
from tests.conftest import SECRET, make_client
from tests.factories import DEFAULT_PASSWORD, make_user, sign_in

NEW_PASSWORD = "a quite different pass phrase"


async def is_signed_in(app, cookie: str) -> bool:
    """Does this cookie value, sent by a brand-new browser, open a signed-in page?"""
    async with make_client(app) as browser:
        browser.cookies.set("tremplin", cookie, domain="testserver.local")
        return (await browser.get("/account")).status_code == 200


async def sessions_of(db, user) -> int:
    return await db.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )


async def test_session_id_changes_at_sign_in_and_the_anonymous_id_is_useless(app, client, db):
    user = await make_user(db)
    await client.get("/")
    anonymous = client.session_key()
    assert anonymous.startswith("a_")
    response = await log_in(client, user.email)
    assert response.status_code == 303
    signed_in = client.session_key()
    assert signed_in.startswith("s_") and signed_in != anonymous
    assert await is_signed_in(app, signed_in)
    assert not await is_signed_in(app, anonymous)


async def test_signing_in_again_replaces_the_previous_session(app, client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    first = client.session_key()
    await log_in(client, user.email)
    second = client.session_key()
    assert second != first
    assert not await is_signed_in(app, first)
    assert await is_signed_in(app, second)
    assert await sessions_of(db, user) == 1


async def test_old_id_is_useless_after_sign_out(app, client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    old = client.session_key()
    await log_out(client)
    assert client.session_key().startswith("a_")
    assert not await is_signed_in(app, old)
    assert await sessions_of(db, user) == 0


async def test_idle_session_ends(app, client, db, settings):
    user = await make_user(db)
    token = await sign_in(client, db, user)
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    await db.execute(
        update(UserSession)
        .values(last_seen_at=func.now() - idle + dt.timedelta(minutes=1))
        .where(UserSession.id == hash_token(token))
    )
    assert (await client.get("/account")).status_code == 200
    await db.execute(
        update(UserSession)
        .values(last_seen_at=func.now() - idle - dt.timedelta(minutes=1))
        .where(UserSession.id == hash_token(token))
    )
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await sessions_of(db, user) == 0
    assert not await is_signed_in(app, token)


async def test_session_ends_after_its_absolute_lifetime_even_when_active(client, db, settings):
    user = await make_user(db)
    token = await sign_in(client, db, user)
    age = dt.timedelta(hours=settings.session_max_hours)
    await db.execute(
        update(UserSession)
        .values(created_at=func.now() - age + dt.timedelta(minutes=5))
        .where(UserSession.id == hash_token(token))
    )
    assert (await client.get("/account")).status_code == 200
    await db.execute(
        update(UserSession)
        .values(created_at=func.now() - age - dt.timedelta(minutes=1), last_seen_at=func.now())
        .where(UserSession.id == hash_token(token))
    )
    assert (await client.get("/account")).status_code == 303
    assert await sessions_of(db, user) == 0


async def test_password_change_ends_other_sessions_and_rotates_this_one(app, client, db):
    user = await make_user(db)
    async with make_client(app) as other_browser:
        await log_in(other_browser, user.email)
        other = other_browser.session_key()
    await log_in(client, user.email)
    before = client.session_key()
    response = await client.submit(
        "/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 303
    after = client.session_key()
    assert after != before and after.startswith("s_")
    assert (await client.get("/account")).status_code == 200
    assert not await is_signed_in(app, before)
    assert not await is_signed_in(app, other)
    assert await sessions_of(db, user) == 1


async def test_disabled_account_session_stops_working(app, client, db):
    user = await make_user(db)
    token = await sign_in(client, db, user)
    assert await is_signed_in(app, token)
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert not await is_signed_in(app, token)
    assert await sessions_of(db, user) == 0


async def test_session_cookie_is_http_only_and_same_site_lax(client, db):
    user = await make_user(db)
    response = await log_in(client, user.email)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("tremplin="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    # Plain http in this app: a Secure cookie would never come back.
    assert "secure" not in attributes


async def test_under_https_the_cookie_is_host_prefixed_and_secure(settings, session_maker, db):
    user = await make_user(db)
    async with second_app(settings, session_maker, base_url="https://testserver.local") as browser:
        await browser.get("/login")
        anonymous = browser.cookies.get("__Host-tremplin")
        assert anonymous and anonymous.startswith("a_")
        response = await browser.post(
            "/login",
            data={"email": user.email, "password": DEFAULT_PASSWORD, "_csrf": csrf_token(SECRET, anonymous)},
        )
        assert response.status_code == 303
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-tremplin=s_")
        )
        attributes = {part.strip().lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
        # __Host- cookies must not name a domain.
        assert not any(a.startswith("domain=") for a in attributes)
        assert (await browser.get("/account")).status_code == 200
