"""The steward board's lists in Chromium: htmx loads one section's next page alone (the rest of the page and
the other sections stay), the address bar follows, and the log's older entries keep the filter."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.browser.test_datasets import sign_in
from tests.data_sharing.access_support import make_cast
from tests.data_sharing.test_boards import _many_grants


async def seed(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            cast = await make_cast(session, live_server.settings)
            await _many_grants(session, cast, 60)  # 61 active grants, 60 log entries (30 refused)
            await session.commit()
            return cast
    finally:
        await engine.dispose()


async def test_the_steward_board_loads_each_lists_next_page_alone(page, live_server):
    cast = await seed(live_server)
    await sign_in(page, cast.steward.email)
    await page.goto("/steward?outcome=refused")
    grants, log = page.locator("#grants"), page.locator("#access_log")
    await expect(grants).to_contain_text("25 of 61 active")
    await expect(log).to_contain_text("30 of 30 entries")
    await page.evaluate("document.querySelector('#f-member').value = 'kept in the form'")
    await grants.get_by_role("link", name="Grants expiring later").click()
    await expect(grants).to_contain_text("Page 2 of 3")
    await expect(page).to_have_url(re.compile(r"/steward\?outcome=refused&grants=2$"))
    # only the grants were swapped: the form's unsent text and the filtered log are still there
    assert await page.locator("#f-member").input_value() == "kept in the form"
    await expect(log).to_contain_text("30 of 30 entries")
    await page.shoot("steward-board-grants-page-2")
    await page.goto("/steward")
    await expect(log).to_contain_text("50 of 60 entries")
    await log.get_by_role("link", name="Older entries").click()
    await expect(log).to_contain_text("10 of 60 entries")
    await expect(log.get_by_role("link", name="Newest entries")).to_be_visible()
    await log.get_by_role("link", name="Newest entries").click()
    await expect(log).to_contain_text("50 of 60 entries")
