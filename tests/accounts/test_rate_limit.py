"""Throttling: sign-in and reset requests limited per account and per client address, with counters
in Redis shared by every web process; X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from sqlalchemy import select

from app.accounts.models import UserSession
from tests.accounts.conftest import log_in, second_app
from tests.conftest import text_of, unique_email
from tests.factories import DEFAULT_PASSWORD, make_user

PROXY = ipaddress.ip_network("127.0.0.1/32")


async def let_the_window_pass(redis, settings) -> None:
    """What the end of the window does: Redis expires the counters on its own (1 ms from now)."""
    keys = [key async for key in redis.scan_iter(match=f"{settings.redis_prefix}:ratelimit:*")]
    assert keys, "no counter was kept in Redis"
    for key in keys:
        await redis.pexpire(key, 1)
    await asyncio.sleep(0.01)


async def test_sign_in_answers_429_after_the_limit_then_works_once_the_window_passes(
    client, db, redis, settings
):
    user = await make_user(db)
    for _ in range(settings.login_rate_limit):
        assert (await log_in(client, user.email, "wrong password!")).status_code == 422
    blocked = await log_in(client, user.email, DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts. For your security, please wait 5 minutes and try again." in text_of(
        blocked.text
    )
    assert 0 < int(blocked.headers["retry-after"]) <= settings.login_rate_window_seconds
    assert 'id="login_form"' in blocked.text
    assert client.session_key().startswith("a_")

    await let_the_window_pass(redis, settings)
    assert (await log_in(client, user.email, DEFAULT_PASSWORD)).status_code == 303


async def test_the_throttling_message_is_translated(client, db, settings):
    user = await make_user(db)
    for _ in range(settings.login_rate_limit + 1):
        response = await log_in(client, user.email, "wrong password!", headers={"accept-language": "fr"})
    assert response.status_code == 429
    assert "Trop de tentatives" in text_of(response.text)


async def test_successful_sign_ins_do_not_use_up_the_limit(client, db, settings):
    user = await make_user(db)
    for _ in range(settings.login_rate_limit + 2):
        assert (await log_in(client, user.email)).status_code == 303


async def test_counters_are_shared_by_every_web_process(client, db, settings, session_maker):
    """Two apps stand for two web processes: attempts on one count on the other."""
    user = await make_user(db)
    async with second_app(settings, session_maker) as other_process:
        for attempt in range(settings.login_rate_limit):
            browser = client if attempt % 2 else other_process
            await log_in(browser, user.email, "wrong password!")
        assert (await log_in(client, user.email)).status_code == 429
        assert (await log_in(other_process, user.email)).status_code == 429


async def test_an_account_is_protected_whatever_the_address_the_guesses_come_from(
    db, settings, session_maker
):
    user = await make_user(db)
    async with second_app(settings, session_maker, trusted_proxies=(PROXY,)) as browser:
        for n in range(settings.login_rate_limit):
            await log_in(
                browser, user.email, "wrong password!", headers={"x-forwarded-for": f"198.51.100.{n}"}
            )
        response = await log_in(browser, user.email, headers={"x-forwarded-for": "198.51.100.200"})
    assert response.status_code == 429


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(client, db, settings):
    # The default app trusts no proxy: every request below comes from 127.0.0.1, whatever it claims.
    for n in range(settings.login_rate_limit):
        await log_in(client, unique_email(), "wrong password!", headers={"x-forwarded-for": f"203.0.113.{n}"})
    response = await log_in(
        client, unique_email(), "wrong password!", headers={"x-forwarded-for": "203.0.113.99"}
    )
    assert response.status_code == 429


async def test_forwarded_for_is_honoured_from_a_trusted_proxy(db, settings, session_maker):
    user = await make_user(db)
    async with second_app(settings, session_maker, trusted_proxies=(PROXY,)) as browser:
        for _ in range(settings.login_rate_limit):
            await log_in(
                browser, unique_email(), "wrong password!", headers={"x-forwarded-for": "203.0.113.7"}
            )
        blocked = await log_in(
            browser, unique_email(), "wrong password!", headers={"x-forwarded-for": "203.0.113.7"}
        )
        assert blocked.status_code == 429
        # Another client behind the same proxy is not held back, and its real address is what is kept.
        allowed = await log_in(browser, user.email, headers={"x-forwarded-for": "198.51.100.8, 127.0.0.1"})
        assert allowed.status_code == 303
    session = await db.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert session is not None and session.ip == "198.51.100.8"


async def test_password_reset_requests_are_throttled_per_address(client, db, redis, settings):
    user = await make_user(db)
    for _ in range(settings.login_rate_limit):
        assert (await client.submit("/password/forgot", {"email": user.email})).status_code == 303
    blocked = await client.submit("/password/forgot", {"email": user.email})
    assert blocked.status_code == 429
    assert "Too many attempts" in text_of(blocked.text)
    assert 'id="forgot_form"' in blocked.text
    await let_the_window_pass(redis, settings)
    assert (await client.submit("/password/forgot", {"email": user.email})).status_code == 303


async def test_password_reset_requests_are_throttled_per_account(db, settings, session_maker):
    user = await make_user(db)
    async with second_app(settings, session_maker, trusted_proxies=(PROXY,)) as browser:
        for n in range(settings.login_rate_limit):
            await browser.submit(
                "/password/forgot", {"email": user.email}, headers={"x-forwarded-for": f"198.51.100.{n}"}
            )
        blocked = await browser.submit(
            "/password/forgot", {"email": user.email}, headers={"x-forwarded-for": "198.51.100.99"}
        )
    assert blocked.status_code == 429


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_without_redis_sign_in_still_works_and_a_warning_is_logged(db, settings, session_maker):
    user = await make_user(db)
    collected = Collected()
    logging.getLogger("tremplin.ratelimit").addHandler(collected)
    try:
        async with second_app(settings, session_maker, redis_url="redis://127.0.0.1:1/0") as browser:
            assert (await browser.get("/login")).status_code == 200
            assert (await log_in(browser, user.email, "wrong password!")).status_code == 422
            assert (await log_in(browser, user.email)).status_code == 303
    finally:
        logging.getLogger("tremplin.ratelimit").removeHandler(collected)
    assert any("rate limiter unavailable" in message for message in collected.messages)
