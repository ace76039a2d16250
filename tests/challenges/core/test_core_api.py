"""The JSON API of challenges, rounds and announcements: same rules as the pages, problem+json refusals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.challenges.models import Challenge, Round, RoundField
from tests.challenges.core.helpers import audit_entries, reload, send
from tests.factories import make_challenge, make_founder

DAY = dt.timedelta(days=1)


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def timeline(now: dt.datetime) -> dict[str, str]:
    return {
        "registration_opens_at": iso(now + DAY),
        "registration_closes_at": iso(now + 10 * DAY),
        "judging_ends_at": iso(now + 40 * DAY),
        "results_at": iso(now + 45 * DAY),
    }


async def test_a_challenge_is_built_and_published_through_the_api(cast, browser, db):
    client = await browser(cast.founder)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    created = await send(
        client,
        "POST",
        "/api/v1/challenges",
        {
            "title": "API Challenge",
            "organizations": [cast.organization.slug],
            "summary": "Made by a script.",
            "description": "Long text",
            "rules": "Rules",
            "team_min": 2,
            "team_max": 4,
            "prizes": [{"title": "First", "reward": "5 000 €"}],
            "registration_questions": [{"label": "Why?", "required": True}],
            **timeline(now),
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == "/api/v1/challenges/api-challenge"
    assert (body["slug"], body["phase"], body["published_at"]) == ("api-challenge", "draft", None)
    assert body["organizers"] == [{"slug": cast.organization.slug, "name": "Acme Hospital", "verified": True}]
    assert body["prizes"] == [{"title": "First", "description": "", "reward": "5 000 €"}]
    [question] = body["registration_questions"]
    assert question["label"] == "Why?" and question["required"] is True and question["key"].startswith("q-")

    refused = await send(client, "POST", "/api/v1/challenges/api-challenge/publish")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["problems"] == ["Add at least one round."]

    round_ = await send(
        client,
        "POST",
        "/api/v1/challenges/api-challenge/rounds",
        {"name": "Application", "opens_at": iso(now + 2 * DAY), "deadline": iso(now + 20 * DAY)},
    )
    assert round_.status_code == 201, round_.text
    round_id = round_.json()["id"]
    field = await send(
        client,
        "POST",
        f"/api/v1/challenges/api-challenge/rounds/{round_id}/fields",
        {"label": "Deck", "kind": "file", "allowed_types": ["pdf"], "max_size_mb": 10},
    )
    assert field.status_code == 201 and field.json()["fields"][0]["label"] == "Deck"

    published = await send(client, "POST", "/api/v1/challenges/api-challenge/publish")
    assert published.status_code == 200, published.text
    assert published.json()["published_at"] is not None and published.json()["phase"] == "upcoming"
    assert await audit_entries(db, "challenge:publish")
    shown = await (await browser()).get("/api/v1/challenges/api-challenge")
    assert shown.status_code == 200 and shown.json()["rounds"][0]["fields"][0]["kind"] == "file"


async def test_the_body_never_sets_ids_publication_or_organizers(cast, browser, db):
    client = await browser(cast.founder)
    for extra in (
        {"published_at": "2027-01-01T00:00:00Z"},
        {"id": "x"},
        {"created_by_id": "x"},
        {"rules_version": 9},
        {"invitation_token": "t"},
    ):
        response = await send(client, "PATCH", f"/api/v1/challenges/{cast.draft.slug}", extra)
        assert response.status_code == 400, extra
        assert response.headers["content-type"].startswith("application/problem+json")
    sneaky = await send(client, "POST", "/api/v1/challenges", {"title": "T", "organizations": ["other-lab"]})
    assert sneaky.status_code == 422
    assert sneaky.json()["errors"][0]["key"] == "organizations"
    draft = await reload(db, cast.draft)
    assert draft.published_at is None and draft.rules_version == 1


async def test_patch_changes_only_what_is_sent_and_replaces_whole_lists(cast, browser, db):
    client = await browser(cast.founder)
    url = f"/api/v1/challenges/{cast.draft.slug}"
    first = await send(
        client,
        "PATCH",
        url,
        {
            "registration_questions": [{"label": "A"}, {"label": "B", "required": True}],
            "prizes": [{"title": "P1"}, {"title": "P2"}],
        },
    )
    assert first.status_code == 200
    keys = [q["key"] for q in first.json()["registration_questions"]]
    second = await send(
        client,
        "PATCH",
        url,
        {
            "summary": "New summary",
            "registration_questions": [
                {"label": "B renamed", "key": keys[1]},
                {"label": "C", "key": "q-forged"},
            ],
            "prizes": [{"title": "Only"}],
        },
    )
    assert second.status_code == 200
    body = second.json()
    assert body["summary"] == "New summary" and body["title"] == "Draft Lung Challenge"
    assert body["registration_questions"][0] == {"key": keys[1], "label": "B renamed", "required": False}
    assert body["registration_questions"][1]["key"] not in (keys[0], "q-forged")
    assert [p["title"] for p in body["prizes"]] == ["Only"]
    renamed = await send(client, "PATCH", url, {"slug": "lung-2027"})
    assert renamed.status_code == 200 and renamed.json()["slug"] == "lung-2027"


async def test_invalid_values_answer_422_with_each_field(cast, browser):
    client = await browser(cast.founder)
    url = f"/api/v1/challenges/{cast.draft.slug}"
    response = await send(
        client,
        "PATCH",
        url,
        {
            "title": "",
            "visibility": "nobody",
            "timezone": "Nowhere/City",
            "team_max": 0,
            "contact_email": "x@",
            "allowed_countries": ["ZZ"],
        },
    )
    assert response.status_code == 422
    assert {e["key"] for e in response.json()["errors"]} == {
        "title",
        "visibility",
        "timezone",
        "team_max",
        "contact_email",
        "allowed_countries",
    }
    prizes = await send(client, "PATCH", url, {"prizes": [{"title": "ok"}, {"title": ""}]})
    assert prizes.status_code == 422
    assert prizes.json()["errors"] == [
        {"key": "prizes[1].title", "message": "This field is required.", "source": "body"}
    ]
    naive = await send(client, "PATCH", url, {"results_at": "2027-01-01T10:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["message"].startswith("Give the time with its offset from UTC")
    garbage = await client.request(
        "PATCH",
        url,
        content=b"{not json",
        headers={"X-CSRF-Token": await client.csrf(), "content-type": "application/json"},
    )
    assert garbage.status_code == 400
    wrong_type = await send(client, "PATCH", url, {"team_min": "many"})
    assert wrong_type.status_code == 400


async def test_rounds_through_the_api(cast, browser, db):
    client = await browser(cast.founder)
    listing = await (await browser()).get(f"/api/v1/challenges/{cast.public.slug}/rounds")
    assert listing.status_code == 200 and [r["name"] for r in listing.json()] == ["Round 1"]
    round_id = listing.json()[0]["id"]
    url = f"/api/v1/challenges/{cast.public.slug}/rounds/{round_id}"
    renamed = await send(client, "PATCH", url, {"name": "Application", "rubric_planned": True})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Application"
    deadline = await send(client, "PATCH", url, {"deadline": "2040-01-01T00:00:00Z"})
    assert deadline.status_code == 422 and deadline.json()["errors"][0]["key"] == "deadline"
    backwards = await send(client, "PATCH", url, {"opens_at": "2041-01-01T00:00:00Z"})
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["message"] == "The deadline must come after the opening."
    added = await send(
        client,
        "POST",
        f"/api/v1/challenges/{cast.public.slug}/rounds",
        {"name": "Final", "opens_at": "2040-01-01T00:00:00Z", "deadline": "2040-02-01T00:00:00Z"},
    )
    assert added.status_code == 422
    assert "Judging must end after the last round’s deadline." in added.json()["problems"]
    field = await send(client, "POST", f"{url}/fields", {"label": "Video", "kind": "url"})
    field_id = field.json()["fields"][0]["id"]
    retired = await send(client, "DELETE", f"{url}/fields/{field_id}")
    assert retired.status_code == 200 and retired.json()["fields"][0]["retired_at"] is not None
    assert (await db.get(RoundField, field.json()["fields"][0]["id"])) is not None
    public_view = await (await browser()).get(f"/api/v1/challenges/{cast.public.slug}/rounds")
    assert public_view.json()[0]["fields"] == []


async def test_a_draft_and_an_invitation_only_challenge_are_not_found_in_the_api(cast, browser):
    for person in (None, cast.user, cast.other_founder, cast.participant):
        client = await browser(person)
        for challenge in (cast.draft, cast.private):
            for path in ("", "/rounds", "/announcements"):
                response = await client.get(f"/api/v1/challenges/{challenge.slug}{path}")
                assert response.status_code == 404, (person, path)
                assert response.headers["content-type"].startswith("application/problem+json")
    founder = await browser(cast.founder)
    assert (await founder.get(f"/api/v1/challenges/{cast.draft.slug}")).json()["phase"] == "draft"


async def test_the_api_refuses_others_with_403_and_visitors_with_401(cast, browser, db):
    url = f"/api/v1/challenges/{cast.public.slug}"
    for person, status in (
        (cast.user, 403),
        (cast.participant, 403),
        (cast.other_founder, 403),
        (cast.admin, 403),
        (None, 401),
    ):
        client = await browser(person)
        assert (await send(client, "PATCH", url, {"title": "Hacked"})).status_code == status
        assert (
            await send(
                client,
                "POST",
                f"{url}/rounds",
                {"name": "x", "opens_at": "2040-01-01T00:00:00Z", "deadline": "2040-02-01T00:00:00Z"},
            )
        ).status_code == status
    assert (await reload(db, cast.public)).title == "Public Heart Challenge"
    assert len(list(await db.scalars(select(Round).where(Round.challenge_id == cast.public.id)))) == 1


async def test_an_api_draft_is_complete_with_founders_of_several_organizations(db, browser):
    challenge = await make_challenge(db, published=False)
    first, second = await make_founder(db, challenge), await make_founder(db, challenge)
    for person in (first, second):
        response = await (await browser(person)).get(f"/api/v1/challenges/{challenge.slug}")
        assert len(response.json()["organizers"]) == 2
    assert (await db.get(Challenge, challenge.id)).published_at is None
