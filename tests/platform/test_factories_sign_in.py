"""The sign_in factory gives a working session; unknown or forged cookies count as visitors."""

from __future__ import annotations

from tests.conftest import text_of
from tests.factories import make_user, sign_in


async def test_signed_in_person_is_greeted_by_name(client, db):
    user = await make_user(db, name="Ada Lovelace")
    await sign_in(client, db, user)
    page = await client.get("/")
    assert "Welcome back, Ada Lovelace." in text_of(page.text)
    assert page.headers["cache-control"] == "no-store"


async def test_forged_session_cookie_is_a_visitor_and_is_cleared(client):
    client.cookies.set("tremplin", "s_forged", domain="testserver.local")
    page = await client.get("/")
    assert "Sign in" in text_of(page.text)
    assert "Welcome back" not in page.text
    assert client.cookies.get("tremplin", domain="testserver.local", path="/").startswith("a_")
