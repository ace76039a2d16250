"""GET /api/v1/challenges: the catalogue as JSON, with the same filters, search, pages and visibility."""

from __future__ import annotations

import pytest

from app.challenges.models import ChallengeInvitee, Prize
from app.db import utcnow
from tests.challenges.timelines import DAY, make_program
from tests.factories import make_challenge, make_founder, make_organization, make_user, sign_in


async def api_slugs(client, query: str) -> list[str]:
    response = await client.get(f"/api/v1/challenges?{query}")
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


async def test_lists_published_challenges_with_what_a_card_shows(client, db):
    organizer = await make_organization(db, name="CHU de Bordeaux")
    program = await make_program(db, title="Cardiovasculaire 2030", kind="pathology")
    challenge = await make_challenge(
        db, organizers=(organizer,), title="Heart at home", program_id=program.id
    )
    db.add(Prize(challenge_id=challenge.id, position=1, title="Grand prize", reward="20 000 €"))
    await db.flush()
    response = await client.get(f"/api/v1/challenges?organizer={organizer.slug}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 1, 1)
    item = body["items"][0]
    assert item["slug"] == challenge.slug and item["url"] == f"/challenges/{challenge.slug}"
    assert item["title"] == "Heart at home" and item["visibility"] == "public"
    assert (item["phase"], item["phase_label"]) == ("registration_open", "Registration open")
    assert item["program"] == {
        "slug": program.slug,
        "title": "Cardiovasculaire 2030",
        "kind": "pathology",
        "kind_label": "Pathology",
    }
    assert item["organizers"] == [{"slug": organizer.slug, "name": "CHU de Bordeaux"}]
    assert item["next_deadline"]["kind"] == "registration_closes"
    assert item["next_deadline"]["at"].startswith(challenge.registration_closes_at.strftime("%Y-%m-%dT%H:%M"))
    assert item["prize"] == {"title": "Grand prize", "reward": "20 000 €"}
    assert item["rank"] is None


async def test_round_deadline_names_its_round(client, db):
    organizer = await make_organization(db)
    now = utcnow()
    await make_challenge(
        db, organizers=(organizer,), registration_closes_at=now - DAY, registration_opens_at=now - 2 * DAY
    )
    item = (await client.get(f"/api/v1/challenges?organizer={organizer.slug}")).json()["items"][0]
    assert item["phase"] == "in_progress"
    assert (item["next_deadline"]["kind"], item["next_deadline"]["round_name"]) == (
        "round_deadline",
        "Round 1",
    )


async def test_same_visibility_as_the_page(client, db):
    organizer = await make_organization(db)
    public = await make_challenge(db, organizers=(organizer,))
    private = await make_challenge(db, organizers=(organizer,), visibility="invitation")
    draft = await make_challenge(db, organizers=(organizer,), published=False)
    invitee = await make_user(db)
    db.add(ChallengeInvitee(challenge_id=private.id, user_id=invitee.id))
    founder = await make_founder(db, draft)
    query = f"organizer={organizer.slug}"
    assert await api_slugs(client, query) == [public.slug]
    await sign_in(client, db, await make_user(db))
    assert await api_slugs(client, query) == [public.slug]
    await sign_in(client, db, invitee)
    assert set(await api_slugs(client, query)) == {public.slug, private.slug}
    await sign_in(client, db, founder)
    assert await api_slugs(client, query) == [public.slug]


async def test_filters_search_and_pages(client, db):
    organizer = await make_organization(db)
    ai = await make_program(db, kind="technology")
    french = await make_challenge(
        db, organizers=(organizer,), description="Prédire l’insuffisance cardiaque.", program_id=ai.id
    )
    english = await make_challenge(db, organizers=(organizer,), description="Predict heart failure.")
    base = f"organizer={organizer.slug}"
    assert await api_slugs(client, f"{base}&q=cardiaque") == [french.slug]
    assert await api_slugs(client, f"{base}&q=heart") == [english.slug]
    assert await api_slugs(client, f"{base}&kind=technology") == [french.slug]
    assert await api_slugs(client, f"{base}&program={ai.slug}") == [french.slug]
    assert await api_slugs(client, f"{base}&phase=judging") == []
    assert set(await api_slugs(client, f"{base}&open=1")) == {french.slug, english.slug}
    searched = (await client.get(f"/api/v1/challenges?{base}&q=heart")).json()["items"][0]
    assert searched["rank"] > 0
    first = (await client.get(f"/api/v1/challenges?{base}&per_page=1")).json()
    second = (await client.get(f"/api/v1/challenges?{base}&per_page=1&page=2")).json()
    assert (first["total"], first["pages"], second["page"]) == (2, 2, 2)
    assert {first["items"][0]["slug"], second["items"][0]["slug"]} == {french.slug, english.slug}


async def test_a_page_past_the_end_is_empty_but_still_counts_the_matches(client, db):
    organizer = await make_organization(db)
    await make_challenge(db, organizers=(organizer,))
    await make_challenge(db, organizers=(organizer,))
    body = (await client.get(f"/api/v1/challenges?organizer={organizer.slug}&per_page=1&page=5")).json()
    assert (body["items"], body["total"], body["pages"], body["page"]) == ([], 2, 2, 5)
    nothing = (await client.get("/api/v1/challenges?organizer=nobody-organizes-this")).json()
    assert (nothing["items"], nothing["total"], nothing["pages"]) == ([], 0, 1)


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("phase=draft", "Choose a phase from the list."),
        ("kind=x", "Choose a kind of program from the list."),
        ("sort=x", "Choose an order from the list."),
        ("open=2", "“Open for registration now” is either on or off."),
        ("page=-1", "The page number must be a whole number from 1 to 10000."),
        ("per_page=0", "per_page must be a whole number from 1 to 100."),
        ("per_page=101", "per_page must be a whole number from 1 to 100."),
        ("organizer=%00", "Choose an organizer from the list."),
        ("q=" + "y" * 201, "The search text is too long (at most 200 characters)."),
    ],
)
async def test_bad_parameters_are_problems(client, query, detail):
    response = await client.get(f"/api/v1/challenges?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == detail


async def test_problems_speak_the_callers_language(client, db):
    await sign_in(client, db, await make_user(db, locale="fr"))
    response = await client.get("/api/v1/challenges?phase=draft")
    assert response.json()["detail"] == "Choisissez une phase dans la liste."


async def test_listed_in_the_openapi_document_with_its_parameters(client):
    document = (await client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/v1/challenges"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "program", "kind", "phase", "organizer", "open", "sort", "page", "per_page"} <= names
    assert "/challenges" not in document["paths"]
