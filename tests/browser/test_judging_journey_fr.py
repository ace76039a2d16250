"""Issue #5's results in French, in Chromium: a French founder, whose judges have finished, reads the ranking
and the judges' agreement, advances the best team, awards the prize once judging is over and publishes; the
team reads its feedback and a visitor the winners. Each page fails on any English sentence of the interface
left on it."""

from __future__ import annotations

import re
from types import SimpleNamespace

from playwright.async_api import expect

from tests.browser.judging_journey_support import (
    COMMENTS_FR,
    move_time_past_the_end,
    person,
    seed,
    shoot,
    sign_in,
)


def english_phrases() -> set[str]:
    """English sentences of the interface that French readers must never meet: every msgid of some length,
    without parameters, whose French translation differs (a page showing one forgot to translate it)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    catalog = Path(__file__).parents[2] / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with catalog.open("rb") as handle:
        messages = read_po(handle, locale="fr")
    return {
        message.id
        for message in messages
        if isinstance(message.id, str)
        and len(message.id) >= 12
        and "%(" not in message.id
        and message.string
        and message.string != message.id
    }


async def assert_french(page, phrases: set[str]) -> None:
    assert await page.locator("html").get_attribute("lang") == "fr"
    text = await page.locator("body").inner_text()
    left = sorted(phrase for phrase in phrases if phrase in text)
    assert left == [], f"English left on {page.url}: {left}"


async def french_founder_decides(page, live_server, cast: SimpleNamespace, phrases: set[str]) -> None:
    founder = await person(page, live_server, locale="fr-FR")
    await founder.goto("/login")
    await sign_in(founder, cast.founder, "fr")
    base = f"/challenges/{cast.slug}/rounds/{cast.round1}/judging"

    await founder.goto(f"{base}/ranking")
    await expect(founder.get_by_role("heading", name="Classement de Candidature")).to_be_visible()
    first = founder.locator("table.ranking tbody tr").first
    await expect(first).to_contain_text(re.compile(r"^\s*1\s+Alpha Cardio\s+2\s+87,5"))
    await expect(founder.locator("#agreement")).to_contain_text("Alpha de Krippendorff : 0,885")
    await founder.get_by_text("Comment les candidatures sont classées").click()
    await assert_french(founder, phrases)
    await shoot(founder, page, "classement")

    await founder.goto(f"{base}/shortlist")
    await founder.get_by_label("Retenir Alpha Cardio").check()
    await founder.get_by_role("button", name="Retenir pour Finale").click()
    await expect(founder.get_by_text("1 équipe participe à Finale.")).to_be_visible()
    await assert_french(founder, phrases)
    await shoot(founder, page, "preselection")

    await move_time_past_the_end(live_server, cast)
    await founder.goto(f"/challenges/{cast.slug}/results/manage")
    await founder.get_by_label("Attribuer Grand prize à").select_option(label="Alpha Cardio")
    await founder.get_by_role("button", name="Attribuer", exact=True).click()
    await expect(founder.get_by_text("Grand prize est attribué à Alpha Cardio.")).to_be_visible()
    await assert_french(founder, phrases)
    await shoot(founder, page, "prix")
    await founder.get_by_role("button", name="Publier les résultats").click()
    published = "Les résultats sont publiés et chaque équipe est prévenue."
    await expect(founder.get_by_text(published)).to_be_visible()
    await assert_french(founder, phrases)
    await founder.context.close()


async def french_team_and_visitor_read(page, live_server, cast: SimpleNamespace, phrases: set[str]) -> None:
    captain = await person(page, live_server, locale="fr-FR")
    await captain.goto("/login")
    await sign_in(captain, cast.captain, "fr")
    await captain.goto(f"/teams/{cast.alpha_team}/feedback")
    await expect(captain.get_by_role("heading", name="Retours du jury pour Alpha Cardio")).to_be_visible()
    await expect(captain.get_by_role("main")).to_contain_text("Note globale : 87,5 sur 100")
    for clinical, overall in COMMENTS_FR.values():
        await expect(captain.get_by_text(clinical)).to_be_visible()
        await expect(captain.get_by_text(overall)).to_be_visible()
    html = await captain.content()
    assert "Jade" not in html and "Otto" not in html
    await assert_french(captain, phrases)
    await shoot(captain, page, "retours")
    await captain.context.close()

    visitor = await person(page, live_server, locale="fr-FR")
    await visitor.goto(f"/challenges/{cast.slug}/results")
    await expect(visitor.get_by_role("heading", name="Résultats de Heart Failure at Home")).to_be_visible()
    await expect(visitor.locator("article.prize-result .winners")).to_have_text("Alpha Cardio")
    await assert_french(visitor, phrases)
    await shoot(visitor, page, "resultats-publics")
    await visitor.context.close()


async def test_a_french_founder_ranks_shortlists_and_publishes(page, live_server):
    cast = await seed(live_server, locale="fr", scored=True)
    phrases = english_phrases()
    await french_founder_decides(page, live_server, cast, phrases)
    await french_team_and_visitor_read(page, live_server, cast, phrases)
