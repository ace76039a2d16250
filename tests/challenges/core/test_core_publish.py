"""Publishing checks the challenge is complete, says what is missing in the reader's language, and is audited."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import time_machine
from sqlalchemy import update

from app.challenges.completeness import problems
from app.challenges.models import Challenge, Round
from tests.challenges.core.helpers import audit_entries, reload, sessions_from
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder

DAY = dt.timedelta(days=1)


async def test_a_complete_draft_is_published_at_the_requests_arrival(cast, browser, db):
    client = await browser(cast.founder)
    page = await client.get(f"/challenges/{cast.draft.slug}/edit")
    assert "Everything needed is there." in text_of(page.text)
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await sessions_from(db, moment)
    with time_machine.travel(moment, tick=False):
        response = await client.submit(f"/challenges/{cast.draft.slug}/publish")
    assert response.status_code == 303 and response.headers["location"] == f"/challenges/{cast.draft.slug}"
    challenge = await reload(db, cast.draft)
    assert challenge.published_at == moment
    [entry] = await audit_entries(db, "challenge:publish", challenge.id)
    assert entry.actor_id == cast.founder.id and entry.details["slug"] == challenge.slug
    visitor = await browser()
    assert (await visitor.get(f"/challenges/{challenge.slug}")).status_code == 200


async def test_publishing_twice_is_refused(cast, browser):
    response = await (await browser(cast.founder)).submit(f"/challenges/{cast.public.slug}/publish")
    assert response.status_code == 409
    assert "This challenge is already published." in text_of(response.text)


async def test_an_empty_draft_is_refused_with_every_missing_piece(browser, db):
    draft = await make_challenge(
        db,
        published=False,
        rounds=0,
        summary="",
        description="",
        rules="",
        registration_opens_at=None,
        registration_closes_at=None,
        judging_ends_at=None,
        approval_mode="domain",
    )
    founder = await make_founder(db, draft)
    response = await (await browser(founder)).submit(f"/challenges/{draft.slug}/publish")
    assert response.status_code == 422
    page = text_of(response.text)
    for sentence in (
        "This challenge cannot be published yet.",
        "Write a summary.",
        "Write a description.",
        "Write the rules.",
        "Add at least one round.",
        "Set when registration opens and when it closes.",
        "Set when judging ends and when the results are announced.",
        "List the e-mail domains whose registrations are approved automatically.",
    ):
        assert sentence in page, sentence
    assert (await reload(db, draft)).published_at is None
    assert not await audit_entries(db, "challenge:publish", draft.id)


async def test_dates_out_of_order_are_each_explained(browser, db):
    now = dt.datetime.now(dt.UTC)
    draft = await make_challenge(
        db,
        published=False,
        rounds=2,
        now=now,
        registration_opens_at=now + 10 * DAY,
        registration_closes_at=now + 9 * DAY,
        judging_ends_at=now + 5 * DAY,
        results_at=now + 4 * DAY,
    )
    founder = await make_founder(db, draft)
    # The second round ends before the first, and without a planned rubric.
    await db.execute(
        update(Round)
        .where(Round.challenge_id == draft.id, Round.position == 2)
        .values(deadline=now + 7 * DAY, rubric_planned=False)
    )
    response = await (await browser(founder)).submit(f"/challenges/{draft.slug}/publish")
    assert response.status_code == 422
    page = text_of(response.text)
    for sentence in (
        "Registration must open before it closes.",
        "Round “Round 2” must end after the round before it.",
        "Round “Round 2”: add a rubric or mark it as planned.",
        "Judging must end after the last round’s deadline.",
        "The results cannot be announced before judging ends.",
    ):
        assert sentence in page, sentence


async def test_registration_must_close_by_the_first_rounds_deadline(browser, db):
    now = dt.datetime.now(dt.UTC)
    draft = await make_challenge(
        db, published=False, now=now, registration_closes_at=now + 60 * DAY, results_at=now + 90 * DAY
    )
    founder = await make_founder(db, draft)
    response = await (await browser(founder)).submit(f"/challenges/{draft.slug}/publish")
    assert response.status_code == 422
    assert "Registration must close no later than the first round’s deadline." in text_of(response.text)


def test_a_challenge_without_organizers_is_incomplete():
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    challenge = SimpleNamespace(
        title="T",
        summary="S",
        description="D",
        rules="R",
        registration_opens_at=now,
        registration_closes_at=now + DAY,
        judging_ends_at=now + 9 * DAY,
        results_at=now + 9 * DAY,
        team_min=1,
        team_max=3,
        approval_mode="manual",
        approval_domains=[],
    )
    rounds = [SimpleNamespace(name="R1", opens_at=now, deadline=now + 2 * DAY, rubric_planned=True)]
    assert problems(challenge, rounds, 1) == []
    assert problems(challenge, rounds, 0) == ["Add at least one organizer organization."]
    challenge.team_min = 4
    assert problems(challenge, rounds, 1) == ["The minimum team size cannot be larger than the maximum."]


async def test_refusals_speak_french_to_french_founders(browser, db):
    draft = await make_challenge(db, published=False, rules="", results_at=None)
    founder = await make_founder(db, draft, locale="fr")
    response = await (await browser(founder)).submit(f"/challenges/{draft.slug}/publish")
    assert response.status_code == 422
    page = text_of(response.text)
    assert "Ce défi ne peut pas encore être publié." in page
    assert "Rédigez le règlement." in page


async def test_the_editor_lists_what_is_missing_before_publishing(browser, db):
    draft = await make_challenge(db, published=False, summary="")
    founder = await make_founder(db, draft)
    page = text_of((await (await browser(founder)).get(f"/challenges/{draft.slug}/edit")).text)
    assert "Before publishing: Write a summary." in page


async def test_only_founders_publish(cast, browser, db):
    for person, status in (
        (cast.user, 404),
        (cast.other_founder, 404),
        (cast.admin, 403),
        (cast.participant, 404),
    ):
        response = await (await browser(person)).submit(f"/challenges/{cast.draft.slug}/publish")
        assert response.status_code == status, person.name
    assert (await reload(db, cast.draft)).published_at is None
    assert (await db.get(Challenge, cast.draft.id)).published_at is None
