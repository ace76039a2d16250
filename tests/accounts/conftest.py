"""Helpers for the accounts tests: forms to sign up and in, mails from the mail log, second apps."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import String, cast, select

from app.accounts.models import User
from app.notifications.models import MailMessage
from app.platform.models import OutboxJob
from tests.conftest import make_client
from tests.factories import DEFAULT_PASSWORD

BASE_URL = "http://testserver.local"


@pytest.fixture(autouse=True)
async def _fresh_rate_limits(redis):
    # Every test client comes from 127.0.0.1: the `redis` fixture clears this run's counters after each test.
    yield


async def sign_up(
    client: Any,
    email: str,
    *,
    name: str = "Camille Martin",
    password: str = DEFAULT_PASSWORD,
    locale: str = "en",
) -> Any:
    return await client.submit(
        "/signup", {"email": email, "name": name, "password": password, "locale": locale}
    )


async def log_in(
    client: Any,
    email: str,
    password: str = DEFAULT_PASSWORD,
    *,
    next: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    fields = {"email": email, "password": password} | ({"next": next} if next is not None else {})
    return await client.submit("/login", fields, headers=headers or {})


async def log_out(client: Any) -> Any:
    return await client.submit("/logout", {})


async def mails_to(db: Any, address: str) -> list[MailMessage]:
    """Mails to an address, oldest first by outbox job: now() is one instant in a test's transaction."""
    rows = await db.scalars(
        select(MailMessage)
        .join(OutboxJob, OutboxJob.args["mail_id"].astext == cast(MailMessage.id, String))
        .where(MailMessage.to_address == address)
        .order_by(OutboxJob.id)
    )
    return list(rows)


async def last_mail_to(db: Any, address: str) -> MailMessage:
    mails = await mails_to(db, address)
    assert mails, f"no e-mail was queued for {address}"
    return mails[-1]


def link_in(mail: MailMessage, path: str) -> str:
    """The link to `path` in a mail, which must start with BASE_URL, made relative for the test client."""
    match = re.search(rf"{re.escape(BASE_URL)}{re.escape(path)}\?token=[\w\-.]+", mail.body_text)
    assert match, f"no {path} link in: {mail.body_text!r}"
    return match.group(0)[len(BASE_URL) :]


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


async def user_by_email(db: Any, email: str) -> User:
    user = await db.scalar(
        select(User).where(User.email == email.lower()).execution_options(populate_existing=True)
    )
    assert user is not None
    return user


@contextlib.asynccontextmanager
async def second_app(settings: Any, session_maker: Any, **changes: Any) -> AsyncIterator[Any]:
    """Another app over the same test transaction with some settings changed, and a browser for it."""
    from app.main import create_app

    app = create_app(settings.replace(**changes), session_maker=session_maker)
    await app.state.services.start()
    try:
        async with make_client(app) as client:
            client.base_url = changes.get("base_url", BASE_URL)
            yield client
    finally:
        await app.state.services.stop()
