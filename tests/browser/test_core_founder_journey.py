"""A founder's journey in Chromium, by the labels they read: create a program, then a challenge with two
rounds and a submission form, preview it and publish it. (The visitor's part, finding it in the
catalogue and registering, belongs with the catalogue and registration.)"""

from __future__ import annotations

import re
import uuid

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

    await page.get_by_label("Registration opens (Europe/Paris)").fill("2030-01-10T09:00")
    await page.get_by_label("Registration closes (Europe/Paris)").fill("2030-02-01T18:00")
    await page.get_by_label("Judging ends (Europe/Paris)").fill("2030-04-01T18:00")
    await page.get_by_label("Results announced (Europe/Paris)").fill("2030-04-10T12:00")
    await page.get_by_role("button", name="Save the timeline").click()
    await expect(page.get_by_text("The timeline has been saved.")).to_be_visible()

    await add_round(page, "Application", "2030-01-10T09:00", "2030-02-15T18:00")
    await page.get_by_label("Question").last.fill("Link to your prototype")
    await page.get_by_label("Kind").last.select_option("url")
    await page.get_by_role("button", name="Add the field").click()
    await expect(page.get_by_text("The field has been added to the form.")).to_be_visible()
    await page.shoot("round-form")
    await page.get_by_role("link", name=re.compile("^Back to Heart Failure")).click()
    await add_round(page, "Final pitch", "2030-03-01T09:00", "2030-03-20T18:00")
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
