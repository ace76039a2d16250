"""The challenge's page: what it shows, to whom, the preview of a draft, and Markdown made harmless."""

from __future__ import annotations

import datetime as dt
import re

import time_machine

from app.challenges.models import Announcement, Prize, RoundField
from tests.challenges.core.helpers import sessions_from
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder, make_organization, make_user

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)


async def test_visitor_sees_a_published_challenge_with_its_timeline_rounds_and_organizers(cast, browser, db):
    db.add(
        Prize(
            challenge_id=cast.public.id,
            position=1,
            title="Grand prize",
            reward="10 000 €",
            description="**Big**",
        )
    )
    await db.flush()
    response = await (await browser()).get(f"/challenges/{cast.public.slug}")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Public Heart Challenge" in page
    assert "Acme Hospital Verified" in page
    assert "Registration closes" in page and "Round 1" in page
    assert "Grand prize — 10 000 €" in page and "<strong>Big</strong>" in response.text
    assert "Preview - not published" not in page
    assert f'href="/challenges/{cast.public.slug}/register"' in response.text
    assert f'href="/challenges/{cast.public.slug}/calendar.ics"' in response.text


async def test_countdown_names_the_next_deadline_and_its_exact_time_in_the_challenges_zone(browser, db):
    challenge = await make_challenge(
        db, now=NOW, registration_closes_at=dt.datetime(2027, 3, 13, 17, 0, tzinfo=dt.UTC)
    )
    with time_machine.travel(NOW, tick=False):
        response = await (await browser()).get(f"/challenges/{challenge.slug}")
    page = text_of(response.text)
    assert "Registration closes in 3 days — Mar 13, 2027, 6:00 PM (Europe/Paris)" in page


async def test_countdown_speaks_french_to_french_readers(browser, db):
    challenge = await make_challenge(
        db, now=NOW, registration_closes_at=dt.datetime(2027, 3, 13, 17, 0, tzinfo=dt.UTC)
    )
    reader = await make_user(db, locale="fr")
    client = await browser(reader)
    await sessions_from(db, NOW)
    with time_machine.travel(NOW, tick=False):
        response = await client.get(f"/challenges/{challenge.slug}")
    assert "Les inscriptions ferment dans 3 jours — 13 mars 2027, 18:00 (Europe/Paris)" in text_of(
        response.text
    )


async def test_no_register_link_once_registration_is_closed(browser, db):
    challenge = await make_challenge(db, now=NOW)
    with time_machine.travel(challenge.registration_closes_at, tick=False):
        response = await (await browser()).get(f"/challenges/{challenge.slug}")
    assert "/register" not in response.text
    assert "Round 1: submission deadline" in text_of(response.text)


async def test_founders_preview_a_draft_with_a_banner(cast, browser):
    response = await (await browser(cast.founder)).get(f"/challenges/{cast.draft.slug}")
    assert response.status_code == 200
    assert "Preview - not published" in text_of(response.text)
    assert "/register" not in response.text
    assert response.headers["cache-control"] == "no-store"


async def test_drafts_and_invitation_only_challenges_are_not_found_for_outsiders(cast, browser):
    for person in (None, cast.user, cast.other_founder, cast.participant):
        client = await browser(person)
        for challenge in (cast.draft, cast.private):
            response = await client.get(f"/challenges/{challenge.slug}")
            assert response.status_code == 404, (person, challenge.title)
            assert challenge.title not in response.text
    assert (await (await browser(cast.admin)).get(f"/challenges/{cast.draft.slug}")).status_code == 200


async def test_an_unknown_challenge_is_not_found(browser):
    assert (await (await browser()).get("/challenges/no-such-challenge")).status_code == 404


SCRIPTED = """
Hello <script>alert('x')</script>

<img src=x onerror="alert(1)">

[click](javascript:alert(1)) and [good](https://example.org)

<a href="#" onclick="steal()">raw</a>
"""


async def test_markdown_with_scripts_handlers_and_javascript_links_is_harmless(browser, db):
    challenge = await make_challenge(db, description=SCRIPTED, rules=SCRIPTED)
    db.add(Announcement(challenge_id=challenge.id, title="News", body=SCRIPTED))
    db.add(Prize(challenge_id=challenge.id, title="Prize", description=SCRIPTED))
    await db.flush()
    html = (await (await browser()).get(f"/challenges/{challenge.slug}")).text
    main = re.split(r"<main\b[^>]*>", html, maxsplit=1)[1].split("</main>", 1)[0]
    assert "<script" not in main
    assert not re.search(r"<[^>]+\son\w+=", main), "an event handler attribute survived"
    assert 'href="javascript:' not in main
    assert '<a href="https://example.org" rel="noopener nofollow">good</a>' in main
    # What was neutralized is still readable as text.
    assert "&lt;script&gt;alert" in main


async def test_the_page_lists_what_teams_submit_but_not_retired_fields(browser, db):
    challenge = await make_challenge(db)
    [round_id] = list(await _rounds(db, challenge))
    db.add(RoundField(round_id=round_id, key="a", position=1, label="Pitch deck", kind="file", required=True))
    db.add(
        RoundField(
            round_id=round_id, key="b", position=2, label="Old question", kind="short_text", retired_at=NOW
        )
    )
    await db.flush()
    page = text_of((await (await browser()).get(f"/challenges/{challenge.slug}")).text)
    assert "Pitch deck (File, required)" in page
    assert "Old question" not in page


async def _rounds(db, challenge):
    from sqlalchemy import select

    from app.challenges.models import Round

    return list(await db.scalars(select(Round.id).where(Round.challenge_id == challenge.id)))


async def test_eligibility_is_shown_in_the_readers_words(browser, db):
    challenge = await make_challenge(
        db, allowed_kinds=["startup", "academic_lab"], allowed_countries=["FR", "BE"], team_min=2, team_max=4
    )
    page = text_of((await (await browser()).get(f"/challenges/{challenge.slug}")).text)
    assert "Startup, Academic lab" in page
    assert "France" in page and "Belgium" in page
    assert "From 2 to 4 people" in page


async def test_founders_see_an_edit_link_and_others_do_not(cast, browser):
    url = f"/challenges/{cast.public.slug}"
    assert f'href="{url}/edit"' in (await (await browser(cast.founder)).get(url)).text
    for person in (None, cast.user, cast.participant, cast.admin, cast.other_founder):
        assert f'href="{url}/edit"' not in (await (await browser(person)).get(url)).text


async def test_co_organizers_founders_see_the_same_draft(browser, db):
    draft = await make_challenge(db, published=False)
    first = await make_founder(db, draft)
    second = await make_founder(db, draft)
    for founder in (first, second):
        assert (await (await browser(founder)).get(f"/challenges/{draft.slug}/edit")).status_code == 200
    stranger_org_member = await make_user(db)
    await make_organization(db, owner=stranger_org_member)
    assert (await (await browser(stranger_org_member)).get(f"/challenges/{draft.slug}")).status_code == 404


async def test_an_htmx_request_for_the_page_gets_the_whole_page(cast, browser):
    client = await browser(cast.founder)
    for url in (f"/challenges/{cast.public.slug}", "/challenges/new", f"/challenges/{cast.public.slug}/edit"):
        response = await client.get(url, headers={"HX-Request": "true"})
        assert "<html" in response.text, url
