"""The submission page in Chromium: the draft saves itself as one types, a PDF uploads in place, a save
based on an outdated version shows who saved meanwhile instead of overwriting their work, and the team submits."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.accounts.sessions import actor_from_user
from app.db import async_url, make_session_maker, utcnow
from app.teams import submissions
from tests.factories import DEFAULT_PASSWORD
from tests.teams.submission_support import PDF, make_cast


async def committed_cast(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    sessions = make_session_maker(engine)
    async with sessions() as session:
        cast = await make_cast(session)
        await session.commit()
    return cast, sessions, engine


async def test_a_member_drafts_uploads_and_is_told_of_a_conflict(live_server, page, tmp_path):
    cast, sessions, engine = await committed_cast(live_server)
    try:
        await page.goto("/login")
        await page.get_by_label("E-mail address").fill(cast.member.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        # Screenshots only where no htmx swap follows: Playwright's full-page capture leaves style="" on
        # inputs, which htmx's settling would then copy, and the CSP rightly refuses.
        await page.goto(cast.path)
        status = page.locator("#save-status")
        await expect(status).to_have_text(re.compile(r"Not saved yet\."))
        await page.get_by_label("Pitch", exact=False).first.fill("We listen to hearts.")
        await expect(status).to_have_text(re.compile(r"Saved at .*\(version 1\)\."))
        await page.get_by_role("group", name="Topics").get_by_label("data").check()
        await expect(status).to_have_text(re.compile(r"Saved at .*\(version 2\)\."))

        deck = tmp_path / "deck.pdf"
        deck.write_bytes(PDF)
        await page.get_by_label("Pitch deck").set_input_files(str(deck))
        await page.get_by_role("button", name="Upload").click()
        await expect(page.locator("#file-deck")).to_contain_text("deck.pdf")
        await expect(status).to_have_text(re.compile(r"\(version 3\)"))
        await expect(page.locator("#submission-version")).to_contain_text("Version 3, saved on")

        # Another member saves meanwhile; this page still builds on version 3.
        async with sessions() as session:
            await submissions.save_draft(
                session,
                actor_from_user(cast.captain),
                cast.team.id,
                cast.round.id,
                utcnow(),
                base_version=3,
                answers={"pitch": "The captain's pitch."},
            )
            await session.commit()
        await page.get_by_label("Summary").fill("Our summary.")
        await expect(status).to_contain_text("Carla Captain saved version 4")
        await expect(status.get_by_role("link", name="Reload the latest version")).to_be_visible()
        await page.shoot("conflict")
        # The refusal was expected: it is not a defect of the page.
        page.console_errors[:] = [error for error in page.console_errors if "409" not in error]

        await status.get_by_role("link", name="Reload the latest version").click()
        await expect(page.get_by_label("Pitch", exact=False).first).to_have_value("The captain's pitch.")
        await expect(page.locator("#file-deck")).to_contain_text("deck.pdf")
        await page.get_by_role("button", name="Submit", exact=True).click()
        await expect(page.get_by_text("Submitted: version 5.")).to_be_visible()
        await expect(page.locator(".submission-status")).to_have_text("Submitted")
        await page.shoot("submitted")
    finally:
        await engine.dispose()
