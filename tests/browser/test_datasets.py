"""A steward registers a dataset in Chromium, uploads a file, offers the dataset to a challenge with the
Five Safes; the challenge's founder agrees, and the dataset appears on the challenge's data page."""

from __future__ import annotations

import uuid

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.factories import DEFAULT_PASSWORD, make_challenge, make_founder, make_organization, make_user

SAFES = {
    "Safe projects": "Research on heart failure detection only.",
    "Safe people": "Named team members who accepted the agreement.",
    "Safe settings": "Downloads through signed, logged links.",
    "Safe data": "Pseudonymised; dates shifted; rare values grouped.",
    "Safe outputs": "Aggregate results only, checked by the stewards.",
}


async def committed_cast(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    sessions = make_session_maker(engine)
    suffix = uuid.uuid4().hex[:6]
    async with sessions() as session:
        steward = await make_user(session, name="Sam Steward", email=f"steward-{suffix}@example.org")
        await make_organization(
            session, name=f"CHU Nord {suffix}", kind="hospital", owner=steward, verified=True
        )
        challenge = await make_challenge(session, title=f"Heart failure {suffix}")
        founder = await make_founder(
            session, challenge, name="Fanny Founder", email=f"founder-{suffix}@example.org"
        )
        await session.commit()
    await engine.dispose()
    return steward, founder, challenge


async def sign_in(page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


CONTENT = "id,lvef\n1,45\n2,60\n"


async def register_with_a_file(page, tmp_path) -> str:
    """The signed-in steward registers a sensitive dataset and uploads reports.csv (CONTENT); its title."""
    title = f"Echocardiography reports {uuid.uuid4().hex[:4]}"
    await page.get_by_role("link", name="Datasets").first.click()
    await page.get_by_role("button", name="Register a dataset").click()
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Description (Markdown)").fill(
        "Reports of **12,000** echocardiograms, 2019–2024."
    )
    await page.get_by_label("Sensitive health data").check()
    await page.get_by_label("Longest grant duration (days)").fill("120")
    await page.get_by_label("Data use agreement (version 1)").fill(
        "Use the data only for the challenge. Never try to re-identify anyone."
    )
    await page.shoot("register")
    await page.get_by_role("button", name="Register the dataset").click()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(page.get_by_text("The dataset is registered. You are its steward.")).to_be_visible()
    await page.shoot("dataset")

    data_file = tmp_path / "reports.csv"
    data_file.write_text(CONTENT)
    await page.get_by_role("link", name="Files", exact=True).click()
    await page.get_by_label("Add a file (at most 2048 MB)").set_input_files(str(data_file))
    await page.get_by_role("button", name="Upload").click()
    await expect(page.get_by_text("reports.csv is uploaded.")).to_be_visible()
    await expect(page.locator("code.checksum")).to_have_count(1)
    await page.shoot("files")
    return title


async def offer(page, title: str, challenge) -> None:
    """From the dataset's files page, the steward offers the dataset to the challenge with the Five Safes."""
    await page.get_by_role("link", name=title).click()
    await page.get_by_role("link", name="Offerings to challenges").click()
    await page.get_by_label("Challenge", exact=True).select_option(label=challenge.title)
    form = page.locator("form[action$='/offerings']")
    for label, text in SAFES.items():
        await form.get_by_label(label).fill(text)
    await page.shoot("offer")
    await page.get_by_role("button", name="Offer the dataset").click()
    await expect(page.get_by_text("Its founders were told.")).to_be_visible()
    await expect(page.get_by_text("Awaiting the founders")).to_be_visible()
    await page.shoot("offered")


async def test_a_steward_offers_a_dataset_and_the_founder_agrees(live_server, page, tmp_path):
    steward, founder, challenge = await committed_cast(live_server)
    await sign_in(page, steward.email)
    title = await register_with_a_file(page, tmp_path)
    await offer(page, title, challenge)

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, founder.email)
    await page.goto(f"/challenges/{challenge.slug}/data")
    await expect(page.get_by_text(SAFES["Safe outputs"])).to_be_visible()
    await page.shoot("founder-pending")
    await page.get_by_role("button", name="Agree", exact=True).click()
    await expect(page.get_by_text(f"{title} is now available to {challenge.title}.")).to_be_visible()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await page.get_by_text("Data use agreement, version 1").click()
    await page.shoot("founder-agreed")
    await page.goto("/datasets")
    await expect(page.get_by_role("link", name=challenge.title)).to_be_visible()
    await page.shoot("catalogue")
