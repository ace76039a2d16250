"""Issue #3's journey in Chromium, by the labels people read: a founder creates a program, then a challenge
with two rounds and a submission form, previews and publishes it; a visitor finds it in the catalogue by
filter and by search, signs up and registers; the founder approves the registration."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import asyncpg
from playwright.async_api import expect

from app.accounts.passwords import hash_password
from tests.conftest import _asyncpg_dsn

PASSWORD = "a long and quiet river at dawn"


async def founder_with_organization(live_server) -> str:
    """A verified account, owner of an organization, straight in the database."""
    email = f"founder-{uuid.uuid4().hex[:8]}@example.org"
    conn = await asyncpg.connect(_asyncpg_dsn(live_server.settings.database_url))
    try:
        user_id, org_id = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO users (id, email, name, password_hash, email_verified_at, locale, is_admin)"
            " VALUES ($1, $2, 'Fanny Founder', $3, now(), 'en', false)",
            user_id,
            email,
            hash_password(PASSWORD),
        )
        await conn.execute(
            "INSERT INTO organizations (id, name, slug, kind, country) VALUES ($1, $2, $3, 'hospital', 'FR')",
            org_id,
            f"Hospital {org_id.hex[:6]}",
            f"hospital-{org_id.hex[:6]}",
        )
        await conn.execute(
            "INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, 'owner')",
            org_id,
            user_id,
        )
    finally:
        await conn.close()
    return email


def paris(days: float) -> str:
    """A datetime-local value `days` from now, as a founder in Paris types it."""
    moment = dt.datetime.now(ZoneInfo("Europe/Paris")) + dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


async def add_round(page, name: str, opens: str, deadline: str) -> None:
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Opens (Europe/Paris)", exact=True).fill(opens)
    await page.get_by_label("Deadline (Europe/Paris)", exact=True).fill(deadline)
    await page.get_by_label("A rubric is planned for this round").check()
    await page.get_by_role("button", name="Add the round").click()
    await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


async def test_a_founder_creates_a_program_and_publishes_a_challenge_with_two_rounds(page, live_server):
    email = await founder_with_organization(live_server)
    suffix = uuid.uuid4().hex[:6]
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    await page.goto("/programs/new")
    await page.get_by_label("Title").fill(f"Cardiovascular {suffix}")
    await page.get_by_label("Theme").select_option("pathology")
    await page.get_by_label("Starts on").fill("2030-01-01")
    await page.get_by_label("Ends on").fill("2031-06-30")
    await page.get_by_label("Description (Markdown)").fill("Hearts, **together**.")
    await page.shoot("program-form")
    await page.get_by_role("button", name="Create the program").click()
    await expect(page.get_by_role("heading", name=f"Cardiovascular {suffix}")).to_be_visible()

    await page.goto("/challenges/new")
    await page.get_by_label("Title").fill(f"Heart Failure {suffix}")
    await page.get_by_label("Summary (one or two sentences)").fill("Predict heart failure a month ahead.")
    await page.get_by_label("Program (optional)").select_option(label=f"Cardiovascular {suffix}")
    await page.get_by_role("button", name="Create the draft").click()
    await expect(page).to_have_url(re.compile(r"/challenges/heart-failure-.*/edit$"))

    await page.get_by_label("Description (Markdown)").first.fill(
        "Three hospitals share **anonymized** records."
    )
    await page.get_by_label("Rules (Markdown)").fill("Be fair. Cite your sources.")
    await page.get_by_role("button", name="Save the details").click()
    await expect(page.get_by_text("The details have been saved.")).to_be_visible()

    # Registration is open from yesterday, so that a visitor can register today.
    await page.get_by_label("Registration opens (Europe/Paris)").fill(paris(-1))
    await page.get_by_label("Registration closes (Europe/Paris)").fill(paris(20))
    await page.get_by_label("Judging ends (Europe/Paris)").fill(paris(80))
    await page.get_by_label("Results announced (Europe/Paris)").fill(paris(90))
    await page.get_by_role("button", name="Save the timeline").click()
    await expect(page.get_by_text("The timeline has been saved.")).to_be_visible()

    await add_round(page, "Application", paris(-1), paris(30))
    await page.get_by_label("Question").last.fill("Link to your prototype")
    await page.get_by_label("Kind").last.select_option("url")
    await page.get_by_role("button", name="Add the field").click()
    await expect(page.get_by_text("The field has been added to the form.")).to_be_visible()
    await page.shoot("round-form")
    await page.get_by_role("link", name=re.compile("^Back to Heart Failure")).click()
    await add_round(page, "Final pitch", paris(40), paris(60))
    await page.get_by_role("link", name=re.compile("^Back to Heart Failure")).click()

    await page.get_by_role("button", name="Preview").click()
    await expect(page.get_by_text("Preview - not published")).to_be_visible()
    await expect(page.get_by_role("heading", name="Final pitch")).to_be_visible()
    await page.shoot("preview")
    await page.get_by_role("link", name="Back to editing").click()
    await expect(page.get_by_text("Everything needed is there.")).to_be_visible()
    await page.shoot("editor")
    await page.get_by_role("button", name="Publish the challenge").click()
    await expect(page.get_by_text("The challenge is published.")).to_be_visible()
    await expect(page.get_by_text("Preview - not published")).to_have_count(0)
    await expect(page.get_by_text("Registration closes in")).to_be_visible()
    await page.shoot("published")
    challenge_url = page.url.split("?")[0]

    # A visitor finds it in the catalogue, by the "open now" filter and by searching its words.
    visitor_context = await page.context.browser.new_context(base_url=live_server.url, locale="en-GB")
    visitor = await visitor_context.new_page()
    visitor.set_default_timeout(15000)
    await visitor.goto("/challenges")
    await visitor.get_by_label("Open for registration now").check()
    await visitor.get_by_label("Search").fill("anonymized records")
    await visitor.get_by_role("button", name="Show challenges").click()
    await expect(visitor.get_by_role("link", name=f"Heart Failure {suffix}")).to_be_visible()
    await visitor.screenshot(path=str(page.shoot.path("catalogue")), full_page=True)
    await visitor.get_by_role("link", name=f"Heart Failure {suffix}").click()
    await visitor.get_by_role("button", name="Register").first.click()

    # Registering needs an account: sign up, then come back to the registration form.
    await expect(visitor).to_have_url(re.compile(r"/login"))
    await visitor.get_by_role("link", name="Create an account").last.click()
    visitor_email = f"visitor-{suffix}@example.org"
    await visitor.get_by_label("Your name").fill("Victor Visitor")
    await visitor.get_by_label("E-mail address").fill(visitor_email)
    await visitor.get_by_label("Password").fill(PASSWORD)
    await visitor.get_by_role("button", name="Create my account").click()
    await expect(visitor.get_by_role("button", name="Sign out")).to_be_visible()
    await visitor.goto(challenge_url + "/register")
    await visitor.get_by_label(re.compile(r"I accept the rules")).check()
    await visitor.screenshot(path=str(page.shoot.path("register")), full_page=True)
    await visitor.get_by_role("button", name="Register", exact=True).last.click()
    await expect(
        visitor.get_by_text(
            "The founders will review your registration; you will be notified of their decision."
        )
    ).to_be_visible()
    await visitor_context.close()

    # The founder approves the registration.
    await page.goto(challenge_url + "/registrations")
    await page.get_by_role("button", name="Approve the registration of Victor Visitor").click()
    await expect(page.get_by_text("Approved: 1.")).to_be_visible()
    await page.shoot("registration-approved")
