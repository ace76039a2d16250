"""Approval modes: manual, verified organizations, an e-mail domain list, everyone; audit and founders' notice."""

from __future__ import annotations

import pytest

from app.challenges.eligibility import domain_matches
from tests.challenges.registration_support import (
    as_user,
    audit_entries,
    make_cast,
    notifications_of,
    registration_form,
    registration_of,
)
from tests.factories import make_challenge, make_founder, make_organization, make_registration, make_user


async def register(client, db, challenge, person, **fields):
    await as_user(client, db, person)
    response = await client.submit(
        f"/challenges/{challenge.slug}/register", registration_form(challenge, **fields)
    )
    assert response.status_code == 303, response.text
    return await registration_of(db, challenge, person)


async def test_manual_approval_leaves_the_registration_pending(client, db):
    challenge = await make_challenge(db, approval_mode="manual")
    registration = await register(client, db, challenge, await make_user(db))
    assert (registration.status, registration.decided_at) == ("pending", None)


async def test_everyone_is_approved_at_once_and_the_rule_is_audited(client, db):
    challenge = await make_challenge(db, approval_mode="everyone")
    registration = await register(client, db, challenge, await make_user(db))
    assert registration.status == "approved"
    assert registration.decided_at is not None and registration.decided_by_id is None
    [entry] = await audit_entries(db, "registration:approve", registration.id)
    assert entry.actor_id is None
    assert entry.details["automatic"] is True and entry.details["rule"] == "everyone"


async def test_a_verified_organization_is_approved_at_once(client, db):
    challenge = await make_challenge(db, approval_mode="verified")
    person = await make_user(db)
    verified = await make_organization(db, verified=True, owner=person)
    registration = await register(client, db, challenge, person, organization=str(verified.id))
    assert registration.status == "approved"
    [entry] = await audit_entries(db, "registration:approve", registration.id)
    assert entry.details["rule"] == "verified_organization"


async def test_an_unverified_organization_or_none_waits_for_the_founders(client, db):
    challenge = await make_challenge(db, approval_mode="verified")
    person, alone = await make_user(db), await make_user(db)
    unverified = await make_organization(db, verified=False, owner=person)
    assert (
        await register(client, db, challenge, person, organization=str(unverified.id))
    ).status == "pending"
    assert (await register(client, db, challenge, alone)).status == "pending"
    assert await audit_entries(db, "registration:approve") == []


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ana@chu-nord.fr", "approved"),
        ("ana@cardio.chu-nord.fr", "approved"),
        ("Ana@CHU-Nord.FR", "approved"),
        ("ana@evil-chu-nord.fr", "pending"),
        ("ana@chu-nord.fr.evil.example", "pending"),
        ("ana@example.org", "pending"),
    ],
)
async def test_an_address_in_the_domain_list_is_approved_at_once(client, db, email, expected):
    challenge = await make_challenge(
        db, approval_mode="domain", approval_domains=["CHU-nord.fr", "inserm.fr"]
    )
    registration = await register(client, db, challenge, await make_user(db, email=email))
    assert registration.status == expected


async def test_an_unconfirmed_address_proves_nothing_about_its_domain(client, db):
    challenge = await make_challenge(db, approval_mode="domain", approval_domains=["chu-nord.fr"])
    person = await make_user(db, email="someone@chu-nord.fr", verified=False)
    assert (await register(client, db, challenge, person)).status == "pending"


def test_domain_matching_is_exact_or_subdomain_and_ignores_case_and_at_signs():
    assert domain_matches("a@lab.inserm.fr", ["@Inserm.FR"])
    assert domain_matches("a@inserm.fr", [" inserm.fr "])
    assert not domain_matches("a@notinserm.fr", ["inserm.fr"])
    assert not domain_matches("a@inserm.fr", [""])
    assert not domain_matches("a@inserm.fr", [])


# --- founders hear about what waits for them --------------------------------------------------------------


async def test_a_pending_registration_notifies_each_founder_once(client, db):
    challenge = await make_challenge(db, title="Heart Data", approval_mode="manual")
    first, second = await make_founder(db, challenge), await make_founder(db, challenge)
    person = await make_user(db, name="Paula Participant")
    registration = await register(client, db, challenge, person)
    for founder in (first, second):
        [notice] = await notifications_of(db, founder, "registration_pending")
        assert notice.params["person"] == "Paula Participant" and notice.params["challenge"] == "Heart Data"
        assert notice.link == f"/challenges/{challenge.slug}/registrations"
    # Withdrawn, then renewed: still pending, but the founders were already told about this registration.
    await as_user(client, db, person)
    assert (await client.submit(f"/challenges/{challenge.slug}/registration/withdraw")).status_code == 303
    assert (await register(client, db, challenge, person)).id == registration.id
    assert len(await notifications_of(db, first, "registration_pending")) == 1


async def test_an_automatic_approval_does_not_bother_the_founders(client, db):
    challenge = await make_challenge(db, approval_mode="everyone")
    founder = await make_founder(db, challenge)
    await register(client, db, challenge, await make_user(db))
    assert await notifications_of(db, founder) == []


async def test_the_pending_notice_renders_in_french():
    from app.notifications.kinds import render
    from app.platform.i18n import in_locale

    with in_locale("fr"):
        rendered = render("registration_pending", {"person": "Paula", "challenge": "Heart Data"})
    assert rendered.title == "Nouvelle inscription de Paula à Heart Data"


async def test_a_renewed_registration_goes_through_the_approval_mode_again(client, db):
    cast = await make_cast(db, approval_mode="everyone")
    await make_registration(db, cast.challenge, cast.participant, status="withdrawn")
    registration = await register(client, db, cast.challenge, cast.participant)
    assert registration.status == "approved"
    assert len(await audit_entries(db, "registration:create", registration.id)) == 1
