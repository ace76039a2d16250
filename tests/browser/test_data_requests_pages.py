"""In Chromium: the captain finds "Request access" on the team's data board, asks on the grant page to add a
member chosen from a list, and the steward's offer form lists the rounds of each challenge."""

from __future__ import annotations

import uuid

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from tests.browser.test_datasets import sign_in
from tests.factories import make_challenge, make_dataset, make_grant, make_offering, make_team, make_user


async def committed_cast(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    sessions = make_session_maker(engine)
    suffix = uuid.uuid4().hex[:6]
    async with sessions() as session:
        steward = await make_user(session, name="Sam Steward", email=f"steward-{suffix}@example.org")
        captain = await make_user(session, name="Carla Captain", email=f"captain-{suffix}@example.org")
        member = await make_user(session, name="Milo Member", email=f"member-{suffix}@example.org")
        newcomer = await make_user(session, name="Olga Other", email=f"olga-{suffix}@example.org")
        challenge = await make_challenge(session, title=f"Heart failure {suffix}", rounds=2)
        team = await make_team(
            session, challenge, captain, members=(member, newcomer), name=f"Heartbeat {suffix}"
        )
        granted = await make_dataset(session, steward=steward)
        offered = await make_dataset(session, steward=steward)
        grant = await make_grant(
            session,
            await make_offering(session, granted, challenge),
            team,
            (captain, member),
            steward=steward,
        )
        await make_offering(session, offered, challenge)
        await session.commit()
    await engine.dispose()
    return steward, captain, member, newcomer, challenge, team, grant, granted, offered


async def test_the_captain_requests_and_asks_to_add_a_member(live_server, page):
    steward, captain, member, _newcomer, challenge, team, grant, _granted, offered = await committed_cast(
        live_server
    )
    await sign_in(page, member.email)
    await page.goto(f"/teams/{team.id}/data")
    await expect(page.get_by_text("Your team's captain makes the requests for access.")).to_be_visible()
    await expect(page.get_by_role("button", name="Request access")).to_have_count(0)
    await page.shoot("member-board")
    await page.get_by_role("button", name="Sign out").click()

    await sign_in(page, captain.email)
    await page.goto(f"/teams/{team.id}/data")
    await expect(page.get_by_role("button", name="Request access")).to_have_count(1)
    await page.shoot("captain-board")
    await page.get_by_role("link", name="Ask to add a member to the grant").click()
    await page.get_by_label("Member to add").select_option(label="Olga Other")
    await page.get_by_label("Why this member needs the data").fill(
        "Olga validates the model on the echo reports."
    )
    await page.shoot("grant-add-member")
    await page.get_by_role("button", name="Ask to add this member").click()
    await expect(page.get_by_text("The request to add a member is saved as a draft.")).to_be_visible()
    await expect(page.get_by_text("Asks to add a member to an active grant")).to_be_visible()
    await page.goto(f"/grants/{grant.id}")
    await expect(page.get_by_role("link", name="Request to add Olga Other")).to_be_visible()
    await page.shoot("grant-pending")
    await page.goto(f"/challenges/{challenge.slug}/data")
    await expect(page.get_by_role("button", name="Request access")).to_have_count(1)
    await page.get_by_role("button", name="Request access").click()
    await expect(page).to_have_url(
        f"{live_server.url}/data-requests/new?offering={(await _offering_id(live_server, offered))}"
    )
    await page.get_by_role("button", name="Sign out").click()

    await sign_in(page, steward.email)
    await page.goto(f"/datasets/{offered.slug}/offerings")
    rounds = page.get_by_label("From round")
    await expect(rounds.locator("option").first).to_have_text("Any round")
    await page.shoot("offer-rounds")


async def _offering_id(live_server, dataset) -> str:
    from sqlalchemy import select

    from app.data_sharing.models import Offering

    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            return str(await session.scalar(select(Offering.id).where(Offering.dataset_id == dataset.id)))
    finally:
        await engine.dispose()
