"""The cast and helpers of the judging journeys in Chromium (tests/browser/test_judging_journey*.py):
committed data seeded straight into the live server's database, other people's browser contexts, signing in,
screenshots, and the passing of time."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from app.challenges.models import Prize
from app.db import async_url, make_session_maker
from tests.browser.test_team_journey import sql
from tests.factories import DEFAULT_PASSWORD, make_judged_round, make_user
from tests.judging.ranking_support import give_review
from tests.judging.scoring_support import answer_question

TEAMS = ("Alpha Cardio", "Beta Pulse", "Gamma Beat")
# What each judge gives Alpha Cardio and Beta Pulse: (clinical value, feasibility), both scored 1 to 5 with
# weights 2 and 1. Totals on 0-100: Jade 91.7 and 50.0, Otto 83.3 and 33.3; means 87.5 and 41.7.
# Krippendorff's alpha (interval) over the four totals: 1 - D_o / D_e = 1 - 173.6 / 1515.4 = 0.885.
SCORES = {
    "Jade Judge": {"Alpha Cardio": (5, 4), "Beta Pulse": (3, 3)},
    "Otto Other": {"Alpha Cardio": (4, 5), "Beta Pulse": (2, 3)},
}
# Their comments (on clinical value, then overall), which the team reads without knowing who wrote which.
COMMENTS = {
    "Jade Judge": ("A randomized pilot would make the clinical case.", "A careful team, a credible plan."),
    "Otto Other": ("Nurses at home would use it every day.", "Ready for a pilot in a cardiology ward."),
}
COMMENTS_FR = {
    "Jade Judge": ("Un essai randomisé rendrait le bénéfice clinique évident.", "Une équipe sérieuse."),
    "Otto Other": ("Les infirmières à domicile s’en serviraient chaque jour.", "Prêt pour un pilote."),
}
# The sign-in form's labels, and the button that shows one is signed in, per language.
SIGN_IN = {
    "en": ("E-mail address", "Password", "Sign in", "Sign out"),
    "fr": ("Adresse e-mail", "Mot de passe", "Se connecter", "Se déconnecter"),
}


async def seed(live_server, *, locale: str = "en", scored: bool = False) -> SimpleNamespace:
    """Committed data: a published challenge "Heart Failure at Home" with two rounds and a grand prize, whose
    round 1 closed yesterday with three submitted entries answering one question, judging open for a week.
    Two people with accounts will be invited as judges. `scored`: a rubric, the entries screened and both
    judges' finalized reviews of the first two teams already there (for the French journey)."""
    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            judged = await make_judged_round(
                session, teams=3, judges=2 if scored else 0, criteria=2 if scored else 0,
                screen=scored, assign=scored, rounds=2,
            )  # fmt: skip
            await answer_question(session, judged)
            suffix = uuid.uuid4().hex[:6]
            judged.challenge.title = "Heart Failure at Home"
            judged.founder.locale = locale
            for team, name, captain in zip(judged.teams, TEAMS, judged.captains, strict=True):
                team.name = name
                captain.name = f"{name.split()[0]} Captain"
                captain.locale = locale
            session.add(Prize(challenge_id=judged.challenge.id, title="Grand prize", reward="10 000 €"))
            if scored:
                jade, otto = judged.judges
                jade.name, otto.name = "Jade Judge", "Otto Other"
                await score_in_database(session, judged)
            else:
                jade = await make_user(session, name="Jade Judge", email=f"jade-{suffix}@example.org")
                otto = await make_user(session, name="Otto Other", email=f"otto-{suffix}@example.org")
            await session.commit()
            return SimpleNamespace(
                slug=judged.challenge.slug,
                round1=judged.round.id,
                round2=judged.rounds[1].id,
                founder=judged.founder.email,
                captain=judged.captains[0].email,
                alpha_team=judged.teams[0].id,
                judges={"Jade Judge": jade.email, "Otto Other": otto.email},
            )
    finally:
        await engine.dispose()


async def score_in_database(session: Any, judged: Any) -> None:
    """The French journey starts where the judges have finished: SCORES, finalized, with comments."""
    judged.criteria[0].name, judged.criteria[1].name = "Valeur clinique", "Faisabilité"
    judged.rounds[0].name, judged.rounds[1].name = "Candidature", "Finale"
    for criterion in judged.criteria:
        criterion.scale_min, criterion.scale_max = 1, 5
    judged.criteria[0].weight, judged.criteria[1].weight = 2, 1
    for judge in judged.judges:
        for team_index, values in enumerate(SCORES[judge.name].values()):
            clinical, overall = COMMENTS_FR[judge.name]
            entry = judged.entries[team_index]
            await give_review(session, judged, judge, entry, values, comments=(clinical, ""), comment=overall)


async def person(page, live_server, locale: str = "en-GB") -> Any:
    """Another browser context (own cookies), watched for console errors and refusals like the fixture's."""
    context = await page.context.browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 900}
    )
    other = await context.new_page()
    other.set_default_timeout(15000)
    errors = page.console_errors
    other.on("console", lambda msg: errors.append(f"(other) {msg.text}") if msg.type == "error" else None)
    other.on("pageerror", lambda exc: errors.append(f"(other) {exc}"))
    other.on("response", lambda r: errors.append(f"(other) {r.status} {r.url}") if r.status >= 400 else None)
    return other


async def shoot(page, journey, step: str) -> None:
    """A numbered screenshot of another person's page in the journey's sequence. Only where no htmx swap
    follows on that page: the full-page capture leaves style="" on inputs, which htmx's settling would copy
    and the CSP refuses."""
    await page.screenshot(path=str(journey.shoot.path(step)), full_page=True)


async def sign_in(page, email: str, language: str = "en") -> None:
    email_label, password_label, button, signed_in = SIGN_IN[language]
    await page.get_by_label(email_label).fill(email)
    await page.get_by_label(password_label).fill(DEFAULT_PASSWORD)
    await page.get_by_role("button", name=button).click()
    await expect(page.get_by_role("button", name=signed_in)).to_be_visible()


async def move_time_past_the_end(live_server, cast: SimpleNamespace) -> None:
    """Weeks pass: round 2's teams submitted (not shown here), its deadline passed, and the judging of both
    rounds closed. The server judges by its clock when a request arrives, so moving the rounds' dates into
    the past is what the passing of time looks like to it."""
    await sql(
        live_server,
        "UPDATE rounds SET opens_at = now() - interval '3 days', deadline = now() - interval '2 days' "
        "WHERE id = $1",
        cast.round2,
    )
    for round_id in (cast.round1, cast.round2):
        await sql(
            live_server,
            "INSERT INTO judging_rounds (round_id, challenge_id, closes_at) "
            "SELECT id, challenge_id, now() - interval '1 minute' FROM rounds WHERE id = $1 "
            "ON CONFLICT (round_id) DO UPDATE SET closes_at = EXCLUDED.closes_at",
            round_id,
        )
