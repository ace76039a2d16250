"""A visitor's first look: the home page, in English and in French, with working assets."""

from __future__ import annotations

import re

from playwright.async_api import expect


async def test_visitor_sees_home_page_and_switches_to_french(page):
    await page.goto("/")
    await expect(
        page.get_by_role("heading", name="Open-innovation challenges for digital health")
    ).to_be_visible()
    # Pico's stylesheet is served and applied: the primary button is not a default grey button.
    button = page.get_by_role("button", name="Create an account").first
    colour = await button.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")
    # htmx is loaded from our own static folder.
    assert await page.evaluate("typeof window.htmx") == "object"
    await page.shoot("home-en")

    await page.get_by_label("Site language").select_option("fr")
    await expect(
        page.get_by_role("heading", name="Défis d’innovation ouverte en santé numérique")
    ).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/$"))
    await page.shoot("home-fr")


async def test_french_browser_gets_french_pages(browser, live_server):
    context = await browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = await context.new_page()
    await page.goto("/")
    await expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    await context.close()
