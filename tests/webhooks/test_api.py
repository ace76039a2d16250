"""The JSON API of webhooks: the pages' services and permissions, the secret in the creation's answer only."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.organizations.models import OrganizationMember
from app.platform.models import AuditEntry
from app.webhooks import services
from app.webhooks.models import Webhook
from tests.factories import make_user, sign_in
from tests.webhooks.support import make_owner, make_webhook

URL = "https://hooks.example.org/api"


async def send(client, method, url, body=None):
    headers = {"X-CSRF-Token": await client.csrf()}
    return await client.request(method, url, json=body, headers=headers)


async def test_an_owner_creates_lists_and_deletes_endpoints(client, db, settings):
    owner = await make_owner(db)
    await sign_in(client, db, owner.user)
    base = f"/api/v1/organizations/{owner.organization.slug}/webhooks"

    response = await send(
        client, "POST", base, {"url": URL, "events": ["grant.revoked"], "description": "CRM"}
    )

    assert response.status_code == 201
    created = response.json()
    webhook = await db.get(Webhook, uuid.UUID(created["id"]))
    assert created["secret"] == services.secret_of(settings, webhook)
    assert (created["url"], created["events"], created["active"]) == (URL, ["grant.revoked"], True)
    assert await db.scalar(select(AuditEntry.id).where(AuditEntry.action == "webhook:create"))
    listed = (await client.get(base)).json()
    assert [item["id"] for item in listed] == [created["id"]]
    assert "secret" not in listed[0]

    response = await send(client, "DELETE", f"{base}/{created['id']}")
    assert response.status_code == 204
    assert (await client.get(base)).json() == []


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"url": "http://hooks.example.org/x", "events": ["grant.revoked"]}, "url"),
        ({"url": "https://10.0.0.1/x", "events": ["grant.revoked"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["grant.revoked", "all"]}, "events"),
        ({"url": URL, "events": ["grant.revoked"], "description": "x" * 201}, "description"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(client, db, body, key):
    owner = await make_owner(db)
    await sign_in(client, db, owner.user)
    response = await send(client, "POST", f"/api/v1/organizations/{owner.organization.slug}/webhooks", body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["key"] for error in response.json()["errors"]] == [key]


async def test_a_client_cannot_choose_the_secret_or_the_organization(client, db):
    owner = await make_owner(db)
    await sign_in(client, db, owner.user)
    body = {"url": URL, "events": ["grant.revoked"], "secret": "whsec_mine"}
    response = await send(client, "POST", f"/api/v1/organizations/{owner.organization.slug}/webhooks", body)
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["member", "outsider", "admin"])
async def test_only_owners_use_the_api(client, db, settings, role):
    owner = await make_owner(db)
    webhook, _secret = await make_webhook(db, settings, owner, URL)
    person = await make_user(db, admin=role == "admin")
    if role == "member":
        db.add(OrganizationMember(organization_id=owner.organization.id, user_id=person.id, role="member"))
        await db.flush()
    await sign_in(client, db, person)
    base = f"/api/v1/organizations/{owner.organization.slug}/webhooks"
    assert (await client.get(base)).status_code == 403
    assert (await send(client, "POST", base, {"url": URL, "events": ["grant.revoked"]})).status_code == 403
    assert (await send(client, "DELETE", f"{base}/{webhook.id}")).status_code == 403
    assert await db.get(Webhook, webhook.id) is not None


async def test_an_endpoint_of_another_organization_is_not_found(client, db, settings):
    owner = await make_owner(db)
    theirs, _secret = await make_webhook(db, settings, await make_owner(db), URL)
    await sign_in(client, db, owner.user)
    response = await send(
        client, "DELETE", f"/api/v1/organizations/{owner.organization.slug}/webhooks/{theirs.id}"
    )
    assert response.status_code == 404
    assert await db.get(Webhook, theirs.id) is not None
