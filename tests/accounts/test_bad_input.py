"""Junk sent to every form and API endpoint of accounts gets a 4xx with a message, never a server error."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import last_mail_to, link_in, token_of
from tests.conftest import text_of
from tests.factories import make_user, sign_in

# path, fields, needs a signed-in user
FORMS = [
    ("/signup", ("email", "name", "password", "locale"), False),
    ("/login", ("email", "password", "next"), False),
    ("/password/forgot", ("email",), False),
    ("/password/reset", ("token", "password"), False),
    ("/verify-email", ("token",), False),
    ("/account", ("name", "locale", "notify_mode"), True),
    ("/account/password", ("current_password", "new_password"), True),
    ("/account/tokens", ("name",), True),
]

JUNK = {
    "empty": "",
    "blank": "   ",
    "overlong": "x" * 20_000,
    "nul": "a\x00b",
    "controls": "\x1b[31m\x07\x08",
    "markup": "<script>alert(1)</script>",
    "replacement": "caf\ufffd",
    "emoji": "🧪" * 300,
}


# Odd but acceptable as a name, a token name or a password: these may succeed.
ACCEPTABLE = {"markup", "emoji", "replacement"}


def assert_client_error(response, *, may_pass: bool = False) -> None:
    if may_pass and response.status_code < 400:
        return
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code == 422:
        assert "field-error" in response.text or "flash-error" in response.text
    assert "<script>alert(1)</script>" not in response.text


async def prepare(client, db, signed_in: bool) -> None:
    if signed_in:
        await sign_in(client, db, await make_user(db))


@pytest.mark.parametrize(("path", "fields", "signed_in"), FORMS, ids=[f[0] for f in FORMS])
@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
async def test_junk_in_every_field_of_every_form(client, db, path, fields, signed_in, junk):
    await prepare(client, db, signed_in)
    response = await client.submit(path, dict.fromkeys(fields, JUNK[junk]))
    assert_client_error(response, may_pass=junk in ACCEPTABLE)


@pytest.mark.parametrize(("path", "fields", "signed_in"), FORMS, ids=[f[0] for f in FORMS])
async def test_bytes_that_are_not_utf8_and_repeated_fields(client, db, path, fields, signed_in):
    await prepare(client, db, signed_in)
    csrf = (await client.csrf()).encode()
    body = (
        b"_csrf="
        + csrf
        + b"".join(b"&" + f.encode() + b"=\xff\xfe%ED%A0%80\xc3&" + f.encode() + b"=again" for f in fields)
    )
    response = await client.post(
        path, content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_client_error(response)


@pytest.mark.parametrize(("path", "fields", "signed_in"), FORMS, ids=[f[0] for f in FORMS])
async def test_a_json_body_sent_to_a_form(client, db, path, fields, signed_in):
    await prepare(client, db, signed_in)
    response = await client.post(
        path, json=dict.fromkeys(fields, 1), headers={"x-csrf-token": await client.csrf()}
    )
    assert_client_error(response)


async def test_junk_passwords_with_a_valid_reset_link(client, db):
    user = await make_user(db)
    await client.submit("/password/forgot", {"email": user.email})
    token = token_of(link_in(await last_mail_to(db, user.email), "/password/reset"))
    for name, junk in JUNK.items():
        if name not in ACCEPTABLE:
            response = await client.submit("/password/reset", {"token": token, "password": junk})
            assert_client_error(response)
    assert "Use at least 10 characters." in text_of(
        (await client.submit("/password/reset", {"token": token, "password": ""})).text
    )


@pytest.mark.parametrize(
    "query",
    ["token=", "token=%ff%fe", "token=" + "x" * 5000, "token=a&token=b", "next=%00", "next=" + "/" * 3000],
)
@pytest.mark.parametrize("path", ["/verify-email", "/password/reset", "/login"])
async def test_junk_in_query_strings(client, path, query):
    response = await client.get(f"{path}?{query}")
    assert response.status_code < 500


API_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b"\xff\xfe",
    b'{"name": "\\ud800"}',
    b'{"name": {"nested": 1}}',
    b'{"name": [1, 2]}',
    b'{"name": 1e999}',
    b'{"name": "' + b"x" * 100_000 + b'"}',
    b'{"name": "ok", "name": 3}',
]


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/api/v1/me"), ("POST", "/api/v1/tokens")])
@pytest.mark.parametrize("body", API_BODIES, ids=range(len(API_BODIES)))
async def test_junk_bodies_on_every_api_endpoint(client, db, method, path, body):
    await prepare(client, db, True)
    headers = {"content-type": "application/json", "x-csrf-token": await client.csrf()}
    response = await client.request(method, path, content=body, headers=headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]
