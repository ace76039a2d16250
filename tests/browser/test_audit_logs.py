"""The audit logs of a challenge and of a dataset in Chromium, in English and French: reached from the
founder's challenge page and the steward's dataset page, filtered by htmx, screenshots to look at."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.accounts.sessions import actor_from_user
from app.db import async_url, make_session_maker
from app.platform import audit
from tests.factories import DEFAULT_PASSWORD, make_dataset, make_founder, make_offering, make_user
from tests.judging.setup_support import make_setup_cast


async def seed(live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            cast = await make_setup_cast(session)
            cast.french = await make_founder(
                session, cast.challenge, name="Françoise Fondatrice", locale="fr"
            )
            cast.steward = await make_user(session, name="Sam Steward")
            cast.dataset = await make_dataset(session, steward=cast.steward)
            offering = await make_offering(session, cast.dataset, cast.challenge)
            founder = actor_from_user(cast.founder)
            await audit.record(session, founder, "challenge:publish", "challenge", cast.challenge.id)
            await audit.record(
                session, founder, "challenge:extend_deadline", "round", cast.round.id, {"to": "2026-12-01"}
            )
            for team in cast.jr.teams:
                await audit.record(
                    session, founder, "team:override_members", "team", team.id, {"team_name": team.name}
                )
            await audit.record(
                session, actor_from_user(cast.steward), "offering:agree", "offering", offering.id,
                {"dataset": cast.dataset.slug, "challenge": cast.challenge.slug},
            )  # fmt: skip
            await session.commit()
            return cast
    finally:
        await engine.dispose()


async def sign_in(page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lambda url: "/login" not in url)


async def test_a_founder_and_a_steward_read_their_logs_in_english_and_french(page, live_server):
    cast = await seed(live_server)
    await sign_in(page, cast.founder.email)
    await page.goto(f"/challenges/{cast.challenge.slug}")
    await page.get_by_role("button", name="Audit log").click()  # a link styled as a button, as its neighbours
    await expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    results = page.locator("#audit_results")
    await expect(results).to_contain_text("6 entries")
    await page.shoot("challenge-audit-en")
    await page.get_by_label("Action").select_option("team:override_members")
    await page.get_by_role("button", name="Filter").click()
    await expect(results).to_contain_text("3 entries")
    await expect(page).to_have_url(re.compile(r"/audit\?action=team%3Aoverride_members"))
    await expect(results).not_to_contain_text("challenge:publish")
    await page.get_by_role("button", name="Sign out").click()

    await sign_in(page, cast.french.email)
    await page.goto(f"/challenges/{cast.challenge.slug}")
    await page.get_by_role("button", name="Journal d’audit").click()
    await expect(page.get_by_role("heading", name="Journal d’audit")).to_be_visible()
    await expect(results).to_contain_text("6 entrées")
    await page.shoot("challenge-audit-fr")
    await page.get_by_label("Du (inclus)").fill("2999-01-01")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(results).to_contain_text("Aucune entrée")
    await page.get_by_role("button", name="Se déconnecter").click()

    await sign_in(page, cast.steward.email)
    await page.goto(f"/datasets/{cast.dataset.slug}")
    await page.get_by_role("link", name="Audit log").click()
    await expect(results).to_contain_text("1 entry")
    await expect(results).to_contain_text("offering:agree")
    await page.shoot("dataset-audit-en")
