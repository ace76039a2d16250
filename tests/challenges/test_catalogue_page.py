"""The catalogue page: what each person finds, filters, bilingual search, order, pages, htmx and bad input."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import urlencode

import pytest

from app.challenges.catalogue import PAGE_SIZE
from app.challenges.models import ChallengeInvitee, Prize
from app.db import utcnow
from tests.challenges.timelines import DAY, make_program, make_timeline
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder, make_organization, make_user, sign_in


def slugs(html: str) -> list[str]:
    """Challenges listed, in order, as the links of their cards."""
    return re.findall(r'<h2><a href="/challenges/([^"]+)">', html)


async def listed(client, url: str) -> list[str]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return slugs(response.text)


async def phase_cast(db, organizer) -> dict[str, object]:
    """One published challenge per public phase, organized by `organizer`, around the real clock."""
    now = utcnow()
    past = {"opens": now - 30 * DAY, "closes": now - 20 * DAY, "rounds": ((now - 20 * DAY, now - 2 * DAY),)}
    timelines = {
        "upcoming": {
            "opens": now + 5 * DAY,
            "closes": now + 15 * DAY,
            "rounds": ((now + 5 * DAY, now + 30 * DAY),),
        },
        "registration_open": {
            "opens": now - DAY,
            "closes": now + 7 * DAY,
            "rounds": ((now - DAY, now + 20 * DAY),),
        },
        "in_progress": {
            "opens": now - 20 * DAY,
            "closes": now - 10 * DAY,
            "rounds": ((now - 10 * DAY, now + 5 * DAY),),
        },
        "judging": past,
        "results": {**past, "results_published_at": now - DAY},
        "archived": {**past, "results_published_at": now - 3 * DAY, "archived_at": now - DAY},
    }
    return {
        name: await make_timeline(db, organizers=(organizer,), title=f"Phase {name}", **fields)
        for name, fields in timelines.items()
    }


# --- who finds what ----------------------------------------------------------------------------------------


async def test_a_card_shows_title_summary_organizers_program_phase_deadline_and_prize(client, db):
    hospital = await make_organization(db, name="CHU de Bordeaux")
    agency = await make_organization(db, name="ARS Nouvelle-Aquitaine")
    program = await make_program(db, title="Cardiovasculaire 2030", kind="pathology")
    closes = dt.datetime(2031, 1, 15, 17, 0, tzinfo=dt.UTC)
    challenge = await make_challenge(
        db,
        organizers=(hospital, agency),
        title="Heart failure at home",
        summary="Follow patients after discharge.",
        program_id=program.id,
        timezone="America/New_York",
        registration_closes_at=closes,
        rounds=0,
    )
    db.add_all(
        [
            Prize(challenge_id=challenge.id, position=2, title="Second prize", reward="5 000 €"),
            Prize(challenge_id=challenge.id, position=1, title="Grand prize", reward="20 000 €"),
        ]
    )
    await db.flush()
    response = await client.get(f"/challenges?organizer={hospital.slug}")
    assert slugs(response.text) == [challenge.slug]
    card = text_of(response.text.split('class="challenge-card"')[1])
    assert "Heart failure at home" in card and "Follow patients after discharge." in card
    assert "ARS Nouvelle-Aquitaine, CHU de Bordeaux" in card
    assert "Cardiovasculaire 2030 (Pathology)" in card
    assert f'href="/programs/{program.slug}"' in response.text
    assert "Registration open" in card
    # 17:00 UTC is noon in New York in January.
    assert "Registration closes Jan 15, 2031, 12:00 PM (America/New_York)" in card
    assert "Grand prize — 20 000 €" in card and "Second prize" not in card


async def test_drafts_are_never_listed_not_even_to_their_founders_or_admins(client, db):
    organizer = await make_organization(db)
    published = await make_challenge(db, organizers=(organizer,))
    draft = await make_challenge(db, organizers=(organizer,), published=False)
    founder = await make_founder(db, draft)
    url = f"/challenges?organizer={organizer.slug}"
    assert await listed(client, url) == [published.slug]
    await sign_in(client, db, founder)
    assert await listed(client, url) == [published.slug]
    await sign_in(client, db, await make_user(db, admin=True))
    assert await listed(client, url) == [published.slug]


async def test_invitation_only_challenges_are_listed_for_invitees_and_founders_only(client, db):
    organizer = await make_organization(db)
    public = await make_challenge(db, organizers=(organizer,), title="Open to all")
    private = await make_challenge(db, organizers=(organizer,), visibility="invitation", title="Invited only")
    invitee = await make_user(db)
    db.add(ChallengeInvitee(challenge_id=private.id, user_id=invitee.id))
    founder = await make_founder(db, private)
    url = f"/challenges?organizer={organizer.slug}"
    assert await listed(client, url) == [public.slug]
    assert await listed(client, "/challenges?q=invited") == []
    await sign_in(client, db, await make_user(db))
    assert await listed(client, url) == [public.slug]
    await sign_in(client, db, invitee)
    assert set(await listed(client, url)) == {public.slug, private.slug}
    response = await client.get(url)
    assert "Invitation only" in text_of(response.text)
    await sign_in(client, db, founder)
    assert set(await listed(client, url)) == {public.slug, private.slug}


async def test_filter_options_leave_out_organizers_of_unlisted_challenges(client, db):
    shown = await make_organization(db, name=f"Shown {uuid.uuid4().hex[:6]}")
    hidden = await make_organization(db, name=f"Hidden {uuid.uuid4().hex[:6]}")
    await make_challenge(db, organizers=(shown,))
    await make_challenge(db, organizers=(hidden,), visibility="invitation")
    await make_challenge(db, organizers=(hidden,), published=False)
    page = (await client.get("/challenges")).text
    assert f'value="{shown.slug}"' in page
    assert f'value="{hidden.slug}"' not in page


async def test_filter_options_are_escaped_and_keep_the_choice_made(client, db):
    organizer = await make_organization(db, name=f"Soins & <Co> {uuid.uuid4().hex[:6]}")
    program = await make_program(db, title=f'Cœur "& vaisseaux" {uuid.uuid4().hex[:6]}', kind="pathology")
    await make_challenge(db, organizers=(organizer,), program_id=program.id)
    page = (await client.get("/challenges")).text
    assert f'<option value="{organizer.slug}">Soins &amp; &lt;Co&gt; {organizer.name[-6:]}</option>' in page
    assert (
        f'<option value="{program.slug}">Cœur &quot;&amp; vaisseaux&quot; {program.title[-6:]}</option>'
        in page
    )
    chosen = (await client.get(f"/challenges?organizer={organizer.slug}&program={program.slug}")).text
    assert f'<option value="{organizer.slug}" selected>' in chosen
    assert f'<option value="{program.slug}" selected>' in chosen


async def test_htmx_results_leave_out_the_filter_options(client, db):
    organizer = await make_organization(db)
    await make_challenge(db, organizers=(organizer,))
    fragment = (await client.get("/challenges", headers={"HX-Request": "true"})).text
    assert "<option" not in fragment
    assert 'id="catalogue_results"' in fragment


# --- filters ---------------------------------------------------------------------------------------------


async def test_filter_by_program_and_by_kind_of_program(client, db):
    organizer = await make_organization(db)
    cardio = await make_program(db, title="Cardio", kind="pathology")
    ai = await make_program(db, title="AI", kind="technology")
    in_cardio = await make_challenge(db, organizers=(organizer,), program_id=cardio.id)
    in_ai = await make_challenge(db, organizers=(organizer,), program_id=ai.id)
    without = await make_challenge(db, organizers=(organizer,))
    base = f"/challenges?organizer={organizer.slug}"
    assert await listed(client, f"{base}&program={cardio.slug}") == [in_cardio.slug]
    assert await listed(client, f"{base}&kind=technology") == [in_ai.slug]
    assert await listed(client, f"{base}&kind=public_health") == []
    assert set(await listed(client, base)) == {in_cardio.slug, in_ai.slug, without.slug}
    assert await listed(client, f"{base}&program=no-such-program") == []


async def test_filter_by_organizer_matches_any_of_several_organizers(client, db):
    first = await make_organization(db)
    second = await make_organization(db)
    both = await make_challenge(db, organizers=(first, second))
    only_second = await make_challenge(db, organizers=(second,))
    assert await listed(client, f"/challenges?organizer={first.slug}") == [both.slug]
    assert set(await listed(client, f"/challenges?organizer={second.slug}")) == {both.slug, only_second.slug}


async def test_filter_by_each_phase(client, db):
    organizer = await make_organization(db)
    cast = await phase_cast(db, organizer)
    for name, challenge in cast.items():
        assert await listed(client, f"/challenges?organizer={organizer.slug}&phase={name}") == [
            challenge.slug
        ], name
    page = text_of((await client.get(f"/challenges?organizer={organizer.slug}&phase=judging")).text)
    assert "Judging" in page and "None ahead" in page


async def test_open_for_registration_now(client, db):
    organizer = await make_organization(db)
    cast = await phase_cast(db, organizer)
    url = f"/challenges?organizer={organizer.slug}&open=1"
    assert await listed(client, url) == [cast["registration_open"].slug]
    assert len(await listed(client, f"/challenges?organizer={organizer.slug}&open=")) == len(cast)


# --- search -----------------------------------------------------------------------------------------------


async def search_cast(db):
    organizer = await make_organization(db)
    french = await make_challenge(
        db,
        organizers=(organizer,),
        title="Suivi à domicile",
        summary="Un défi régional.",
        description="Détecter plus tôt l’insuffisance cardiaque chez les patients âgés.",
    )
    english = await make_challenge(
        db,
        organizers=(organizer,),
        title="Remote monitoring",
        summary="A regional challenge.",
        description="Predict heart failure decompensation from wearable data.",
    )
    return organizer, french, english


async def test_search_finds_a_french_description_with_french_words(client, db):
    organizer, french, _english = await search_cast(db)
    base = f"/challenges?organizer={organizer.slug}"
    assert await listed(client, f"{base}&q=cardiaque") == [french.slug]
    # French stemming: the plural finds the singular.
    assert await listed(client, f"{base}&q=cardiaques") == [french.slug]
    assert await listed(client, f"{base}&q=patients+âgés") == [french.slug]


async def test_search_finds_an_english_description_with_english_words(client, db):
    organizer, _french, english = await search_cast(db)
    base = f"/challenges?organizer={organizer.slug}"
    assert await listed(client, f"{base}&q=heart") == [english.slug]
    assert await listed(client, f"{base}&q=wearables") == [english.slug]
    assert await listed(client, f"{base}&q=%22heart+failure%22+-pediatric") == [english.slug]
    assert await listed(client, f"{base}&q=%22failure+heart%22") == []


async def test_search_covers_title_and_summary_too(client, db):
    organizer, french, english = await search_cast(db)
    base = f"/challenges?organizer={organizer.slug}"
    assert await listed(client, f"{base}&q=domicile") == [french.slug]
    assert await listed(client, f"{base}&q=monitoring") == [english.slug]
    assert set(await listed(client, f"{base}&q=regional+OR+régional")) == {french.slug, english.slug}


async def test_search_ranks_a_title_match_above_a_description_match(client, db):
    organizer = await make_organization(db)
    in_description = await make_challenge(
        db, organizers=(organizer,), title="Data challenge", description="About sleep apnea screening."
    )
    in_title = await make_challenge(
        db,
        organizers=(organizer,),
        title="Sleep apnea screening",
        description="A challenge.",
        # Its deadline comes later: relevance, not the deadline, decides the order when searching.
        registration_closes_at=utcnow() + 30 * DAY,
    )
    assert await listed(client, f"/challenges?organizer={organizer.slug}&q=apnea") == [
        in_title.slug,
        in_description.slug,
    ]
    assert await listed(client, f"/challenges?organizer={organizer.slug}&q=apnea&sort=deadline") == [
        in_description.slug,
        in_title.slug,
    ]


async def test_search_words_with_no_meaning_find_nothing_rather_than_failing(client, db):
    organizer, _french, _english = await search_cast(db)
    for q in ("the", "&&&", "!", '"', ":*", "(", "-", "x" * 200):
        assert await listed(client, f"/challenges?organizer={organizer.slug}&{urlencode({'q': q})}") == [], q


# --- order and pages ---------------------------------------------------------------------------------------


async def test_ordered_by_next_deadline_then_challenges_without_one(client, db):
    organizer = await make_organization(db)
    cast = await phase_cast(db, organizer)
    order = await listed(client, f"/challenges?organizer={organizer.slug}")
    # in progress: round deadline in 5 days; open: registration closes in 7; upcoming: closes in 15.
    assert order[:3] == [cast["in_progress"].slug, cast["registration_open"].slug, cast["upcoming"].slug]
    assert set(order[3:]) == {cast["judging"].slug, cast["results"].slug, cast["archived"].slug}


async def test_ordered_by_newest_publication(client, db):
    organizer = await make_organization(db)
    now = utcnow()
    old = await make_challenge(db, organizers=(organizer,), published_at=now - 30 * DAY)
    new = await make_challenge(db, organizers=(organizer,), published_at=now - DAY)
    middle = await make_challenge(db, organizers=(organizer,), published_at=now - 10 * DAY)
    assert await listed(client, f"/challenges?organizer={organizer.slug}&sort=newest") == [
        new.slug,
        middle.slug,
        old.slug,
    ]
    # Without a search, "relevance" means the default order.
    assert await listed(client, f"/challenges?organizer={organizer.slug}&sort=relevance") == await listed(
        client, f"/challenges?organizer={organizer.slug}"
    )


async def test_pages_keep_the_filters(client, db):
    organizer = await make_organization(db)
    now = utcnow()
    for index in range(PAGE_SIZE + 1):
        await make_challenge(db, organizers=(organizer,), registration_closes_at=now + (index + 1) * DAY)
    first = await client.get(f"/challenges?organizer={organizer.slug}&sort=deadline")
    assert len(slugs(first.text)) == PAGE_SIZE
    assert f"{PAGE_SIZE + 1} challenges" in text_of(first.text)
    assert f'href="/challenges?organizer={organizer.slug}&amp;sort=deadline&amp;page=2"' in first.text
    second = await client.get(f"/challenges?organizer={organizer.slug}&sort=deadline&page=2")
    assert len(slugs(second.text)) == 1
    assert not set(slugs(second.text)) & set(slugs(first.text))
    assert await listed(client, f"/challenges?organizer={organizer.slug}&page=3") == []


# --- htmx, no JavaScript, languages --------------------------------------------------------------------------


async def test_the_filter_form_works_without_javascript_and_drives_htmx(client, db):
    page = (await client.get("/challenges")).text
    form = re.search(r"<form method=\"get\" action=\"/challenges\"[^>]*>", page).group(0)
    assert 'hx-get="/challenges"' in form and 'hx-target="#catalogue_results"' in form
    assert 'hx-push-url="true"' in form and "input changed delay" in form and "change from:.live-filter" in form
    for name in ("q", "program", "kind", "phase", "organizer", "open", "sort"):
        assert f'name="{name}"' in page, name
    assert '<button type="submit"' in page


async def test_htmx_gets_the_results_block_alone(client, db):
    organizer = await make_organization(db)
    challenge = await make_challenge(db, organizers=(organizer,))
    response = await client.htmx("GET", f"/challenges?organizer={organizer.slug}")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="catalogue_results"')
    assert "<form" not in response.text and "<html" not in response.text
    assert slugs(response.text) == [challenge.slug]
    assert "hx-request" in response.headers["vary"]


async def test_the_page_speaks_french(client, db):
    organizer = await make_organization(db)
    await make_challenge(
        db,
        organizers=(organizer,),
        registration_closes_at=dt.datetime(2031, 3, 12, 17, tzinfo=dt.UTC),
        rounds=0,
    )
    await sign_in(client, db, await make_user(db, locale="fr"))
    page = text_of((await client.get(f"/challenges?organizer={organizer.slug}")).text)
    assert "Défis" in page
    assert "Inscriptions ouvertes" in page
    assert "Clôture des inscriptions 12 mars 2031, 18:00 (Europe/Paris)" in page


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("phase=draft", "Choose a phase from the list."),
        ("phase=nope", "Choose a phase from the list."),
        ("kind=cardio", "Choose a kind of program from the list."),
        ("sort=random", "Choose an order from the list."),
        ("open=maybe", "“Open for registration now” is either on or off."),
        ("page=0", "The page number must be a whole number from 1 to 10000."),
        ("page=abc", "The page number must be a whole number from 1 to 10000."),
        ("page=99999999999999999999", "The page number must be a whole number from 1 to 10000."),
        ("program=%00", "Choose a program from the list."),
        ("organizer=Not%20A%20Slug", "Choose an organizer from the list."),
        ("q=" + "x" * 201, "The search text is too long (at most 200 characters)."),
    ],
)
async def test_bad_parameters_get_a_400_page_saying_what_is_wrong(client, query, message):
    response = await client.get(f"/challenges?{query}")
    assert response.status_code == 400
    assert message in text_of(response.text)


@pytest.mark.parametrize(
    "query", ["q=%00heart", "q=%ff%fe", "q=caf%C3%A9%0A", "unknown=1", "open=on", "page=", "q=+"]
)
async def test_odd_but_harmless_parameters_are_accepted(client, query):
    assert (await client.get(f"/challenges?{query}")).status_code == 200
