"""Issue #6's whole journey in Chromium, five people in their own browsers: a steward registers a dataset with
a file and offers it; the founder agrees; a captain requests access for two members, who each accept the
agreement; the steward approves with an expiry; a member downloads the file; the steward revokes; the next
download (and the earlier signed link, replayed) is refused, and the steward's access log shows both. Then
the steward's and the team's boards read in French, with no English left.

Only the people, their organizations, the challenge and the team are seeded (committed, as the live server
needs); everything else goes through pages, forms, buttons and links."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker, utcnow
from app.platform.i18n import format_datetime, in_locale
from tests.browser.judging_journey_support import person, shoot
from tests.browser.judging_journey_support import sign_in as sign_in_here
from tests.browser.test_datasets import CONTENT, SAFES, offer, register_with_a_file, sign_in
from tests.browser.test_judging_journey_fr import assert_french, english_phrases
from tests.factories import (
    make_challenge,
    make_founder,
    make_organization,
    make_registration,
    make_team,
    make_user,
)

PURPOSE = "Train a model that detects heart failure on echocardiography reports."
REASON = "The team shared an extract outside the agreed workspace."


async def seed(live_server) -> SimpleNamespace:
    """The people: a steward of a hospital, a challenge with its founder, and a team of three (captain Cleo,
    members Ada and Ben), each registered for the challenge."""
    engine = create_async_engine(async_url(live_server.settings.database_url))
    suffix = uuid.uuid4().hex[:6]
    try:
        async with make_session_maker(engine)() as session:
            steward = await make_user(session, name="Sam Steward", email=f"steward-{suffix}@example.org")
            await make_organization(
                session, name=f"CHU Nord {suffix}", kind="hospital", owner=steward, verified=True
            )
            challenge = await make_challenge(session, title=f"Heart failure {suffix}")
            founder = await make_founder(
                session, challenge, name="Fanny Founder", email=f"founder-{suffix}@example.org"
            )
            captain = await make_user(session, name="Cleo Captain", email=f"cleo-{suffix}@example.org")
            ada = await make_user(session, name="Ada Member", email=f"ada-{suffix}@example.org")
            ben = await make_user(session, name="Ben Member", email=f"ben-{suffix}@example.org")
            for user in (captain, ada, ben):
                await make_registration(session, challenge, user)
            team = await make_team(session, challenge, captain, members=(ada, ben), name=f"Pulse {suffix}")
            await session.commit()
            return SimpleNamespace(steward=steward, founder=founder, challenge=challenge, captain=captain, ada=ada,
                                   ben=ben, team=team)  # fmt: skip
    finally:
        await engine.dispose()


async def browser_of(page, live_server, email: str):
    """Another person's browser, signed in."""
    other = await person(page, live_server)
    await other.goto("/login")
    await sign_in_here(other, email)
    return other


async def open_notification(other, title: str) -> None:
    await other.get_by_role("link", name="Notifications").click()
    await other.get_by_role("link", name=title).first.click()


async def founder_agrees(page, live_server, cast, title: str) -> None:
    founder = await browser_of(page, live_server, cast.founder.email)
    await open_notification(founder, f"{title} is offered to {cast.challenge.title}")
    await expect(founder.get_by_text(SAFES["Safe outputs"])).to_be_visible()
    await founder.get_by_role("button", name="Agree", exact=True).click()
    await expect(founder.get_by_text(f"{title} is now available to {cast.challenge.title}.")).to_be_visible()
    await shoot(founder, page, "founder-agreed")
    await founder.context.close()


async def captain_drafts(page, live_server, cast, title: str):
    """The captain finds the dataset on the challenge's data page and drafts a request naming Ada and Ben."""
    captain = await browser_of(page, live_server, cast.captain.email)
    await captain.get_by_role("link", name="Datasets").first.click()
    await captain.get_by_role("link", name=cast.challenge.title).click()
    await expect(captain.get_by_role("heading", name="Data for this challenge")).to_be_visible()
    offered = captain.locator("article", has=captain.get_by_role("heading", name=title))
    await offered.get_by_role("button", name="Request access").click()
    await expect(captain.get_by_role("heading", name=f"Request access to {title}")).to_be_visible()
    await captain.get_by_label("Purpose: what the data is for").fill(PURPOSE)
    await captain.get_by_label("Ada Member").check()
    await captain.get_by_label("Ben Member").check()
    await shoot(captain, page, "captain-drafts")
    await captain.get_by_role("button", name="Save the draft").click()
    await expect(captain.get_by_text("The request was saved as a draft.")).to_be_visible()
    await expect(captain.locator(".request-state")).to_have_text("Draft")
    await shoot(captain, page, "draft")
    return captain


async def members_accept(page, live_server, cast, title: str) -> None:
    """Ada follows her notification; Ben goes by his team's page and data board. Each accepts for themselves."""
    ada = await browser_of(page, live_server, cast.ada.email)
    await open_notification(ada, f"{cast.team.name} named you on its request for {title}")
    await expect(ada.get_by_text("Never try to re-identify anyone.")).to_be_visible()  # open for her to read
    await ada.get_by_role("button", name="I accept version 1 of the agreement").click()
    await expect(ada.get_by_text("You accepted the agreement.")).to_be_visible()
    await expect(ada.get_by_role("row", name=re.compile("Ada Member"))).to_contain_text("Accepted version 1")
    await expect(ada.get_by_role("row", name=re.compile("Ben Member"))).to_contain_text("Not accepted yet")
    await shoot(ada, page, "ada-accepted")
    await ada.context.close()

    ben = await browser_of(page, live_server, cast.ben.email)
    await ben.get_by_role("link", name="My challenges").click()
    await ben.get_by_role("link", name=cast.team.name).click()
    await ben.get_by_role("link", name=re.compile("Datasets of the challenge")).click()
    await ben.get_by_role("link", name="Request: Draft").click()
    await ben.get_by_role("button", name="I accept version 1 of the agreement").click()
    await expect(ben.get_by_text("You accepted the agreement.")).to_be_visible()
    await ben.context.close()


async def steward_approves(page, cast) -> str:
    """The steward opens the request from the notification, reads it and approves with an expiry in two
    weeks (the challenge's judging ends in three); the expiry as the team board shows it."""
    await page.get_by_role("link", name="Notifications").click()
    await page.get_by_role("link", name=f"{cast.team.name} requests access to").first.click()
    await expect(page.get_by_text(PURPOSE)).to_be_visible()
    await expect(page.get_by_role("row", name=re.compile("Ben Member"))).to_contain_text("Accepted version 1")
    expiry = (
        (utcnow() + dt.timedelta(days=14))
        .astimezone(ZoneInfo(cast.challenge.timezone))
        .replace(hour=18, minute=0, second=0, microsecond=0)
    )
    await page.get_by_label("Grant expires on").fill(expiry.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Comment for the team (optional)").fill("Approved for the challenge's duration.")
    await page.shoot("steward-decides")
    await page.get_by_role("button", name="Approve", exact=True).click()
    await expect(page.get_by_text("The request was approved and the grant made.")).to_be_visible()
    await expect(page.locator(".request-state")).to_have_text("Approved")
    history = page.locator("ol.request-history > li")
    await expect(history).to_have_count(3)
    for step, (who, text) in enumerate((("Cleo Captain", "Drafted the request"), ("Cleo Captain", "Submitted"),
                                        ("Sam Steward", "Approved"))):  # fmt: skip
        await expect(history.nth(step)).to_contain_text(who)
        await expect(history.nth(step)).to_contain_text(text)
    await page.shoot("approved")
    with in_locale("en"):
        return format_datetime(expiry, cast.challenge.timezone)  # as the pages write it


async def ada_downloads(page, live_server, cast, title: str, until: str):
    """Ada reads the team board (who is named, accepted, may access, until when) and downloads the file."""
    ada = await browser_of(page, live_server, cast.ada.email)
    await ada.goto(f"/teams/{cast.team.id}")
    await ada.get_by_role("link", name=re.compile("Datasets of the challenge")).click()
    board = ada.locator("article", has=ada.get_by_role("heading", name=title))
    await expect(board.get_by_role("link", name=re.compile("Grant: In force, until"))).to_contain_text(until)
    rows = {
        name: board.get_by_role("row", name=re.compile(name))
        for name in ("Ada Member", "Ben Member", "Cleo Captain")
    }
    await expect(rows["Ada Member"]).to_contain_text(re.compile(rf"Yes\s+Yes\s+Yes, until {until}"))
    await expect(rows["Ben Member"]).to_contain_text(re.compile(rf"Yes\s+Yes\s+Yes, until {until}"))
    await expect(rows["Cleo Captain"]).to_contain_text(re.compile(r"No\s+No\s+No\s+Not named on the grant."))
    await shoot(ada, page, "team-board")
    async with ada.expect_download() as info:
        await board.get_by_role("button", name="Download reports.csv").click()
    download = await info.value
    assert download.suggested_filename == "reports.csv"
    assert Path(await download.path()).read_text(encoding="utf-8") == CONTENT  # noqa: ASYNC240 (a small file, in a test)
    assert "/data/download/" in download.url
    return ada, download.url


async def steward_revokes(page, cast, title: str) -> None:
    await page.get_by_role("link", name="Datasets").first.click()
    await page.get_by_role("link", name=title).click()
    await page.get_by_role("link", name="Steward board").click()
    grants = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Until"))
    await grants.get_by_role("link", name=cast.team.name).click()
    await expect(page.get_by_role("heading", name=f"Grant: {title} for {cast.team.name}")).to_be_visible()
    await page.get_by_label("Reason", exact=True).fill(REASON)
    await page.get_by_role("button", name="Revoke the grant").click()
    await expect(page.get_by_text("The grant is revoked: the team has lost access.")).to_be_visible()
    await expect(page.get_by_role("definition").filter(has_text=REASON)).to_be_visible()
    await page.shoot("revoked")


async def ada_is_refused(page, ada, link: str) -> None:
    """Ada's board is still open from before: the same button, then the earlier link, are refused clearly."""
    await ada.get_by_role("button", name="Download reports.csv").click()
    await expect(ada.get_by_role("heading", name="The grant on this dataset was revoked.")).to_be_visible()
    await expect(ada.locator(".error-page .code")).to_have_text("403")
    await shoot(ada, page, "refused")
    response = await ada.goto(link)
    assert response.status == 403
    await expect(ada.get_by_role("heading", name="The grant on this dataset was revoked.")).to_be_visible()
    # The refusals were expected: the fixture's watch for failed requests must not count them.
    refusals = [error for error in page.console_errors if "403" in error]
    assert len(refusals) >= 2
    page.console_errors[:] = [error for error in page.console_errors if "403" not in error]


async def steward_reads_the_log(page, cast, title: str) -> None:
    """The access log shows Ada's allowed download and her refused attempts; the outcome filter splits them."""
    await page.get_by_role("link", name="Datasets").first.click()
    await page.get_by_role("link", name=title).click()
    await page.get_by_role("link", name="Steward board").click()
    log = page.locator("#access_log")
    await expect(log.get_by_role("row").filter(has_text="Ada Member")).to_have_count(
        4
    )  # link and download; then link and download refused
    await page.get_by_label("Outcome").select_option(label="Refused")
    await page.get_by_role("button", name="Filter").click()
    refused = log.get_by_role("row").filter(has_text="Ada Member")
    await expect(refused).to_have_count(2)
    await expect(refused.first).to_contain_text("The grant on this dataset was revoked.")
    await expect(page).to_have_url(re.compile(r"outcome=refused"))
    await page.shoot("log-refused")
    await page.get_by_label("Outcome").select_option(label="Allowed")
    await page.get_by_role("button", name="Filter").click()
    allowed = log.get_by_role("row").filter(has_text="Ada Member")
    await expect(allowed).to_have_count(2)
    await expect(allowed.filter(has_text="Download")).to_have_count(2)  # "Download link" and "Download"
    await expect(allowed.filter(has_text=cast.team.name)).to_have_count(2)
    await page.shoot("log-allowed")
    # the team by a part of its name, in any case; another name leaves nothing
    await page.get_by_label("Team", exact=True).fill(cast.team.name[1:].upper())
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"team_name="))
    await expect(allowed).to_have_count(2)
    await page.get_by_label("Team", exact=True).fill("No such team")
    await page.get_by_role("button", name="Filter").click()
    await expect(log).to_contain_text("No access matches.")


async def boards_in_french(page, live_server, cast, title: str) -> None:
    """The steward and Ada switch the site to French: their boards read in French only."""
    phrases = english_phrases()
    await page.goto("/steward")
    await page.get_by_label("Site language").select_option("fr")
    await expect(
        page.get_by_role("heading", name="Tableau de bord du responsable des données")
    ).to_be_visible()
    await assert_french(page, phrases)
    await page.shoot("steward-board-fr")

    ada = await browser_of(page, live_server, cast.ada.email)
    await ada.goto(f"/teams/{cast.team.id}/data")
    await ada.get_by_label("Site language").select_option("fr")
    await expect(ada.get_by_role("heading", name=f"Données de {cast.team.name}")).to_be_visible()
    await expect(ada.get_by_role("link", name=re.compile("Autorisation : révoquée le"))).to_be_visible()
    await expect(ada.get_by_role("row", name=re.compile("Ada Member"))).to_contain_text(
        "L’autorisation a été révoquée."
    )
    await assert_french(ada, phrases)
    await shoot(ada, page, "team-board-fr")
    await ada.context.close()


async def test_a_dataset_from_registration_to_revoked_access(live_server, page, tmp_path):
    cast = await seed(live_server)
    await sign_in(page, cast.steward.email)
    title = await register_with_a_file(page, tmp_path)
    await offer(page, title, cast.challenge)
    await founder_agrees(page, live_server, cast, title)

    captain = await captain_drafts(page, live_server, cast, title)
    await members_accept(page, live_server, cast, title)
    await captain.reload()
    await captain.get_by_role("button", name="Submit to the stewards").click()
    await expect(captain.get_by_text("The request was submitted to the dataset’s stewards.")).to_be_visible()
    await expect(captain.locator(".request-state")).to_have_text("Submitted")

    until = await steward_approves(page, cast)
    await captain.reload()
    history = captain.locator("ol.request-history")
    await expect(history).to_contain_text("Approved")
    await expect(history).to_contain_text("Approved for the challenge's duration.")
    await shoot(captain, page, "captain-history")
    await captain.get_by_role("link", name="See the grant").click()
    await expect(captain.get_by_role("heading", name=f"Grant: {title} for {cast.team.name}")).to_be_visible()
    await expect(captain.get_by_role("row", name=re.compile("Ben Member"))).to_contain_text("Yes")
    await captain.context.close()

    ada, link = await ada_downloads(page, live_server, cast, title, until)
    await steward_revokes(page, cast, title)
    await ada_is_refused(page, ada, link)
    await ada.context.close()
    await steward_reads_the_log(page, cast, title)
    await boards_in_french(page, live_server, cast, title)
