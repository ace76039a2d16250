"""The main pages of each role, checked by axe-core in Chromium: no serious or critical violation. Each page
is also read in French, and its screenshot kept as `a11y-<role>-<page>-<language>.png` in
test-artifacts/screenshots/, for a reviewer to look at both languages side by side.

The pages are the demo's (app.demo), which every role has something to see in; the demo is loaded once
(idempotently) into the live server's database, and only read here.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from app import demo
from tests.browser.conftest import SCREENSHOTS, load_demo
from tests.browser.judging_journey_support import person
from tests.browser.test_team_journey import sql

AXE = Axe()
# WCAG 2.1 A and AA rules plus axe's best practices (landmarks, headings, skip links); only violations reported.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
# Impacts that fail the test; "moderate" and "minor" ones are reported by axe but tolerated.
BLOCKING = {"serious", "critical"}
SIGN_IN = {
    "en": ("E-mail address", "Password", "Sign in", "Sign out"),
    "fr": ("Adresse e-mail", "Mot de passe", "Se connecter", "Se déconnecter"),
}


def demo_email(role: str) -> str:
    return f"{role}@{demo.DEMO_DOMAIN}"


@pytest.fixture(scope="module")
async def demo_pages(live_server) -> dict[str, dict[str, str]]:
    """The demo loaded, and the main page of each role as {role: {page name: path}}."""
    await load_demo(live_server)

    async def one(query: str, *args: Any) -> Any:
        rows = await sql(live_server, query, *args)
        assert len(rows) == 1, (query, args, rows)
        return rows[0][0]

    team_round = (
        "SELECT t.id, s.round_id FROM teams t JOIN submissions s ON s.team_id = t.id WHERE t.name = $1"
    )
    draft_team, draft_round = (await sql(live_server, team_round, "CardioSense Domicile"))[0]
    granted_team = await one("SELECT id FROM teams WHERE name = $1", "CardioSense Réadaptation")
    judged_round = await one(
        "SELECT r.id FROM rounds r JOIN challenges c ON c.id = r.challenge_id WHERE c.slug = $1",
        "arrhythmia-detection-wearables",
    )
    entry = await one(
        "SELECT s.id FROM submissions s JOIN teams t ON t.id = s.team_id WHERE t.name = $1", "PulseCheck"
    )
    request = await one(
        "SELECT r.id FROM access_requests r JOIN teams t ON t.id = r.team_id WHERE t.name = $1",
        "CardioSense Domicile",
    )
    home_care = "/challenges/insuffisance-cardiaque-a-domicile"
    arrhythmia = f"/challenges/arrhythmia-detection-wearables/rounds/{judged_round}/judging"
    return {
        "visitor": {
            "home": "/",
            "catalogue": "/challenges",
            "challenge": home_care,
            "results": "/challenges/prevention-hypertension/results",
            "sign-in": "/login",
            "sign-up": "/signup",
        },
        "captain": {
            "my-challenges": "/me/challenges",
            "team": f"/teams/{draft_team}",
            "submission-draft": f"/teams/{draft_team}/rounds/{draft_round}",
            "data-board": f"/teams/{granted_team}/data",
        },
        "founder": {
            "dashboard": "/founder",
            "challenge-editor": f"{home_care}/edit",
            "registrations": f"{home_care}/registrations",
            "judging-settings": arrhythmia,
            "ranking": f"{arrhythmia}/ranking",
        },
        "judge": {
            "queue": f"/judge/rounds/{judged_round}",
            "review": f"/judge/entries/{entry}",
        },
        "steward": {
            "dataset": "/datasets/echographies-cardiaques",
            "steward-board": "/steward",
            "request": f"/data-requests/{request}",
        },
        "admin": {
            "administration": "/admin",
            "users": "/admin/users",
        },
    }


def blocking_violations(results: Any) -> list[str]:
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = "; ".join(
                f"{' '.join(node['target'])} {node['html'][:120]}" for node in violation["nodes"][:5]
            )
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -- {targets}")
    return lines


async def check_pages(page: Any, role: str, pages: dict[str, str], language: str) -> list[str]:
    found = []
    for name, path in pages.items():
        response = await page.goto(path)
        assert response is not None and response.status == 200, (role, name, path)
        assert await page.locator("html").get_attribute("lang") == language
        # The markup and styles are the same in both languages: axe reads the English pages, people both.
        if language == "en":
            results = await AXE.run(page, options=AXE_OPTIONS)
            found += [f"{role} {name} {line}" for line in blocking_violations(results)]
        await page.screenshot(path=str(SCREENSHOTS / f"a11y-{role}-{name}-{language}.png"), full_page=True)
    return found


async def sign_in(page: Any, email: str, language: str) -> None:
    email_label, password_label, button, signed_in = SIGN_IN[language]
    await page.goto("/login")
    await page.get_by_label(email_label).fill(email)
    await page.get_by_label(password_label, exact=True).fill(demo.DEMO_PASSWORD)
    await page.get_by_role("button", name=button).click()
    await expect(page.get_by_role("button", name=signed_in)).to_be_visible()


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_visitor_pages_have_no_serious_accessibility_violation(page, live_server, demo_pages, language):
    visitor = page if language == "en" else await person(page, live_server, locale="fr-FR")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = await check_pages(visitor, "visitor", demo_pages["visitor"], language)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("role", ["captain", "founder", "judge", "steward", "admin"])
async def test_pages_of_each_role_have_no_serious_accessibility_violation(
    page, live_server, demo_pages, role
):
    """Each person signs in, reads their pages in English, switches the site to French and reads them again."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    email = demo_email(role)
    original = await sql(live_server, "SELECT locale FROM users WHERE email = $1", email)
    await sql(live_server, "UPDATE users SET locale = 'en' WHERE email = $1", email)
    try:
        await sign_in(page, email, "en")
        found = await check_pages(page, role, demo_pages[role], "en")
        await page.get_by_label("Site language").select_option("fr")
        await expect(page.locator("html")).to_have_attribute("lang", "fr")
        found += await check_pages(page, role, demo_pages[role], "fr")
    finally:
        await sql(live_server, "UPDATE users SET locale = $1 WHERE email = $2", original[0]["locale"], email)
    assert found == [], "\n".join(found)
