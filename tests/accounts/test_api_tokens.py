"""Personal API tokens: shown once, kept hashed, revocable; they authenticate /api/ calls as their owner."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy import func, select, update

from app.accounts.models import ApiToken, User
from app.platform.models import AuditEntry
from tests.conftest import make_client, text_of
from tests.factories import make_user, sign_in


async def create_on_page(client, name: str = "CI script") -> str:
    page = await client.submit("/account/tokens", {"name": name})
    assert page.status_code == 200
    match = re.search(r'<p class="token-once" id="new-token">(trp_[\w-]+)</p>', page.text)
    assert match, "the new token is shown on the page"
    return match.group(1)


async def bearer_get(app, secret: str, path: str = "/api/v1/me"):
    async with make_client(app) as api_client:
        return await api_client.get(path, headers={"authorization": f"Bearer {secret}"})


async def test_token_is_shown_once_and_kept_hashed(client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    secret = await create_on_page(client, "Nightly export")
    row = await db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row.prefix) and len(row.prefix) < len(secret) - 20
    listing = await client.get("/account/tokens")
    assert "Nightly export" in text_of(listing.text) and row.prefix in listing.text
    assert secret not in listing.text
    assert "never" in text_of(listing.text)


async def test_token_authenticates_api_calls_as_its_owner_without_a_cookie(app, client, db):
    user = await make_user(db, name="Script Owner")
    await sign_in(client, db, user)
    secret = await create_on_page(client)
    response = await bearer_get(app, secret)
    assert response.status_code == 200
    assert response.json()["name"] == "Script Owner"
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


async def test_token_works_for_unsafe_api_calls_without_csrf(app, client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    secret = await create_on_page(client)
    async with make_client(app) as api_client:
        response = await api_client.patch(
            "/api/v1/me", json={"name": "Renamed by script"}, headers={"authorization": f"Bearer {secret}"}
        )
    assert response.status_code == 200
    await db.refresh(user)
    assert user.name == "Renamed by script"


async def test_token_does_not_open_pages(app, client, db):
    await sign_in(client, db, await make_user(db))
    secret = await create_on_page(client)
    response = await bearer_get(app, secret, "/account")
    assert response.status_code == 303


async def test_revoked_token_is_refused_with_problem_details(app, client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    secret = await create_on_page(client)
    token = await db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    response = await client.submit(f"/account/tokens/{token.id}/revoke", {})
    assert response.status_code == 303
    assert "has been revoked" in text_of((await client.get("/account/tokens")).text)
    refused = await bearer_get(app, secret)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 401
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(token.id))))
    assert actions == {"api_token:create", "api_token:revoke"}


async def test_token_of_a_disabled_account_is_refused(app, client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    secret = await create_on_page(client)
    assert (await bearer_get(app, secret)).status_code == 200
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert (await bearer_get(app, secret)).status_code == 401


async def test_unknown_or_malformed_tokens_are_refused(app, client):
    for secret in ("trp_not-a-real-token", "something-else", "", "trp_" + "x" * 500):
        response = await bearer_get(app, secret)
        assert response.status_code == 401, secret
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_last_use_is_written_at_most_once_a_minute(app, client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    secret = await create_on_page(client)
    await bearer_get(app, secret)
    token = await db.scalar(
        select(ApiToken).where(ApiToken.user_id == user.id).execution_options(populate_existing=True)
    )
    first_use = token.last_used_at
    assert first_use is not None
    await bearer_get(app, secret)
    await db.refresh(token)
    assert token.last_used_at == first_use
    await db.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(last_used_at=func.now() - dt.timedelta(minutes=2))
    )
    await bearer_get(app, secret)
    await db.refresh(token)
    assert token.last_used_at >= first_use


async def test_someone_elses_token_cannot_be_revoked(app, client, db):
    owner = await make_user(db)
    async with make_client(app) as owner_browser:
        await sign_in(owner_browser, db, owner)
        secret = await create_on_page(owner_browser)
    token = await db.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    await sign_in(client, db, await make_user(db))
    assert (await client.submit(f"/account/tokens/{token.id}/revoke", {})).status_code == 404
    assert (await bearer_get(app, secret)).status_code == 200


async def test_token_name_is_checked(client, db):
    await sign_in(client, db, await make_user(db))
    for name, message in (
        ("", "This field is required."),
        ("n" * 81, "Use at most 80 characters."),
        ("bad\x07", "Remove the invisible"),
    ):
        response = await client.submit("/account/tokens", {"name": name})
        assert response.status_code == 422
        assert message in text_of(response.text)
    assert "You have no token yet." in text_of((await client.get("/account/tokens")).text)


async def test_tokens_page_through_htmx_gets_its_block_back(client, db):
    await sign_in(client, db, await make_user(db))
    response = await client.htmx("POST", "/account/tokens", data={"name": "From htmx"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="tokens">')
    assert "token-once" in response.text
