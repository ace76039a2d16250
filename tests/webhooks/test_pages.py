"""The Webhooks pages of an organization: its owners add endpoints (the secret shown once), rotate secrets,
switch endpoints off and on, delete them, send a test event and read the delivery log; nobody else does.
Bad input is a 422 with the message beside its field; every change is audited."""

from __future__ import annotations

import base64
import uuid

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.organizations.models import OrganizationMember
from app.platform.models import AuditEntry, OutboxJob
from app.webhooks.models import EVENTS, Webhook, WebhookDelivery
from tests.conftest import text_of
from tests.factories import make_user, sign_in
from tests.querycount import counting_statements
from tests.webhooks.support import make_owner, make_webhook

URL = "https://hooks.example.org/tremplin"


def form(
    url: str = URL, events: tuple[str, ...] = ("results.published", "grant.expired"), **fields: str
) -> dict:
    return {"url": url, "description": "Our CRM", "events": list(events), **fields}


async def audit(db, action: str, object_id) -> list[AuditEntry]:
    return list(
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == str(object_id))
        )
    )


async def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(client, db):
    owner = await make_owner(db)
    await sign_in(client, db, owner.user)
    slug = owner.organization.slug
    assert f'href="/organizations/{slug}/webhooks"' in (await client.get(f"/organizations/{slug}")).text

    response = await client.submit(f"/organizations/{slug}/webhooks", form())

    assert response.status_code == 200
    webhook = await db.scalar(select(Webhook).where(Webhook.organization_id == owner.organization.id))
    assert (webhook.url, webhook.description, webhook.events, webhook.active) == (
        URL, "Our CRM", ["grant.expired", "results.published"], True,
    )  # fmt: skip
    assert webhook.created_by_id == owner.user.id
    page = text_of(response.text)
    assert "Copy it now: it will not be shown again." in page
    secret = page.split("it will not be shown again. ", 1)[1].split(" ", 1)[0]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret.encode() not in webhook.secret_seed
    [entry] = await audit(db, "webhook:create", webhook.id)
    assert entry.actor_id == owner.user.id and entry.details["url"] == URL
    # Never again: not on the list, not on the endpoint's page.
    listing = await client.get(f"/organizations/{slug}/webhooks")
    assert listing.status_code == 200 and URL in listing.text and secret not in listing.text
    assert "nothing sent yet" in text_of(listing.text)
    detail = await client.get(f"/organizations/{slug}/webhooks/{webhook.id}")
    assert detail.status_code == 200 and secret not in detail.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (form(url="not a url"), "url", "The address must not contain spaces or control characters."),
        (form(url="ftp://hooks.example.org/x"), "url", "The address must start with https://."),
        (form(url="http://hooks.example.org/x"), "url", "The address must start with https://."),
        (form(url="https://user:pw@hooks.example.org/x"), "url", "must not contain a user name or password"),
        (form(url="https://127.0.0.1/x"), "url", "private or reserved network"),
        (form(url="https://169.254.169.254/latest"), "url", "private or reserved network"),
        (form(url="https://[::1]/x"), "url", "private or reserved network"),
        (form(url="https://hooks.example.org:99999/x"), "url", "This is not a valid web address."),
        (form(url="https://" + "a" * 2000 + ".org"), "url", "The address is too long"),
        (form(url=""), "url", "Enter the address of your endpoint."),
        (form(events=()), "events", "Choose at least one of the events listed."),
        (
            form(events=("results.published", "everything")),
            "events",
            "Choose at least one of the events listed.",
        ),
        (form(description="x" * 201), "description", "Use at most 200 characters."),
    ],
)
async def test_bad_input_is_refused_beside_its_field(client, db, fields, field, message):
    owner = await make_owner(db)
    await sign_in(client, db, owner.user)
    response = await client.submit(f"/organizations/{owner.organization.slug}/webhooks", fields)
    assert response.status_code == 422
    assert f'id="webhook-{field}-error"' in response.text
    assert message in text_of(response.text)
    assert await db.scalar(select(func.count()).select_from(Webhook).where(
        Webhook.organization_id == owner.organization.id)) == 0  # fmt: skip


async def test_a_nul_character_is_refused_not_a_server_error(client, db):
    owner = await make_owner(db)
    await sign_in(client, db, owner.user)
    response = await client.submit(
        f"/organizations/{owner.organization.slug}/webhooks", form(url=URL + "\x00")
    )
    assert response.status_code == 422
    response = await client.submit(
        f"/organizations/{owner.organization.slug}/webhooks", form(description="a\x00b")
    )
    assert response.status_code == 200
    assert (
        await db.scalar(select(Webhook.description).where(Webhook.organization_id == owner.organization.id))
        == "ab"
    )


async def test_rotating_shows_a_new_secret_once_and_audits_it(client, db, settings):
    owner = await make_owner(db)
    webhook, old_secret = await make_webhook(db, settings, owner, URL)
    await sign_in(client, db, owner.user)
    response = await client.submit(f"/organizations/{owner.organization.slug}/webhooks/{webhook.id}/rotate")
    assert response.status_code == 200
    page = text_of(response.text)
    new_secret = page.split("The old secret no longer signs anything. ", 1)[1].split(" ", 1)[0]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    await db.refresh(webhook)
    assert webhook.secret_rotated_at is not None
    assert len(await audit(db, "webhook:rotate_secret", webhook.id)) == 1


async def test_switching_off_stops_events_and_test_events(client, db, settings):
    owner = await make_owner(db)
    webhook, _secret = await make_webhook(db, settings, owner, URL, EVENTS)
    await sign_in(client, db, owner.user)
    base = f"/organizations/{owner.organization.slug}/webhooks/{webhook.id}"
    assert (await client.submit(base + "/active", {"active": "off"})).status_code == 303
    await db.refresh(webhook)
    assert webhook.active is False
    assert len(await audit(db, "webhook:deactivate", webhook.id)) == 1
    response = await client.submit(base + "/ping")
    assert response.status_code == 409 and "switched off" in text_of(response.text)
    assert (await client.submit(base + "/active", {"active": "on"})).status_code == 303
    await db.refresh(webhook)
    assert webhook.active is True and len(await audit(db, "webhook:activate", webhook.id)) == 1


async def test_a_test_event_is_queued_and_shown_in_the_log(client, db, settings):
    owner = await make_owner(db)
    webhook, _secret = await make_webhook(db, settings, owner, URL)
    await sign_in(client, db, owner.user)
    base = f"/organizations/{owner.organization.slug}/webhooks/{webhook.id}"
    response = await client.submit(base + "/ping")
    assert response.status_code == 303 and response.headers["location"] == base
    [delivery] = await db.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    assert delivery.event == "ping" and delivery.payload["data"]["webhook"] == {"id": str(webhook.id)}
    assert await db.scalar(
        select(OutboxJob.id).where(OutboxJob.args["delivery_id"].astext == str(delivery.id))
    )
    delivery.attempts, delivery.last_status_code, delivery.last_error = 2, 502, "the endpoint answered 502"
    await db.flush()
    page = text_of((await client.get(base)).text)
    assert "ping" in page and "Failed, will retry (502)" in page and "the endpoint answered 502" in page
    listing = text_of((await client.get(f"/organizations/{owner.organization.slug}/webhooks")).text)
    assert "ping · Failed, will retry (502)" in listing


async def test_deleting_an_endpoint_removes_it_and_its_log_and_audits_it(client, db, settings):
    owner = await make_owner(db)
    webhook, _secret = await make_webhook(db, settings, owner, URL)
    db.add(WebhookDelivery(webhook_id=webhook.id, event="ping", payload={}))
    await db.flush()
    webhook_id = webhook.id
    await sign_in(client, db, owner.user)
    response = await client.submit(f"/organizations/{owner.organization.slug}/webhooks/{webhook_id}/delete")
    assert response.status_code == 303
    db.expunge_all()
    assert await db.get(Webhook, webhook_id) is None
    assert await db.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.webhook_id == webhook_id)) == 0  # fmt: skip
    [entry] = await audit(db, "webhook:delete", webhook_id)
    assert entry.details["url"] == URL


# --- who may --------------------------------------------------------------------------------------------

ROUTES = [
    ("GET", ""),
    ("POST", ""),
    ("GET", "/{id}"),
    ("POST", "/{id}/rotate"),
    ("POST", "/{id}/active"),
    ("POST", "/{id}/ping"),
    ("POST", "/{id}/delete"),
]


async def _person(db, owner, role):
    if role == "owner":
        return owner.user
    if role == "member":
        member = await make_user(db)
        db.add(OrganizationMember(organization_id=owner.organization.id, user_id=member.id, role="member"))
        await db.flush()
        return member
    return await make_user(db, admin=role == "admin")


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("role", "expected"), [("member", 403), ("outsider", 403), ("admin", 403), ("visitor", 303)]
)
async def test_only_owners_reach_the_webhooks(client, db, settings, method, path, role, expected):
    owner = await make_owner(db)
    webhook, _secret = await make_webhook(db, settings, owner, URL)
    if role != "visitor":
        await sign_in(client, db, await _person(db, owner, role))
    url = f"/organizations/{owner.organization.slug}/webhooks" + path.replace("{id}", str(webhook.id))
    response = await (client.get(url) if method == "GET" else client.submit(url, form()))
    assert response.status_code == expected
    if expected == 303:
        assert response.headers["location"].startswith("/login?next=")
    await db.refresh(webhook)
    assert webhook.active and await db.scalar(select(func.count()).select_from(Webhook).where(
        Webhook.organization_id == owner.organization.id)) == 1  # fmt: skip
    assert not list(await db.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)))


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_the_owners_twin_is_allowed(client, db, settings, method, path):
    owner = await make_owner(db)
    webhook, _secret = await make_webhook(db, settings, owner, URL)
    await sign_in(client, db, owner.user)
    url = f"/organizations/{owner.organization.slug}/webhooks" + path.replace("{id}", str(webhook.id))
    response = await (client.get(url) if method == "GET" else client.submit(url, form()))
    assert response.status_code in (200, 303)


@pytest.mark.parametrize(("method", "path"), [route for route in ROUTES if "{id}" in route[1]])
async def test_an_endpoint_of_another_organization_is_not_found(client, db, settings, method, path):
    """An endpoint of another organization, reached through the owner's own organization, is 404 and unchanged."""
    owner = await make_owner(db)
    theirs, _secret = await make_webhook(db, settings, await make_owner(db), URL)
    await sign_in(client, db, owner.user)
    url = f"/organizations/{owner.organization.slug}/webhooks" + path.replace("{id}", str(theirs.id))
    response = await (client.get(url) if method == "GET" else client.submit(url, form()))
    assert response.status_code == 404
    url = f"/organizations/{owner.organization.slug}/webhooks" + path.replace("{id}", str(uuid.uuid4()))
    assert (await (client.get(url) if method == "GET" else client.submit(url, form()))).status_code == 404
    await db.refresh(theirs)
    assert theirs.active and theirs.secret_rotated_at is None


async def test_the_webhooks_page_costs_the_same_with_one_delivery_or_many(client, db, settings, connection):
    owner = await make_owner(db)
    first, _secret = await make_webhook(db, settings, owner, URL)
    db.add(WebhookDelivery(webhook_id=first.id, event="ping", payload={}, delivered_at=utcnow()))
    await db.flush()
    await sign_in(client, db, owner.user)
    url = f"/organizations/{owner.organization.slug}/webhooks"
    await client.get(url)
    with counting_statements(connection) as few:
        assert (await client.get(url)).status_code == 200
    for number in range(5):
        hook, _secret = await make_webhook(db, settings, owner, f"{URL}/{number}", EVENTS)
        db.add_all(
            WebhookDelivery(webhook_id=hook.id, event="ping", payload={}, attempts=1) for _ in range(10)
        )
    await db.flush()
    with counting_statements(connection) as many:
        response = await client.get(url)
    assert response.status_code == 200 and response.text.count("Failed, will retry") == 5
    assert len(many) == len(few)
    detail = f"{url}/{first.id}"
    await client.get(detail)
    with counting_statements(connection) as few_deliveries:
        await client.get(detail)
    db.add_all(WebhookDelivery(webhook_id=first.id, event="ping", payload={}) for _ in range(30))
    await db.flush()
    with counting_statements(connection) as many_deliveries:
        response = await client.get(detail)
    assert response.text.count("Waiting to be sent") == 30
    assert len(many_deliveries) == len(few_deliveries)
