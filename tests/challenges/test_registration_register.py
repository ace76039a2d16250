"""Registering for a challenge through its page: rules, questions, organization, eligibility, the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from app.db import utcnow
from tests.challenges.registration_support import (
    as_user,
    audit_entries,
    count_registrations,
    make_cast,
    registration_form,
    registration_of,
)
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization, make_registration, make_user


@pytest.fixture
async def cast(db):
    return await make_cast(db)


def register_url(challenge) -> str:
    return f"/challenges/{challenge.slug}/register"


# --- the page -------------------------------------------------------------------------------------------


async def test_the_page_shows_the_rules_their_version_the_questions_and_the_persons_organizations(
    cast, client, db
):
    await as_user(client, db, cast.participant)
    response = await client.get(register_url(cast.challenge))
    assert response.status_code == 200
    assert "<strong>kind</strong>" in response.text
    page = text_of(response.text)
    assert "Rules (version 1)" in page
    assert "I accept the rules (version 1)" in page
    assert "Your pitch in two sentences (required)" in page
    assert "Website" in page
    assert "Acme Health (Startup, France)" in page
    assert "None: I register as an individual" in page


async def test_the_page_is_in_french_for_a_french_reader(cast, client, db):
    cast.participant.locale = "fr"
    await as_user(client, db, cast.participant)
    page = text_of((await client.get(register_url(cast.challenge))).text)
    assert "J’accepte le règlement (version 1)" in page
    assert "S’inscrire" in page


async def test_someone_already_registered_is_sent_to_their_registration(cast, client, db):
    await as_user(client, db, cast.registered)
    response = await client.get(register_url(cast.challenge))
    assert response.status_code == 303
    assert response.headers["location"] == f"/challenges/{cast.challenge.slug}/registration"


async def test_signed_out_people_are_sent_to_sign_in_and_back(cast, client):
    response = await client.get(register_url(cast.challenge))
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/challenges/{cast.challenge.slug}/register"


# --- registering ----------------------------------------------------------------------------------------


async def test_registering_records_the_rules_version_answers_and_organization(cast, client, db):
    await as_user(client, db, cast.participant)
    before = utcnow()
    response = await client.submit(
        register_url(cast.challenge),
        registration_form(
            cast.challenge, organization=str(cast.startup.id), **{"answer.site": " https://acme.example "}
        ),
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/challenges/{cast.challenge.slug}/registration"
    registration = await registration_of(db, cast.challenge, cast.participant)
    assert registration.status == "pending"
    assert registration.rules_version == 1
    assert before <= registration.rules_accepted_at <= utcnow()
    assert registration.organization_id == cast.startup.id
    assert registration.answers == {"pitch": "We predict heart failure.", "site": "https://acme.example"}
    [entry] = await audit_entries(db, "registration:create", registration.id)
    assert entry.actor_id == cast.participant.id
    assert entry.details["rules_version"] == 1 and entry.details["status"] == "pending"


async def test_without_accepting_the_rules_nothing_is_registered(cast, client, db):
    await as_user(client, db, cast.participant)
    form = registration_form(cast.challenge)
    del form["accept_rules_version"]
    response = await client.submit(register_url(cast.challenge), form)
    assert response.status_code == 422
    assert "Accept the rules to register." in text_of(response.text)
    assert await registration_of(db, cast.challenge, cast.participant) is None


async def test_accepting_an_older_version_of_the_rules_does_not_count(cast, client, db):
    cast.challenge.rules_version = 3
    await db.flush()
    await as_user(client, db, cast.participant)
    response = await client.submit(
        register_url(cast.challenge), registration_form(cast.challenge, accept_rules_version="2")
    )
    assert response.status_code == 422
    assert "read version 3 and accept it" in text_of(response.text)
    assert await registration_of(db, cast.challenge, cast.participant) is None


async def test_a_required_question_must_be_answered_and_answers_are_kept_on_the_form(cast, client, db):
    await as_user(client, db, cast.participant)
    response = await client.submit(
        register_url(cast.challenge),
        registration_form(cast.challenge, **{"answer.pitch": "   ", "answer.site": "kept"}),
    )
    assert response.status_code == 422
    assert "Answer this question." in text_of(response.text)
    assert ">kept</textarea>" in response.text
    assert await registration_of(db, cast.challenge, cast.participant) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"answer.pitch": "x" * 5001}, "Use at most 5000 characters."),
        ({"answer.unknown": "?"}, "These are not questions of this challenge: unknown."),
        ({"organization": "not-an-id"}, "Choose one of your organizations."),
        ({"accept_rules_version": "one"}, "Accept the rules to register."),
    ],
    ids=["too-long", "unknown-question", "bad-organization-id", "bad-version"],
)
async def test_bad_input_is_refused_beside_the_field(cast, client, db, fields, message):
    await as_user(client, db, cast.participant)
    response = await client.submit(register_url(cast.challenge), registration_form(cast.challenge, **fields))
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert await registration_of(db, cast.challenge, cast.participant) is None


async def test_nul_characters_in_answers_are_dropped_rather_than_failing(cast, client, db):
    await as_user(client, db, cast.participant)
    response = await client.submit(
        register_url(cast.challenge), registration_form(cast.challenge, **{"answer.pitch": "a\x00b"})
    )
    assert response.status_code == 303
    assert (await registration_of(db, cast.challenge, cast.participant)).answers["pitch"] == "ab"


async def test_someone_elses_organization_cannot_be_chosen(cast, client, db):
    other = await make_organization(db, name="Not Mine", owner=cast.registered)
    await as_user(client, db, cast.participant)
    response = await client.submit(
        register_url(cast.challenge), registration_form(cast.challenge, organization=str(other.id))
    )
    assert response.status_code == 422
    assert "Choose one of your organizations." in text_of(response.text)


# --- eligibility ------------------------------------------------------------------------------------------


async def test_an_organization_of_a_kind_not_allowed_is_refused_with_the_reason(client, db):
    challenge = await make_challenge(db, allowed_kinds=["startup", "academic_lab"])
    person = await make_user(db)
    company = await make_organization(db, name="Acme", kind="company", owner=person)
    await as_user(client, db, person)
    response = await client.submit(
        register_url(challenge), registration_form(challenge, organization=str(company.id))
    )
    assert response.status_code == 422
    assert "This challenge is open to startups and academic labs only; Acme is a company." in text_of(
        response.text
    )
    assert await registration_of(db, challenge, person) is None


async def test_the_kind_refusal_reads_in_french_too(client, db):
    challenge = await make_challenge(db, allowed_kinds=["startup", "academic_lab"])
    person = await make_user(db, locale="fr")
    company = await make_organization(db, name="Acme", kind="company", owner=person)
    await as_user(client, db, person)
    response = await client.submit(
        register_url(challenge), registration_form(challenge, organization=str(company.id))
    )
    assert response.status_code == 422
    assert (
        "Ce défi est ouvert uniquement aux startups et laboratoires académiques ; Acme est une entreprise."
        in text_of(response.text)
    )


async def test_an_organization_from_a_country_not_allowed_is_refused_with_the_reason(client, db):
    challenge = await make_challenge(db, allowed_countries=["FR", "BE"])
    person = await make_user(db)
    lab = await make_organization(db, name="Berlin Lab", kind="academic_lab", country="DE", owner=person)
    await as_user(client, db, person)
    response = await client.submit(
        register_url(challenge), registration_form(challenge, organization=str(lab.id))
    )
    assert response.status_code == 422
    assert (
        "This challenge is open to organizations based in France or Belgium only; Berlin Lab is based in Germany."
        in text_of(response.text)
    )


async def test_an_eligible_organization_is_accepted(client, db):
    challenge = await make_challenge(db, allowed_kinds=["startup"], allowed_countries=["FR"])
    person = await make_user(db)
    startup = await make_organization(db, kind="startup", country="FR", owner=person)
    await as_user(client, db, person)
    response = await client.submit(
        register_url(challenge), registration_form(challenge, organization=str(startup.id))
    )
    assert response.status_code == 303
    assert (await registration_of(db, challenge, person)).organization_id == startup.id


async def test_with_a_restriction_registering_as_an_individual_is_refused(client, db):
    challenge = await make_challenge(db, allowed_countries=["FR"])
    person = await make_user(db)
    await as_user(client, db, person)
    page = text_of((await client.get(register_url(challenge))).text)
    assert "Open to organizations based in France." in page
    assert "None: I register as an individual" not in page
    response = await client.submit(register_url(challenge), registration_form(challenge))
    assert response.status_code == 422
    assert "choose the organization you register for" in text_of(response.text)


async def test_without_restriction_a_person_may_register_alone(cast, client, db):
    await as_user(client, db, cast.participant)
    response = await client.submit(register_url(cast.challenge), registration_form(cast.challenge))
    assert response.status_code == 303
    assert (await registration_of(db, cast.challenge, cast.participant)).organization_id is None


# --- the timeline -----------------------------------------------------------------------------------------


async def test_registration_is_accepted_one_second_before_closing_and_refused_at_the_instant(client, db):
    closes = utcnow().replace(microsecond=0) + dt.timedelta(hours=1)
    challenge = await make_challenge(db, registration_closes_at=closes)
    early, late = await make_user(db), await make_user(db)
    await as_user(client, db, early)
    with time_machine.travel(closes - dt.timedelta(seconds=1), tick=False):
        response = await client.submit(register_url(challenge), registration_form(challenge))
    assert response.status_code == 303
    await as_user(client, db, late)
    with time_machine.travel(closes, tick=False):
        response = await client.submit(register_url(challenge), registration_form(challenge))
    assert response.status_code == 403
    assert "Registration closed on" in text_of(response.text)
    assert await registration_of(db, challenge, early) is not None
    assert await registration_of(db, challenge, late) is None


async def test_the_page_says_registration_is_closed_after_the_close(client, db):
    challenge = await make_challenge(db, registration_closes_at=utcnow() - dt.timedelta(minutes=1))
    await as_user(client, db, await make_user(db))
    response = await client.get(register_url(challenge))
    assert response.status_code == 403
    assert "Registration closed on" in text_of(response.text)
    assert 'name="accept_rules_version"' not in response.text


async def test_registration_before_it_opens_is_refused(client, db):
    opens = utcnow() + dt.timedelta(days=2)
    challenge = await make_challenge(db, registration_opens_at=opens)
    await as_user(client, db, await make_user(db))
    response = await client.submit(register_url(challenge), registration_form(challenge))
    assert response.status_code == 403
    assert "Registration opens on" in text_of(response.text)


async def test_a_draft_is_invisible_and_even_an_admin_cannot_register_to_it(client, db):
    draft = await make_challenge(db, published=False)
    await as_user(client, db, await make_user(db))
    assert (await client.submit(register_url(draft), registration_form(draft))).status_code == 404
    await as_user(client, db, await make_user(db, admin=True))
    response = await client.submit(register_url(draft), registration_form(draft))
    assert response.status_code == 403
    assert "not published yet" in text_of(response.text)
    assert await count_registrations(db, draft) == 0


# --- who may register -------------------------------------------------------------------------------------


async def test_founders_cannot_register_for_their_own_challenge(cast, client, db):
    await as_user(client, db, cast.founder)
    page = await client.get(register_url(cast.challenge))
    assert page.status_code == 403
    assert "founders cannot register for their own challenge" in text_of(page.text)
    response = await client.submit(register_url(cast.challenge), registration_form(cast.challenge))
    assert response.status_code == 403
    assert await registration_of(db, cast.challenge, cast.founder) is None


async def test_registering_twice_is_refused_with_a_conflict(cast, client, db):
    await as_user(client, db, cast.registered)
    response = await client.submit(register_url(cast.challenge), registration_form(cast.challenge))
    assert response.status_code == 409
    assert "You are already registered for this challenge." in text_of(response.text)
    assert await count_registrations(db, cast.challenge) == 1


async def test_a_withdrawn_registration_can_be_renewed_in_the_same_row(cast, client, db):
    registration = await make_registration(
        db, cast.challenge, cast.participant, status="withdrawn", answers={"pitch": "old"}
    )
    await as_user(client, db, cast.participant)
    response = await client.submit(register_url(cast.challenge), registration_form(cast.challenge))
    assert response.status_code == 303
    renewed = await registration_of(db, cast.challenge, cast.participant)
    assert renewed.id == registration.id
    assert (renewed.status, renewed.answers["pitch"]) == ("pending", "We predict heart failure.")


async def test_a_rejected_person_cannot_register_again(cast, client, db):
    await make_registration(db, cast.challenge, cast.participant, status="rejected", reason="Out of scope")
    await as_user(client, db, cast.participant)
    response = await client.submit(register_url(cast.challenge), registration_form(cast.challenge))
    assert response.status_code == 403
    assert "you cannot register again" in text_of(response.text)
    assert (await registration_of(db, cast.challenge, cast.participant)).status == "rejected"


async def test_an_invitation_only_challenge_is_invisible_to_people_not_invited(client, db):
    hidden = await make_challenge(db, visibility="invitation")
    await as_user(client, db, await make_user(db))
    assert (await client.get(register_url(hidden))).status_code == 404
    assert (await client.submit(register_url(hidden), registration_form(hidden))).status_code == 404
    assert await count_registrations(db, hidden) == 0


async def test_an_invitee_can_register_to_an_invitation_only_challenge(client, db):
    from app.challenges.models import ChallengeInvitee

    hidden = await make_challenge(db, visibility="invitation")
    person = await make_user(db)
    db.add(ChallengeInvitee(challenge_id=hidden.id, user_id=person.id))
    await db.flush()
    await as_user(client, db, person)
    assert (await client.get(register_url(hidden))).status_code == 200
    assert (await client.submit(register_url(hidden), registration_form(hidden))).status_code == 303
