"""The public gallery: closed until results are published, then the submitted entries of the teams that
opted in, with their files downloadable by whoever may see the challenge; the captain's choice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.platform.models import AuditEntry
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization, make_user
from tests.teams.files_support import (
    FileStore,
    add_field,
    as_user,
    counted_statements,
    file_url,
    make_cast,
    make_submission,
)


@pytest.fixture
async def cast(db):
    return await make_cast(db, rounds=2)


@pytest.fixture
async def files(db, settings):
    store = FileStore(db, settings)
    yield store
    await store.remove_all()


def gallery(challenge, query: str = "") -> str:
    return f"/challenges/{challenge.slug}/gallery{query}"


async def rounds_of(db, challenge):
    from app.challenges.models import Round

    return list(
        await db.scalars(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))
    )


async def publish_results(db, challenge):
    challenge.results_published_at = utcnow()
    await db.flush()


@pytest.fixture
async def entries(cast, files, db):
    """In the final round: the opted-in team submitted (a deck, and an older version with another deck);
    the other team submitted too but did not opt in."""
    final = (await rounds_of(db, cast.challenge))[-1]
    await add_field(db, final, "summary", "Summary", position=1)
    await add_field(db, final, "deck", "Pitch deck", kind="file", position=2)
    await add_field(db, final, "site", "Website", kind="url", position=3)
    startup = await make_organization(db, name="Cardio Start")
    cast.team.organization_id = startup.id
    cast.team.gallery_opt_in = True
    deck = await files.add(cast.team, name="Cardio deck.pdf")
    old_deck = await files.add(cast.team, name="old deck.pdf")
    await make_submission(
        db,
        cast.team,
        final,
        versions=2,
        answers={"summary": "We listen to hearts.", "site": "https://cardio.example"},
        files={"deck": str(deck.id)},
        older_files={"deck": str(old_deck.id)},
    )
    rival_deck = await files.add(cast.other_team, name="Rival deck.pdf")
    await make_submission(
        db, cast.other_team, final, answers={"summary": "Secret sauce."}, files={"deck": [str(rival_deck.id)]}
    )
    await db.flush()
    return {"final": final, "deck": deck, "old_deck": old_deck, "rival_deck": rival_deck}


# --- before results ------------------------------------------------------------------------------------


async def test_before_results_the_gallery_says_it_is_not_open_yet(cast, entries, client, db):
    await as_user(client, db, None)
    response = await client.get(gallery(cast.challenge))
    assert response.status_code == 200
    page = text_of(response.text)
    assert "The gallery opens when the results are published." in page
    assert "Cardio Crew" not in page and "We listen to hearts." not in page
    api = (await client.get(f"/api/v1/challenges/{cast.challenge.slug}/gallery")).json()
    assert api["open"] is False and api["items"] == [] and api["round"] is None


async def test_before_results_an_opted_in_file_stays_with_the_team(cast, entries, client, db):
    for person in (None, cast.outsider, cast.other_captain, cast.admin):
        await as_user(client, db, person)
        assert (await client.get(file_url(entries["deck"]))).status_code == 404


# --- after results -------------------------------------------------------------------------------------


async def test_after_results_everyone_sees_the_opted_in_entries_of_the_final_round(cast, entries, client, db):
    await publish_results(db, cast.challenge)
    await as_user(client, db, None)
    response = await client.get(gallery(cast.challenge))
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Round 2" in page
    assert "Cardio Crew Cardio Start" in page
    assert "Summary We listen to hearts." in page
    assert f'href="/files/{entries["deck"].id}"' in response.text
    assert '<a href="https://cardio.example" rel="nofollow noopener noreferrer">' in response.text
    assert "Rival Team" not in page and "Secret sauce." not in page
    assert "older version" not in page and str(entries["old_deck"].id) not in response.text


async def test_after_results_gallery_files_download_for_visitors_and_the_rest_stays_404(
    cast, entries, client, db
):
    await publish_results(db, cast.challenge)
    for person in (None, cast.outsider, cast.other_captain, cast.admin):
        await as_user(client, db, person)
        response = await client.get(file_url(entries["deck"]))
        assert response.status_code == 200
        assert response.headers["content-disposition"] == 'attachment; filename="Cardio deck.pdf"'
        # Not opted in: the rival's file stays theirs. An older version's file is not published.
        assert (await client.get(file_url(entries["rival_deck"]))).status_code == (
            200 if person == cast.other_captain else 404
        )
        assert (await client.get(file_url(entries["old_deck"]))).status_code == 404


async def test_drafts_and_withdrawn_submissions_never_appear(cast, files, client, db):
    final = (await rounds_of(db, cast.challenge))[-1]
    cast.team.gallery_opt_in = True
    cast.other_team.gallery_opt_in = True
    draft_file = await files.add(cast.team)
    await make_submission(
        db,
        cast.team,
        final,
        status="draft",
        answers={"summary": "Half done"},
        files={"deck": str(draft_file.id)},
    )
    withdrawn_file = await files.add(cast.other_team)
    await make_submission(
        db,
        cast.other_team,
        final,
        status="withdrawn",
        answers={"summary": "Changed our mind"},
        files={"deck": str(withdrawn_file.id)},
    )
    await publish_results(db, cast.challenge)
    await as_user(client, db, None)
    page = text_of((await client.get(gallery(cast.challenge))).text)
    assert "No team has chosen to show its work for this round." in page
    assert "Half done" not in page and "Changed our mind" not in page
    assert (await client.get(file_url(draft_file))).status_code == 404
    assert (await client.get(file_url(withdrawn_file))).status_code == 404


async def test_each_round_has_its_gallery(cast, entries, client, db):
    first = (await rounds_of(db, cast.challenge))[0]
    await add_field(db, first, "idea", "Idea")
    await make_submission(db, cast.team, first, answers={"idea": "First idea."})
    await publish_results(db, cast.challenge)
    await as_user(client, db, None)
    page = text_of((await client.get(gallery(cast.challenge, f"?round={first.id}"))).text)
    assert "Idea First idea." in page and "We listen to hearts." not in page
    other_round = (await rounds_of(db, cast.other_challenge))[0]
    assert (await client.get(gallery(cast.challenge, f"?round={other_round.id}"))).status_code == 404
    assert (await client.get(gallery(cast.challenge, "?round=nonsense"))).status_code == 400


async def test_opting_out_takes_the_entry_and_its_files_out_at_once(cast, entries, client, db):
    await publish_results(db, cast.challenge)
    await as_user(client, db, cast.captain)
    response = await client.submit(f"/teams/{cast.team.id}/gallery", {"opt_in": "0"})
    assert response.status_code == 303
    await as_user(client, db, None)
    assert "Cardio Crew" not in text_of((await client.get(gallery(cast.challenge))).text)
    assert (await client.get(file_url(entries["deck"]))).status_code == 404


async def test_an_invitation_only_challenge_keeps_its_gallery_to_those_who_see_it(db, client, files):
    challenge = await make_challenge(db, visibility="invitation", results_published_at=utcnow())
    await as_user(client, db, None)
    assert (await client.get(gallery(challenge))).status_code == 404
    await as_user(client, db, await make_user(db))
    assert (await client.get(gallery(challenge))).status_code == 404
    assert (await client.get(f"/api/v1/challenges/{challenge.slug}/gallery")).status_code == 404


async def test_the_api_lists_entries_with_fields_answers_and_file_links(cast, entries, client, db):
    await publish_results(db, cast.challenge)
    await as_user(client, db, None)
    body = (await client.get(f"/api/v1/challenges/{cast.challenge.slug}/gallery")).json()
    assert body["open"] is True and body["round"]["name"] == "Round 2"
    assert [field["key"] for field in body["fields"]] == ["summary", "deck", "site"]
    assert body["total"] == 1
    (item,) = body["items"]
    assert item["team"] == "Cardio Crew" and item["organization"] == "Cardio Start"
    assert item["answers"]["summary"] == "We listen to hearts."
    (deck,) = item["files"]["deck"]
    assert deck["name"] == "Cardio deck.pdf" and deck["sha256"] == entries["deck"].sha256
    assert (await client.get(deck["url"])).status_code == 200


async def test_the_gallery_costs_the_same_queries_for_2_and_25_entries(cast, files, client, db, connection):
    from tests.factories import make_team

    small = cast.other_challenge
    for challenge, count in ((small, 2), (cast.challenge, 25)):
        final = (await rounds_of(db, challenge))[-1]
        await add_field(db, final, "deck", "Deck", kind="file")
        for index in range(count):
            team = await make_team(db, challenge, await make_user(db), name=f"Team {index:02d}")
            team.gallery_opt_in = True
            deck = await files.add(team)
            await make_submission(db, team, final, answers={"summary": "x"}, files={"deck": str(deck.id)})
        challenge.results_published_at = utcnow()
    await db.flush()
    await as_user(client, db, None)
    counts = {}
    for challenge in (small, cast.challenge):
        shown = []

        async def get(challenge=challenge, shown=shown):
            response = await client.get(gallery(challenge))
            assert response.status_code == 200
            shown.append(response.text.count('class="gallery-entry"'))

        counts[challenge.slug] = (await counted_statements(connection, get), shown[0])
    assert counts[small.slug][1] == 2 and counts[cast.challenge.slug][1] == 20
    assert counts[small.slug][0] == counts[cast.challenge.slug][0]


# --- the captain's choice ------------------------------------------------------------------------------


async def test_the_captain_opts_in_and_it_is_audited(cast, client, db):
    await as_user(client, db, cast.captain)
    response = await client.submit(f"/teams/{cast.team.id}/gallery", {"opt_in": "1"})
    assert response.status_code == 303 and response.headers["location"] == f"/teams/{cast.team.id}"
    await db.refresh(cast.team)
    assert cast.team.gallery_opt_in is True
    entry = await db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "team:gallery_opt_in", AuditEntry.object_id == str(cast.team.id)
        )
    )
    assert entry is not None and entry.details["opt_in"] is True and entry.actor_id == cast.captain.id


async def test_with_htmx_the_choice_answers_with_the_refreshed_form(cast, client, db):
    await as_user(client, db, cast.captain)
    response = await client.htmx("POST", f"/teams/{cast.team.id}/gallery", data={"opt_in": "1"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="gallery_opt_in"')
    assert "Keep our work out of the gallery" in response.text


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("member", 403),
        ("founder", 403),
        ("other_team", 404),
        ("judge", 404),
        ("outsider", 404),
        ("admin", 404),
    ],
)
async def test_only_the_captain_chooses(cast, client, db, role, status):
    await as_user(client, db, cast.person(role))
    response = await client.submit(f"/teams/{cast.team.id}/gallery", {"opt_in": "1"})
    assert response.status_code == status
    await db.refresh(cast.team)
    assert cast.team.gallery_opt_in is False


async def test_a_visitor_is_sent_to_sign_in_and_an_unknown_team_is_404(cast, client, db):
    await as_user(client, db, None)
    response = await client.submit(f"/teams/{cast.team.id}/gallery", {"opt_in": "1"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await as_user(client, db, cast.captain)
    import uuid

    assert (await client.submit(f"/teams/{uuid.uuid4()}/gallery", {"opt_in": "1"})).status_code == 404


@pytest.mark.parametrize("shape", ["id", "list", "objects"])
async def test_a_gallery_file_is_found_whatever_shape_the_version_gives_it(cast, files, client, db, shape):
    final = (await rounds_of(db, cast.challenge))[-1]
    await add_field(db, final, "deck", "Deck", kind="file")
    cast.team.gallery_opt_in = True
    deck = await files.add(cast.team, name="deck.pdf")
    value = {
        "id": str(deck.id),
        "list": [str(deck.id)],
        "objects": [{"id": str(deck.id), "name": "deck.pdf"}],
    }[shape]
    await make_submission(db, cast.team, final, files={"deck": value})
    await publish_results(db, cast.challenge)
    await as_user(client, db, None)
    assert f'href="/files/{deck.id}"' in (await client.get(gallery(cast.challenge))).text
    assert (await client.get(file_url(deck))).status_code == 200
