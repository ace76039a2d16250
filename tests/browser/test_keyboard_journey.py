"""Keyboard only, in Chromium: a participant signs in, finds the challenge and creates a team; a judge signs in,
opens an entry from the queue, scores it (each score and comment saved as it is given) and finalizes it. Only
the keyboard moves: Tab, Shift+Tab, Enter, Space, the arrow keys and typing. At every stop of the Tab key the
focused control shows it has focus."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.factories import DEFAULT_PASSWORD, make_challenge, make_judged_round, make_registration, make_user

SAVED = re.compile(r"Saved at \d{1,2}:\d{2}")
# What the focused element is called and whether it shows its focus: an outline (or, for a radio, its level
# box's outline) or a box shadow while it matches :focus-visible.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  const name = (el.getAttribute("aria-label") || label || el.innerText || el.value || "").trim();
  const shows = (node) => {
    const style = getComputedStyle(node);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
  };
  const box = el.closest("label.level");
  return {
    tag: el.tagName.toLowerCase(), name: name.replace(/\\s+/g, " "),
    visible: el.matches(":focus-visible") && (shows(el) || (box !== null && shows(box))),
  };
}"""


async def focused(page: Any) -> dict[str, Any]:
    element = await page.evaluate(FOCUSED)
    assert element is not None, "the focus was lost: nothing but the page has it"
    assert element["visible"], f"{element['tag']} “{element['name']}” has the focus but does not show it"
    return element


async def tab_to(page: Any, name: str | re.Pattern[str], *, back: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab going `back`) until the control called `name` has the focus."""
    seen = []
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab" if back else "Tab")
        element = await focused(page)
        seen.append(element["name"])
        if name.search(element["name"]) if isinstance(name, re.Pattern) else element["name"] == name:
            return
    raise AssertionError(f"“{name}” never got the focus; Tab went through {seen}")


async def sign_in(page: Any, email: str) -> None:
    await page.goto("/login")
    await tab_to(page, "E-mail address")
    await page.keyboard.type(email)
    await tab_to(page, "Password")
    await page.keyboard.type(DEFAULT_PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def committed(live_server, build) -> Any:
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            made = await build(session)
            await session.commit()
            return made
    finally:
        await engine.dispose()


async def test_a_participant_signs_in_and_creates_a_team_with_the_keyboard(page, live_server):
    suffix = uuid.uuid4().hex[:6]

    async def build(session):
        challenge = await make_challenge(session, title=f"Keyboard Cardio {suffix}")
        ada = await make_user(session, name="Ada Keys", email=f"ada-keys-{suffix}@example.org")
        await make_registration(session, challenge, ada)
        return challenge.title, ada.email

    title, email = await committed(live_server, build)
    await sign_in(page, email)

    # The first Tab offers to skip the header.
    await page.keyboard.press("Tab")
    assert (await focused(page))["name"] == "Skip to the content"
    await tab_to(page, "Challenges")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Challenges", exact=True, level=1)).to_be_visible()
    await tab_to(page, "Search")
    await page.keyboard.type(f"Keyboard Cardio {suffix}")
    await expect(page).to_have_url(re.compile(rf"q=Keyboard%20Cardio%20{suffix}"))
    await expect(page.get_by_role("link", name=title)).to_have_count(1)
    await tab_to(page, title)
    await page.keyboard.press("Enter")
    # The catalogue's cards carry the title in a heading too: wait for the challenge's own page to have loaded
    # before the next Tab, or the Tab lands on a page being unloaded.
    await expect(page).to_have_url(re.compile(r"/challenges/[^/?]+$"))
    await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()

    await tab_to(page, "Create a team")
    await page.shoot("focus-create-a-team")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Create a team", level=1)).to_be_visible()
    await tab_to(page, "Team name")
    await page.keyboard.type(f"Keys {suffix}")
    await tab_to(page, "Create the team")
    await page.keyboard.press("Enter")
    await expect(
        page.get_by_text(f"Your team Keys {suffix} is created: invite your teammates.")
    ).to_be_visible()
    await expect(page.get_by_role("heading", name=f"Keys {suffix}", exact=True)).to_be_visible()
    await page.shoot("team-created")


async def test_a_judge_scores_and_finalizes_an_entry_with_the_keyboard(page, live_server):
    async def build(session):
        judged = await make_judged_round(session, teams=1, judges=1, criteria=2)
        return judged.judges[0].email, judged.teams[0].name

    email, team = await committed(live_server, build)
    await sign_in(page, email)

    await tab_to(page, "Judging")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="My judging", level=1)).to_be_visible()
    await tab_to(page, re.compile("^Open my queue"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name=re.compile("^My queue"), level=1)).to_be_visible()
    await tab_to(page, re.compile(re.escape(team)))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name=team, level=1)).to_be_visible()

    statuses = page.locator(".criterion .save-status")
    # Tab reaches a radio group at its first level; the arrows move within the group and choose as they go.
    await tab_to(page, "0")
    for _ in range(7):
        await page.keyboard.press("ArrowRight")
    assert (await focused(page))["name"] == "7"
    await expect(statuses.nth(0)).to_have_text(SAVED)
    await expect(page.locator("#review-status")).to_have_text("Draft")
    await page.shoot("focus-first-score")
    await tab_to(page, re.compile("^Comment on “Criterion 1”"))
    async with page.expect_response(lambda r: "/scores/" in r.url and r.request.method == "POST") as saved:
        await page.keyboard.type("Solid evidence from a pilot.")
    assert (await saved.value).status == 200
    # The autosave must not steal the focus.
    assert (await focused(page))["name"].startswith("Comment on “Criterion 1”")

    await tab_to(page, "0")
    await page.keyboard.press("Space")
    for _ in range(4):
        await page.keyboard.press("ArrowRight")
    await expect(statuses.nth(1)).to_have_text(SAVED)
    await tab_to(page, re.compile("^Overall comment"))
    await page.keyboard.type("A careful team.")
    await expect(page.locator("#status-comment")).to_have_text(SAVED)

    await tab_to(page, "Finalize this review")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text(f"Your review of {team} is finalized.")).to_be_visible()
    await expect(page.locator("#review-status")).to_have_text("Finalized")
    values = await page.locator(".criterion input[type=radio]:checked").evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert [float(value) for value in values] == [7, 4]
