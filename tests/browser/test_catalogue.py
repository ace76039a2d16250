"""A visitor browses the catalogue in Chromium: htmx refreshes the results as the filters change."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import load_demo


@pytest.fixture
async def demo_loaded(live_server):
    await load_demo(live_server)


async def test_visitor_filters_and_searches_without_reloading_the_page(page, demo_loaded):
    await page.goto("/challenges")
    await expect(page.get_by_role("heading", name="Challenges", exact=True)).to_be_visible()
    await expect(
        page.get_by_role("link", name="Suivi de l’insuffisance cardiaque à domicile")
    ).to_be_visible()
    await page.shoot("catalogue")
    # A mark on the window survives htmx swaps, not a page load.
    await page.evaluate("window.stillHere = true")

    await page.get_by_label("Phase").select_option("upcoming")
    await expect(page).to_have_url(re.compile(r"phase=upcoming"))
    await expect(page.get_by_role("link", name="Remote monitoring of heart failure patients")).to_be_visible()
    await expect(page.get_by_role("link", name="Suivi de l’insuffisance cardiaque à domicile")).to_have_count(
        0
    )

    await page.get_by_label("Phase").select_option("")
    await page.get_by_label("Search").press_sequentially("cardiaque")
    await expect(page).to_have_url(re.compile(r"q=cardiaque"))
    await expect(
        page.get_by_role("link", name="Suivi de l’insuffisance cardiaque à domicile")
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Arrhythmia detection with consumer wearables")).to_have_count(
        0
    )
    assert await page.evaluate("window.stillHere") is True
    await page.shoot("catalogue-searched")

    link = page.get_by_role("link", name="Suivi de l’insuffisance cardiaque à domicile")
    await expect(link).to_have_attribute("href", "/challenges/insuffisance-cardiaque-a-domicile")


async def test_the_form_works_without_javascript(browser, live_server, demo_loaded):
    context = await browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = await context.new_page()
    await page.goto("/challenges")
    await page.get_by_label("Open for registration now").check()
    await page.get_by_role("button", name="Show challenges").click()
    await expect(page).to_have_url(re.compile(r"open=1"))
    await expect(
        page.get_by_role("link", name="Suivi de l’insuffisance cardiaque à domicile")
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Réadaptation cardiaque connectée")).to_have_count(0)
    await context.close()


async def test_leaving_the_search_box_sends_no_second_search_and_a_pasted_search_runs(page, demo_loaded):
    """Each search text is asked for once: a second refresh landing as the reader tabs into the results
    replaced the link they had reached, and the keyboard focus fell back to the page."""
    await page.goto("/challenges")
    searches: list[str] = []
    page.on("request", lambda request: searches.append(request.url) if "/challenges?" in request.url else None)
    box = page.get_by_label("Search")
    await box.press_sequentially("cardiaque")
    await expect(page).to_have_url(re.compile(r"q=cardiaque"))
    await expect(page.get_by_role("link", name="Arrhythmia detection with consumer wearables")).to_have_count(0)
    sent = len(searches)
    assert sent >= 1
    await page.keyboard.press("Tab")
    await page.wait_for_timeout(800)  # longer than the search's 400 ms delay
    assert len(searches) == sent, searches[sent:]

    # Pasting (no key pressed in the box) searches too.
    await box.fill("wearables")
    await expect(page).to_have_url(re.compile(r"q=wearables"))
    await expect(page.get_by_role("link", name="Arrhythmia detection with consumer wearables")).to_be_visible()
