"""A person's own registration: what they see, withdrawing, and accepting rules changed since."""

from __future__ import annotations

import datetime as dt

import pytest

from app.db import utcnow
from tests.challenges.registration_support import as_user, audit_entries, make_cast, registration_of
from tests.conftest import text_of
from tests.factories import make_registration


@pytest.fixture
async def cast(db):
    return await make_cast(db)


def mine(challenge) -> str:
    return f"/challenges/{challenge.slug}/registration"


async def test_the_page_shows_status_answers_organization_and_rules_version(cast, client, db):
    await make_registration(
        db,
        cast.challenge,
        cast.participant,
        status="pending",
        organization_id=cast.startup.id,
        answers={"pitch": "Hearts."},
    )
    await as_user(client, db, cast.participant)
    response = await client.get(mine(cast.challenge))
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Status Pending" in page
    assert "Your pitch in two sentences Hearts." in page
    assert "Website No answer" in page
    assert "Acme Health (Startup, France)" in page
    assert "Version 1, on" in page
    assert "Withdraw my registration" in page
    assert "The rules have changed" not in page


async def test_a_rejection_shows_the_founders_reason(cast, client, db):
    await make_registration(
        db, cast.challenge, cast.participant, status="rejected", reason="Outside our scope."
    )
    await as_user(client, db, cast.participant)
    page = text_of((await client.get(mine(cast.challenge))).text)
    assert "Status Not accepted" in page
    assert "The founders’ reason Outside our scope." in page
    assert "Withdraw my registration" not in page


async def test_someone_without_a_registration_is_refused(cast, client, db):
    await as_user(client, db, cast.participant)
    assert (await client.get(mine(cast.challenge))).status_code == 403


# --- withdrawing ------------------------------------------------------------------------------------------


async def test_withdrawing_is_recorded_and_audited(cast, client, db):
    await as_user(client, db, cast.registered)
    response = await client.submit(f"{mine(cast.challenge)}/withdraw")
    assert response.status_code == 303
    registration = await registration_of(db, cast.challenge, cast.registered)
    assert registration.status == "withdrawn"
    [entry] = await audit_entries(db, "registration:withdraw", registration.id)
    assert entry.actor_id == cast.registered.id and entry.details["previous_status"] == "approved"
    page = text_of((await client.get(mine(cast.challenge))).text)
    assert "Status Withdrawn" in page and "Register again" in page


async def test_withdrawing_twice_is_a_clear_conflict(cast, client, db):
    await as_user(client, db, cast.registered)
    await client.submit(f"{mine(cast.challenge)}/withdraw")
    response = await client.submit(f"{mine(cast.challenge)}/withdraw")
    assert response.status_code == 409
    assert "Your registration is already withdrawn." in text_of(response.text)


async def test_a_rejected_registration_cannot_be_withdrawn(cast, client, db):
    await make_registration(db, cast.challenge, cast.participant, status="rejected", reason="No.")
    await as_user(client, db, cast.participant)
    response = await client.submit(f"{mine(cast.challenge)}/withdraw")
    assert response.status_code == 409
    assert (await registration_of(db, cast.challenge, cast.participant)).status == "rejected"


async def test_withdrawing_is_refused_once_the_challenge_has_ended(cast, client, db):
    cast.challenge.results_published_at = utcnow() - dt.timedelta(days=1)
    await db.flush()
    await as_user(client, db, cast.registered)
    assert "Withdraw my registration" not in (await client.get(mine(cast.challenge))).text
    response = await client.submit(f"{mine(cast.challenge)}/withdraw")
    assert response.status_code == 409
    assert "This challenge has ended" in text_of(response.text)
    assert (await registration_of(db, cast.challenge, cast.registered)).status == "approved"


async def test_withdrawing_is_still_possible_after_registration_closed(cast, client, db):
    cast.challenge.registration_closes_at = utcnow() - dt.timedelta(minutes=1)
    await db.flush()
    await as_user(client, db, cast.registered)
    assert (await client.submit(f"{mine(cast.challenge)}/withdraw")).status_code == 303


# --- rules changed ----------------------------------------------------------------------------------------


async def test_changed_rules_are_shown_and_can_be_accepted(cast, client, db):
    cast.challenge.rules = "Be kind. Share your code."
    cast.challenge.rules_version = 2
    await db.flush()
    await as_user(client, db, cast.registered)
    page = text_of((await client.get(mine(cast.challenge))).text)
    assert "The rules have changed" in page
    assert "You accepted version 1 of the rules; they are now at version 2." in page
    assert "Share your code." in page
    response = await client.submit(f"{mine(cast.challenge)}/rules", {"accept_rules_version": "2"})
    assert response.status_code == 303
    registration = await registration_of(db, cast.challenge, cast.registered)
    assert registration.rules_version == 2
    [entry] = await audit_entries(db, "registration:accept_rules", registration.id)
    assert (entry.details["from_version"], entry.details["to_version"]) == (1, 2)
    assert "The rules have changed" not in (await client.get(mine(cast.challenge))).text


@pytest.mark.parametrize("version", ["", "1", "3", "two"])
async def test_accepting_anything_but_the_current_rules_is_refused(cast, client, db, version):
    cast.challenge.rules_version = 2
    await db.flush()
    await as_user(client, db, cast.registered)
    response = await client.submit(f"{mine(cast.challenge)}/rules", {"accept_rules_version": version})
    assert response.status_code == 422
    assert "rules" in text_of(response.text)
    assert (await registration_of(db, cast.challenge, cast.registered)).rules_version == 1
