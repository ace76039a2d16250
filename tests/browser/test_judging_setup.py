"""A founder sets a round's judging up in Chromium: finds it from the challenge's editor, defines a
two-criterion rubric (the levels follow the scale as it is typed), screens the entries (one ineligible
with a reason, the rest eligible at once) and reads where the round stands."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.factories import DEFAULT_PASSWORD
from tests.judging.setup_support import finalize_a_review, make_setup_cast, open_round


async def committed_cast(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    sessions = make_session_maker(engine)
    async with sessions() as session:
        cast = await make_setup_cast(session, teams=4, criteria=0, screen=False, assign=False)
        open_round(cast)
        await session.commit()
    return cast, sessions, engine


async def add_criterion(
    page, name: str, weight: str, high: str, levels: dict[str, str], *, button: bool = False
) -> None:
    form = page.locator("article.new-criterion form")
    await form.get_by_label("Name").fill(name)
    await form.get_by_label("Weight").fill(weight)
    await form.get_by_label("Highest value").fill(high)
    # The levels follow the scale typed (htmx), before anything is saved: on leaving the field, or on request.
    if button:
        await form.get_by_role("button", name="Update the levels to this scale").click()
    else:
        await form.get_by_label("Highest value").blur()
    await expect(
        form.get_by_role("group", name="What each level means (optional)").get_by_role("textbox")
    ).to_have_count(int(high))
    for value, text in levels.items():
        await form.get_by_label(f"Level {value}", exact=True).fill(text)
    await form.get_by_role("button", name="Add the criterion").click()
    await expect(page.get_by_text(f"{name} was added.")).to_be_visible()


async def test_a_founder_defines_a_rubric_and_screens_the_entries(live_server, page):
    cast, sessions, engine = await committed_cast(live_server)
    try:
        await page.goto("/login")
        await page.get_by_label("E-mail address").fill(cast.founder.email)
        await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        await page.goto(f"/challenges/{cast.challenge.slug}/edit#rounds")
        await page.get_by_role("link", name="Judging of Round 1").click()
        await expect(page.get_by_role("heading", name="Judging of Round 1")).to_be_visible()

        await (
            page.get_by_role("navigation", name="Judging of Round 1")
            .get_by_role("link", name="Rubric")
            .click()
        )
        await expect(page.get_by_text("No criterion yet.")).to_be_visible()
        await add_criterion(
            page, "Clinical value", "2", "4",
            {"1": "No clinical rationale", "4": "Evidence from a clinical study"},
        )  # fmt: skip
        await add_criterion(page, "Feasibility", "1", "3", {"3": "Ready to pilot in a hospital"}, button=True)
        criteria = page.locator("ol.criteria > li")
        await expect(criteria).to_have_count(2)
        await expect(criteria.first).to_contain_text("Weight 2: 66.7% of the total")
        await expect(criteria.nth(1)).to_contain_text("Scale from 1 to 3 by 1")
        # Feasibility first: one click up.
        await page.get_by_role("button", name="Move Feasibility up").click()
        await expect(criteria.first).to_contain_text("Feasibility")
        await page.reload()
        await criteria.first.get_by_text("Levels and what they mean").click()
        await criteria.nth(1).get_by_text("Edit Clinical value").click()
        await page.shoot("rubric")

        await page.get_by_role("link", name="Screening").click()
        rows = page.locator("table.screening tbody tr")
        await expect(rows).to_have_count(4)
        await rows.first.get_by_text("Ineligible or return…").click()
        await page.shoot("screening")
        # A full-page capture leaves style="" on inputs, which a later htmx swap would copy (refused by the CSP).
        await page.reload()
        first = rows.first
        await first.get_by_text("Ineligible or return…").click()
        await first.get_by_label("Reason or comment for the team").fill("The project has no health focus.")
        await first.get_by_role("button", name=re.compile(r"^Mark .* ineligible$")).click()
        await expect(page.get_by_text("is marked ineligible; its team was told why.")).to_be_visible()
        await page.get_by_role("button", name="Mark the 3 entries still to screen eligible").click()
        await expect(page.get_by_text("3 entries were marked eligible.")).to_be_visible()
        await expect(page.locator(".decision-eligible")).to_have_count(3)
        await page.reload()
        await page.shoot("screened")

        await page.get_by_role("link", name="Settings").click()
        await expect(page.locator(".judging-figures")).to_contain_text("Eligible: 3")
        await page.get_by_label("A set number of judges per entry, balanced by load").check()
        await page.get_by_label("Judges per entry", exact=True).fill("2")
        await page.get_by_role("button", name="Save the settings").click()
        await expect(page.get_by_text("The judging settings were saved.")).to_be_visible()
        await page.reload()
        await page.shoot("settings-saved")

        # A judge finalizes a review: the rubric page says why it no longer changes, in French too.
        async with sessions() as session:
            await finalize_a_review(session, cast)
            await session.commit()
        await page.goto(f"{cast.page}/rubric")
        await expect(page.get_by_text("This rubric can no longer change.")).to_be_visible()
        await expect(page.get_by_role("button", name="Add the criterion")).to_have_count(0)
        await page.shoot("rubric-frozen")
        await page.get_by_label("Site language").select_option("fr")
        await expect(page.get_by_text("Cette grille d’évaluation ne peut plus changer.")).to_be_visible()
        await page.goto(f"{cast.page}/screening")
        await expect(page.get_by_role("heading", name="Recevabilité de Round 1")).to_be_visible()
        await page.shoot("screening-fr")
    finally:
        await engine.dispose()
