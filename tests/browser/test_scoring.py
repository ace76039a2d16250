"""A judge in Chromium: from the header's Judging link to their queue, the entry beside the rubric, each
criterion saved as it is chosen (the visible "Saved" is awaited before going on), a comment, finalizing,
and the progress "1 of 2 scored"; read-only once judging closes; the review page stacks its two columns on a phone-sized screen."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.factories import DEFAULT_PASSWORD, make_judged_round
from tests.judging.scoring_support import answer_question

SAVED = re.compile(r"Saved at \d{1,2}:\d{2}")


async def judged_round(live_server):
    """Two entries waiting for one judge, a described rubric and an answered question, committed."""
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            judged = await make_judged_round(session, teams=2, judges=1, criteria=2)
            await answer_question(session, judged)
            judged.challenge.title = "Heart Data Challenge"
            judged.teams[0].name = "Alpha Cardio"
            judged.teams[1].name = "Beta Pulse"
            impact, feasibility = judged.criteria
            impact.name, feasibility.name = "Impact", "Feasibility"
            impact.description = "How much would patients and carers **gain** if it worked?"
            impact.descriptors = [
                {"value": 0, "text": "No visible gain"},
                {"value": 10, "text": "Changes daily care"},
            ]
            feasibility.scale_min, feasibility.scale_max = 1, 5
            feasibility.description = "Can this team deliver a pilot within a year?"
            feasibility.descriptors = [
                {"value": 1, "text": "Not realistic"},
                {"value": 2, "text": "Major gaps"},
                {"value": 3, "text": "Plausible with help"},
                {"value": 4, "text": "Credible plan"},
                {"value": 5, "text": "Ready to start"},
            ]
            judge = judged.judges[0]
            judge.name = "Jade Judge"
            await session.commit()
            return judged, judge.email
    finally:
        await engine.dispose()


async def close_judging(live_server, judged) -> None:
    from sqlalchemy import update

    from app.db import utcnow
    from app.judging.models import JudgingRound

    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            closed = (
                update(JudgingRound)
                .where(JudgingRound.round_id == judged.round.id)
                .values(closes_at=utcnow())
            )
            await session.execute(closed)
            await session.commit()
    finally:
        await engine.dispose()


async def test_a_judge_scores_an_entry_with_autosave_and_finalizes(page, live_server, browser):
    judged, email = await judged_round(live_server)
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Judging", exact=True).click()
    await expect(page.get_by_role("heading", name="My judging")).to_be_visible()
    await expect(page.get_by_text("0 of 2 scored")).to_be_visible()
    await page.shoot("my-judging")

    await page.get_by_role("link", name=re.compile("Open my queue")).click()
    await expect(page.get_by_role("heading", name="My queue: Round 1")).to_be_visible()
    await expect(page.get_by_text("Judging is open until")).to_be_visible()
    await page.shoot("queue")
    await page.get_by_role("row", name=re.compile("Alpha Cardio")).get_by_role("link").click()

    await expect(page.get_by_role("heading", name="Alpha Cardio")).to_be_visible()
    await expect(page.get_by_text("We listen to hearts")).to_be_visible()
    await expect(page.get_by_text("Changes daily care")).to_be_visible()
    # Screenshots only before the first htmx swap on a page: see tests/browser/test_team_journey.py's shoot().
    await page.shoot("review-1280")
    entry_box = await page.locator(".review-entry").bounding_box()
    rubric_box = await page.locator(".review-rubric").bounding_box()
    assert (
        entry_box and rubric_box and rubric_box["x"] > entry_box["x"] + entry_box["width"] - 1
    )  # side by side

    impact = page.get_by_role("group", name=re.compile("^Impact"))
    await impact.get_by_role("radio", name="7", exact=True).check()
    await expect(page.locator(f"#status-{judged.criteria[0].id}")).to_have_text(SAVED)
    await expect(page.locator("#review-status")).to_have_text("Draft")
    # The status already reads "Saved": wait for the comment's own save to answer before going on.
    async with page.expect_response(lambda r: f"/scores/{judged.criteria[0].id}" in r.url) as comment_saved:
        await impact.get_by_label("Comment on “Impact”").fill("Clear benefit for heart-failure patients.")
    assert (await comment_saved.value).status == 200
    await expect(page.locator(f"#status-{judged.criteria[0].id}")).to_have_text(SAVED)
    feasibility = page.get_by_role("group", name=re.compile("^Feasibility"))
    await feasibility.get_by_role("radio", name="4 Credible plan").check()
    await expect(page.locator(f"#status-{judged.criteria[1].id}")).to_have_text(SAVED)
    await page.get_by_label("Overall comment").fill("A careful team; the pilot plan is credible.")
    await expect(page.locator("#status-comment")).to_have_text(SAVED)

    await page.get_by_role("button", name="Finalize this review").click()
    await expect(page.get_by_text("Your review of Alpha Cardio is finalized.")).to_be_visible()
    await expect(page.get_by_text("1 of 2 scored")).to_be_visible()
    await expect(page.locator("#review-status")).to_have_text("Finalized")
    # The saved choices came back with the page.
    await expect(
        page.get_by_role("group", name=re.compile("^Impact")).get_by_role("radio", name="7", exact=True)
    ).to_be_checked()
    await expect(page.get_by_label("Overall comment")).to_have_value(
        "A careful team; the pilot plan is credible."
    )
    await expect(page.get_by_label("Comment on “Impact”")).to_have_value(
        "Clear benefit for heart-failure patients."
    )
    await page.shoot("finalized")

    await page.get_by_role("link", name="My queue", exact=True).click()
    await expect(page.get_by_text("1 of 2 scored")).to_be_visible()
    await expect(
        page.get_by_role("row", name=re.compile("Alpha Cardio")).get_by_text("Finalized")
    ).to_be_visible()
    await page.shoot("queue-after")

    # Once judging has closed, the review reads the same and nothing can change.
    await close_judging(live_server, judged)
    await page.goto(f"/judge/entries/{judged.entries[0].id}")
    await expect(page.get_by_text("This page is read-only.")).to_be_visible()
    await expect(page.get_by_role("radio", name="7", exact=True)).to_be_disabled()
    await expect(page.get_by_role("button", name="Finalize this review")).to_have_count(0)
    await page.shoot("closed")

    # On a phone the entry and the rubric stack.
    phone = await browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 390, "height": 844}
    )
    try:
        small = await phone.new_page()
        await small.goto("/login")
        await small.get_by_label("E-mail address").fill(email)
        await small.get_by_label("Password").fill(DEFAULT_PASSWORD)
        await small.get_by_role("button", name="Sign in").click()
        await expect(small).not_to_have_url(re.compile("/login"))
        await small.goto(f"/judge/entries/{judged.entries[1].id}")
        await expect(small.get_by_role("heading", name="Beta Pulse")).to_be_visible()
        entry_box = await small.locator(".review-entry").bounding_box()
        rubric_box = await small.locator(".review-rubric").bounding_box()
        assert entry_box and rubric_box and rubric_box["y"] >= entry_box["y"] + entry_box["height"]
        await small.screenshot(path=str(page.shoot.path("review-390")), full_page=True)
    finally:
        await phone.close()
