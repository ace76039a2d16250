"""Issue #4's journey in Chromium, by the labels people read: a participant creates a team and invites a second
person, who follows the link from the e-mail; both edit the draft, one uploads a PDF, they submit and get their
receipts; once the deadline has passed the page says the round is closed and the server refuses any change."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from typing import Any

import asyncpg
from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.challenges.models import Round
from app.db import async_url, make_session_maker, utcnow
from tests.conftest import _asyncpg_dsn
from tests.factories import DEFAULT_PASSWORD, make_challenge, make_registration, make_user
from tests.teams.submission_support import add_field

# A small but well-formed PDF: the upload checks the content, not only the name.
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
DECK = "pitch-deck.pdf"


async def open_challenge(live_server) -> dict[str, Any]:
    """Committed data: a public challenge for teams of 2 to 4 whose round 1 is open until tomorrow,
    asking a required long text and a PDF; two people with approved registrations."""
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            suffix = uuid.uuid4().hex[:6]
            challenge = await make_challenge(session, title=f"Cardio Teams {suffix}", team_min=2, team_max=4)
            round_ = await session.scalar(
                select(Round).where(Round.challenge_id == challenge.id, Round.position == 1)
            )
            round_.opens_at = utcnow() - dt.timedelta(days=1)
            round_.deadline = utcnow() + dt.timedelta(days=1)
            await add_field(session, round_, "approach", "long_text", 1, label="Our approach", required=True)
            await add_field(
                session, round_, "deck", "file", 2, label="Pitch deck", required=True,
                allowed_types=["pdf"], max_size_mb=5,
            )  # fmt: skip
            ada = await make_user(session, name="Ada Captain", email=f"ada-{suffix}@example.org")
            bruno = await make_user(session, name="Bruno Second", email=f"bruno-{suffix}@example.org")
            for person in (ada, bruno):
                await make_registration(session, challenge, person)
            await session.commit()
            return {
                "slug": challenge.slug,
                "title": challenge.title,
                "round_id": round_.id,
                "round": round_.name,
                "ada": ada.email,
                "bruno": bruno.email,
                "team": f"Heartbeat {suffix}",
            }
    finally:
        await engine.dispose()


async def sql(live_server, query: str, *args: Any) -> list[asyncpg.Record]:
    """Read (or change) the server's database directly, as the admin of a self-hosted instance could."""
    conn = await asyncpg.connect(_asyncpg_dsn(live_server.settings.database_url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def sign_in(page, email: str) -> None:
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def second_person(page, live_server) -> Any:
    """Another browser context (own cookies), watched for console errors like the fixture's page."""
    context = await page.context.browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    other = await context.new_page()
    other.set_default_timeout(15000)
    errors = page.console_errors
    other.on("console", lambda msg: errors.append(f"(second) {msg.text}") if msg.type == "error" else None)
    other.on("pageerror", lambda exc: errors.append(f"(second) {exc}"))
    other.on(
        "response",
        lambda r: (
            errors.append(f"(second) {r.status} {r.request.method} {r.url}") if r.status >= 400 else None
        ),
    )
    return other


async def shoot(page, journey, step: str) -> None:
    """A numbered screenshot of `page` in the journey's sequence. Only where no htmx swap follows on that page:
    the full-page capture leaves style="" on inputs, which htmx's settling would copy and the CSP refuses."""
    await page.screenshot(path=str(journey.shoot.path(step)), full_page=True)


async def test_a_team_forms_drafts_uploads_submits_and_is_closed_after_the_deadline(page, live_server):
    cast = await open_challenge(live_server)
    challenge_url = f"/challenges/{cast['slug']}"
    status = page.locator("#save-status")

    # Ada signs in, opens the challenge and creates a team.
    await page.goto("/login")
    await sign_in(page, cast["ada"])
    await page.goto(challenge_url)
    await expect(page.get_by_role("button", name="Find a team")).to_be_visible()
    await page.shoot("challenge")
    await page.get_by_role("button", name="Create a team").click()
    await page.get_by_label("Team name").fill(cast["team"])
    await page.shoot("create-team")
    await page.get_by_role("button", name="Create the team").click()
    await expect(
        page.get_by_text(f"Your team {cast['team']} is created: invite your teammates.")
    ).to_be_visible()
    await expect(page.get_by_role("heading", name=cast["team"], exact=True)).to_be_visible()
    # A team of one is below the challenge's minimum: the page says so before anyone tries to submit.
    await expect(page.get_by_role("row", name=re.compile("Ada Captain"))).to_be_visible()
    await expect(
        page.get_by_text("Your team has 1 member; this challenge requires at least 2.")
    ).to_be_visible()

    # She invites Bruno by e-mail from the team page.
    await page.get_by_label("Invite someone by e-mail").fill(cast["bruno"])
    await page.get_by_role("button", name="Send the invitation").click()
    await expect(page.get_by_text(f"An invitation has been sent to {cast['bruno']}.")).to_be_visible()
    await expect(page.get_by_role("cell", name=cast["bruno"], exact=True)).to_be_visible()
    await page.shoot("invited")

    # Bruno reads the invitation in the mail log, follows the link, signs in and joins.
    rows = await sql(
        live_server,
        "SELECT body_text FROM mail_messages WHERE to_address = $1 AND subject LIKE 'Invitation%'",
        cast["bruno"],
    )
    assert len(rows) == 1, rows
    link = re.search(r"https?://\S+", rows[0]["body_text"])
    assert link and link.group(0).startswith(live_server.url), rows[0]["body_text"]
    bruno = await second_person(page, live_server)
    await bruno.goto(link.group(0))
    await expect(
        bruno.get_by_role("heading", name=f"Invitation to join the team {cast['team']}")
    ).to_be_visible()
    await shoot(bruno, page, "invitation-signed-out")
    await bruno.get_by_role("main").get_by_role("button", name="Sign in").click()
    await sign_in(bruno, cast["bruno"])
    await expect(bruno.get_by_text("Ada Captain invites you to join the team")).to_be_visible()
    await bruno.get_by_role("button", name="Join the team").click()
    await expect(bruno.get_by_text(f"Welcome to {cast['team']}!")).to_be_visible()
    await expect(bruno.get_by_role("row", name=re.compile("Bruno Second"))).to_be_visible()
    await expect(bruno.get_by_text("this challenge requires at least")).to_have_count(0)
    await shoot(bruno, page, "joined")

    # Ada drafts: her words save themselves as she types.
    await page.goto(challenge_url)
    await page.get_by_role("link", name="Your team’s submission").click()
    await expect(status).to_have_text(re.compile(r"Not saved yet\."))
    await page.get_by_label("Our approach").fill("We listen to hearts with cheap sensors.")
    await expect(status).to_have_text(re.compile(r"Saved at .*\(version 1\)\."))

    # Bruno opens the same draft, sees her words, adds his own; they save too.
    await bruno.goto(challenge_url)
    await bruno.get_by_role("link", name="Your team’s submission").click()
    approach = bruno.get_by_label("Our approach")
    await expect(approach).to_have_value("We listen to hearts with cheap sensors.")
    await approach.fill("We listen to hearts with cheap sensors. Doctors read the alerts.")
    bruno_status = bruno.locator("#save-status")
    await expect(bruno_status).to_have_text(re.compile(r"Saved at .*\(version 2\)\."))
    await expect(bruno.get_by_text("Version 2, saved on")).to_contain_text("by Bruno Second")

    # Bruno uploads the pitch deck. Choosing the file also wakes the form's autosave (nothing new to save):
    # wait for its answer too, so that nothing is still in flight when the page moves on.
    async with bruno.expect_response(lambda r: r.url.endswith("/save")) as autosave:
        await bruno.get_by_label("Pitch deck").set_input_files(
            {"name": DECK, "mimeType": "application/pdf", "buffer": PDF}
        )
        await bruno.get_by_role("button", name="Upload").click()
        await expect(bruno.get_by_role("link", name=DECK)).to_be_visible()
    assert (await autosave.value).status == 200
    sha256 = hashlib.sha256(PDF).hexdigest()
    await expect(bruno.get_by_text(sha256)).to_be_visible()
    await expect(bruno_status).to_have_text(re.compile(r"\(version 3\)"))

    # Bruno submits for the team.
    await bruno.get_by_role("button", name="Submit", exact=True).click()
    await expect(
        bruno.get_by_text("Submitted: version 4. Every member of the team gets a receipt.")
    ).to_be_visible()
    await expect(bruno.locator(".submission-status")).to_have_text("Submitted")
    await expect(bruno.get_by_role("button", name="Submit again")).to_be_visible()
    await shoot(bruno, page, "submitted")

    # The receipt: Ada is notified in the app, and each member has an e-mail naming the file and its checksum.
    await page.goto(challenge_url)
    unread = page.get_by_role("link", name=re.compile(r"^Notifications \d+ unread$"))
    await expect(unread).to_be_visible()
    await unread.click()
    received = f"{cast['team']} submitted {cast['round']} of {cast['title']}"
    await expect(page.get_by_text(received)).to_be_visible()
    await page.shoot("notifications")
    receipts = await sql(
        live_server,
        "SELECT to_address, body_text FROM mail_messages WHERE subject = $1 ORDER BY to_address",
        f"Receipt: {cast['team']} submitted {cast['round']}",
    )
    assert [row["to_address"] for row in receipts] == sorted([cast["ada"], cast["bruno"]])
    for row in receipts:
        assert "This is version 4." in row["body_text"], row["body_text"]
        assert f"Pitch deck: {DECK} ({len(PDF)} bytes)" in row["body_text"], row["body_text"]
        assert f"SHA-256: {sha256}" in row["body_text"], row["body_text"]

    # The deadline passes (the server judges by its clock when a request arrives).
    await sql(
        live_server,
        "UPDATE rounds SET deadline = now() - interval '1 minute' WHERE id = $1",
        cast["round_id"],
    )
    await bruno.reload()
    await expect(bruno.get_by_text(f"The deadline of {cast['round']} passed on")).to_be_visible()
    await expect(bruno.get_by_text("Closed since")).to_be_visible()
    await expect(bruno.locator(".submission-status")).to_have_text("Submitted")
    await expect(bruno.get_by_role("button", name="Save draft")).to_have_count(0)
    await expect(bruno.get_by_role("button", name="Upload")).to_have_count(0)
    await expect(bruno.get_by_role("textbox", name=re.compile("Our approach"))).to_have_count(0)
    await expect(bruno.get_by_text("Doctors read the alerts.")).to_be_visible()
    await shoot(bruno, page, "closed")

    # Whatever the page shows, the server refuses a save and an upload sent straight to it.
    path = bruno.url.split("?")[0].split("#")[0]
    token = await bruno.locator("input[name=_csrf]").first.input_value()
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    saved = await bruno.request.post(
        f"{path}/save", headers=headers, form={"base_version": "4", "answer.approach": "Too late."}
    )
    assert saved.status == 403, (saved.status, await saved.text())
    assert "deadline" in await saved.text()
    uploaded = await bruno.request.post(
        f"{path}/files/deck",
        headers=headers,
        multipart={"file": {"name": "late.pdf", "mimeType": "application/pdf", "buffer": PDF}},
    )
    assert 400 <= uploaded.status < 500, (uploaded.status, await uploaded.text())
    versions = await sql(
        live_server,
        "SELECT s.version, s.status FROM submissions s WHERE s.round_id = $1",
        cast["round_id"],
    )
    assert [(row["version"], row["status"]) for row in versions] == [(4, "submitted")]
    await bruno.context.close()
