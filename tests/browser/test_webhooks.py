"""An organization's owner adds a webhook endpoint in Chromium, copies its secret, opens it and rotates the secret;
the same pages in French. Screenshots to look at."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.factories import DEFAULT_PASSWORD, make_organization, make_user


async def seed(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            suffix = uuid.uuid4().hex[:6]
            owner = await make_user(session, name="Olivia Owner", email=f"olivia-{suffix}@example.org")
            organization = await make_organization(session, owner=owner, name=f"CHU Hooks {suffix}")
            await session.commit()
            return owner.email, organization.slug, organization.name
    finally:
        await engine.dispose()


async def test_an_owner_adds_an_endpoint_sees_its_secret_once_and_rotates_it(page, live_server):
    email, slug, name = await seed(live_server)
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lambda url: "/login" not in url)

    await page.goto(f"/organizations/{slug}")
    await page.get_by_role("button", name="Webhooks").click()  # a link styled as a button
    await expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    await expect(page.get_by_text("No endpoint yet.")).to_be_visible()

    # No event chosen: the message stands beside the events.
    await page.get_by_label("Address (https://…)").fill("https://hooks.example.org/tremplin")
    await page.get_by_role("button", name="Add the endpoint").click()
    await expect(page.locator("#webhook-events-error")).to_be_visible()
    await page.shoot("webhooks-error")
    # The refusal is an answer the page expects (422), not a defect of the page.
    assert [error for error in page.console_errors if "422" in error]
    page.console_errors[:] = [error for error in page.console_errors if "422" not in error]

    await page.get_by_label("Description (optional)").fill("Our submissions dashboard")
    await page.locator('input[name="events"][value="submission.submitted"]').check()
    await page.locator('input[name="events"][value="results.published"]').check()
    await page.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("#new-secret")
    await expect(secret).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/=]{40,}$"))
    first = await secret.inner_text()
    await page.shoot("webhooks-created")

    await page.goto(f"/organizations/{slug}/webhooks")
    await expect(page.locator("#new-secret")).to_have_count(0)  # shown once
    await page.get_by_role("link", name="https://hooks.example.org/tremplin").click()
    await expect(page.get_by_role("heading", name="https://hooks.example.org/tremplin")).to_be_visible()
    await page.get_by_role("button", name="Rotate the secret").click()
    await expect(page.locator("#new-secret")).to_have_text(re.compile(r"^whsec_"))
    assert await page.locator("#new-secret").inner_text() != first
    await page.shoot("webhook-rotated")

    await page.get_by_label("Site language").select_option("fr")
    await expect(page.get_by_role("heading", name="https://hooks.example.org/tremplin")).to_be_visible()
    await expect(page.get_by_role("button", name="Renouveler le secret")).to_be_visible()
    await page.shoot("webhook-fr")
    await page.goto(f"/organizations/{slug}/webhooks")
    await expect(page.get_by_role("link", name=f"Retour à {name}")).to_be_visible()
    await page.shoot("webhooks-fr")
