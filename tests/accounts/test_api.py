"""JSON API of accounts: /api/v1/me and /api/v1/tokens, the pages' permissions, errors as problem details."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.accounts.models import ApiToken
from tests.conftest import make_client
from tests.factories import make_organization, make_user, sign_in

# Fixed, so that every test worker collects the same test names.
SOME_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def is_problem(response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["status"] == status
    )


async def api(client, method: str, path: str, **kwargs):
    """A call from the signed-in browser: cookie plus the CSRF header, as htmx or a page script would send."""
    headers = {"x-csrf-token": await client.csrf(), **kwargs.pop("headers", {})}
    return await client.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("PATCH", "/api/v1/me"),
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens"),
        ("DELETE", f"/api/v1/tokens/{SOME_ID}"),
    ],
)
async def test_api_needs_authentication(client, method, path):
    response = await api(client, method, path, json={})
    assert is_problem(response, 401)


async def test_me_shows_the_profile_and_memberships(client, db):
    user = await make_user(db, name="Ada", locale="fr")
    organization = await make_organization(db, name="CHU", owner=user)
    await sign_in(client, db, user)
    response = await client.get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email and body["name"] == "Ada" and body["locale"] == "fr"
    assert body["notify_mode"] == "immediate" and body["email_verified"] is True and body["is_admin"] is False
    assert body["organizations"] == [
        {
            "organization": "CHU",
            "slug": organization.slug,
            "role": "owner",
            "url": f"/organizations/{organization.slug}",
        }
    ]
    assert "password_hash" not in body


async def test_patch_me_changes_only_the_given_fields(client, db):
    user = await make_user(db, name="Ada")
    await sign_in(client, db, user)
    response = await api(client, "PATCH", "/api/v1/me", json={"notify_mode": "digest"})
    assert response.status_code == 200
    assert response.json()["notify_mode"] == "digest" and response.json()["name"] == "Ada"
    response = await api(client, "PATCH", "/api/v1/me", json={"name": " Grace ", "locale": "fr"})
    assert (response.json()["name"], response.json()["locale"]) == ("Grace", "fr")


async def test_patch_me_from_a_browser_needs_the_csrf_token(client, db):
    await sign_in(client, db, await make_user(db))
    response = await client.patch("/api/v1/me", json={"name": "Forged"})
    assert is_problem(response, 403)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "new@example.org"},
        {"is_admin": True},
        {"id": str(uuid.uuid4())},
        {"name": 5},
        {"name": None},
        {"locale": "de"},
        {"locale": ["fr"]},
        {"notify_mode": "weekly"},
    ],
)
async def test_patch_me_refuses_unknown_fields_and_wrong_types(client, db, body):
    user = await make_user(db, name="Ada")
    await sign_in(client, db, user)
    response = await api(client, "PATCH", "/api/v1/me", json=body)
    assert is_problem(response, 400)
    assert response.json()["errors"], "the problem names what is wrong"
    await db.refresh(user)
    assert (user.name, user.is_admin, user.locale) == ("Ada", False, "en")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 121}, "Use at most 120 characters."),
        ({"name": "a\u0000b"}, "Remove the invisible or unreadable characters."),
    ],
)
async def test_patch_me_names_the_field_with_a_bad_value(client, db, body, message):
    await sign_in(client, db, await make_user(db))
    response = await api(client, "PATCH", "/api/v1/me", json=body)
    assert is_problem(response, 422)
    assert response.json()["errors"] == [{"key": "name", "message": message}]


async def test_tokens_through_the_api(app, client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    created = await api(client, "POST", "/api/v1/tokens", json={"name": "Integration"})
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("trp_") and body["token"].startswith(body["prefix"])
    listed = (await client.get("/api/v1/tokens")).json()
    assert [t["name"] for t in listed] == ["Integration"]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is None

    async with make_client(app) as script:
        headers = {"authorization": f"Bearer {body['token']}"}
        assert (await script.get("/api/v1/tokens", headers=headers)).json()[0]["last_used_at"] is not None
        revoked = await script.delete(f"/api/v1/tokens/{body['id']}", headers=headers)
        assert revoked.status_code == 204
        assert is_problem(await script.get("/api/v1/me", headers=headers), 401)
    assert (await client.get("/api/v1/tokens")).json() == []


async def test_revoking_unknown_or_someone_elses_token_is_not_found(client, db):
    owner = await make_user(db)
    db.add(ApiToken(user_id=owner.id, name="theirs", token_hash="0" * 64, prefix="trp_0000"))
    await db.flush()
    theirs = await db.scalar(select(ApiToken.id).where(ApiToken.user_id == owner.id))
    await sign_in(client, db, await make_user(db))
    assert is_problem(await api(client, "DELETE", f"/api/v1/tokens/{theirs}"), 404)
    assert is_problem(await api(client, "DELETE", f"/api/v1/tokens/{uuid.uuid4()}"), 404)
    assert (await api(client, "DELETE", "/api/v1/tokens/not-a-uuid")).status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"name": 3}, 400),
        ({"name": "ok", "user_id": str(uuid.uuid4())}, 400),
        ({"name": ""}, 422),
        ({"name": "n" * 81}, 422),
    ],
)
async def test_token_creation_checks_its_body(client, db, body, status):
    await sign_in(client, db, await make_user(db))
    response = await api(client, "POST", "/api/v1/tokens", json=body)
    assert is_problem(response, status)
    assert response.json()["errors"]


async def test_openapi_documents_the_account_endpoints(client, db):
    await sign_in(client, db, await make_user(db))
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{token_id}"} <= set(paths)
    assert "/login" not in paths
