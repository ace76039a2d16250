"""Founders review registrations: the list, filters, decisions one by one and in bulk, notices and audit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from tests.challenges.registration_support import (
    as_user,
    audit_entries,
    make_cast,
    notifications_of,
    registration_of,
)
from tests.conftest import text_of
from tests.factories import make_organization, make_registration, make_user


@pytest.fixture
async def cast(db):
    return await make_cast(db)


def review(challenge, query: str = "") -> str:
    return f"/challenges/{challenge.slug}/registrations{query}"


async def pending(db, challenge, name: str, **fields):
    person = await make_user(db, name=name)
    return person, await make_registration(db, challenge, person, status="pending", **fields)


def names_in_order(html: str) -> list[str]:
    return re.findall(
        r'<tr id="registration-[^"]+">\s*(?:<td>.*?</td>\s*)?<td>([^<]+)<br>', html, flags=re.DOTALL
    )


# --- the list ---------------------------------------------------------------------------------------------


async def test_founders_see_pending_first_with_answers_person_and_organization(cast, client, db):
    lab = await make_organization(db, name="Lyon Lab", kind="academic_lab", country="BE", verified=True)
    await pending(
        db, cast.challenge, "Pierre Pending", organization_id=lab.id, answers={"pitch": "Lungs and hearts."}
    )
    await as_user(client, db, cast.founder)
    response = await client.get(review(cast.challenge))
    assert response.status_code == 200
    assert names_in_order(response.text) == ["Pierre Pending", "Rita Registered"]
    page = text_of(response.text)
    assert "Lyon Lab Verified Academic lab · Belgium" in page
    assert "Your pitch in two sentences Lungs and hearts." in page
    assert "All (2)" in page and "Pending (1)" in page and "Approved (1)" in page
    assert "Apply to the selected registrations" in page


async def test_the_list_filters_by_status(cast, client, db):
    await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.founder)
    response = await client.get(review(cast.challenge, "?status=approved"))
    assert names_in_order(response.text) == ["Rita Registered"]
    response = await client.get(review(cast.challenge, "?status=withdrawn"))
    assert "No registration with this status." in text_of(response.text)


async def test_an_htmx_filter_answers_with_the_list_only(cast, client, db):
    await as_user(client, db, cast.founder)
    response = await client.htmx("GET", review(cast.challenge, "?status=approved"))
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="registration_list">')
    assert "<html" not in response.text


async def test_an_unknown_status_filter_is_bad_input(cast, client, db):
    await as_user(client, db, cast.founder)
    assert (await client.get(review(cast.challenge, "?status=everything"))).status_code == 400
    assert (await client.get(review(cast.challenge, "?page=0"))).status_code == 400


async def test_admins_read_the_list_without_the_means_to_decide(cast, client, db):
    await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.admin)
    response = await client.get(review(cast.challenge))
    assert response.status_code == 200
    assert "Pierre Pending" in response.text
    assert "Apply to the selected registrations" not in response.text
    assert 'name="decision"' not in response.text


async def counted_statements(connection, action) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sync = connection.sync_connection
    event.listen(sync, "before_cursor_execute", count)
    try:
        await action()
    finally:
        event.remove(sync, "before_cursor_execute", count)
    return len(statements)


async def test_the_review_page_costs_the_same_queries_for_5_and_50_registrations(
    cast, client, db, connection
):
    few = cast.other_challenge
    many = cast.challenge
    founder_of_few = await make_user(db)
    organization = await make_organization(db, owner=founder_of_few, members=(cast.founder,))
    from app.challenges.models import ChallengeOrganizer

    db.add(ChallengeOrganizer(challenge_id=few.id, organization_id=organization.id))
    for index in range(5):
        await pending(db, few, f"Few {index}", organization_id=organization.id)
    for index in range(49):
        await pending(db, many, f"Many {index}", organization_id=organization.id)
    await as_user(client, db, cast.founder)
    await client.get(review(few))  # the session is touched once; later requests read only
    results = {}

    async def get(challenge):
        response = await client.get(review(challenge))
        assert response.status_code == 200
        results[challenge.slug] = response.text.count('<tr id="registration-')

    small = await counted_statements(connection, lambda: get(few))
    large = await counted_statements(connection, lambda: get(many))
    assert (results[few.slug], results[many.slug]) == (5, 50)
    assert small == large
    assert 0 < large <= 10


# --- deciding ---------------------------------------------------------------------------------------------


async def test_approving_one_notifies_the_person_and_is_audited(cast, client, db):
    person, registration = await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.founder)
    response = await client.submit(
        f"{review(cast.challenge)}/{registration.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 303
    decided = await registration_of(db, cast.challenge, person)
    assert (decided.status, decided.decided_by_id) == ("approved", cast.founder.id)
    [notice] = await notifications_of(db, person, "registration_approved")
    assert notice.params["challenge"] == "Heart Data"
    assert notice.link == f"/challenges/{cast.challenge.slug}/registration"
    [entry] = await audit_entries(db, "registration:approve", registration.id)
    assert entry.actor_id == cast.founder.id


async def test_rejecting_needs_a_reason_that_the_person_receives(cast, client, db):
    person, registration = await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.founder)
    url = f"{review(cast.challenge)}/{registration.id}/decision"
    response = await client.submit(url, {"decision": "reject", "reason": "  "})
    assert response.status_code == 422
    assert "Give the reason for the rejection" in text_of(response.text)
    assert (await registration_of(db, cast.challenge, person)).status == "pending"
    response = await client.submit(url, {"decision": "reject", "reason": "Outside our scope."})
    assert response.status_code == 303
    decided = await registration_of(db, cast.challenge, person)
    assert (decided.status, decided.reason) == ("rejected", "Outside our scope.")
    [notice] = await notifications_of(db, person, "registration_rejected")
    assert notice.params["reason"] == "Outside our scope."
    [entry] = await audit_entries(db, "registration:reject", registration.id)
    assert entry.actor_id == cast.founder.id and entry.details["reason"] == "Outside our scope."


async def test_bulk_approval_decides_every_selected_registration(cast, client, db):
    people = [await pending(db, cast.challenge, f"Person {index}") for index in range(3)]
    await as_user(client, db, cast.founder)
    ids = [str(registration.id) for _person, registration in people[:2]]
    response = await client.submit(
        f"{review(cast.challenge)}/decisions",
        {"ids": ids, "decision": "approve", "reason": "", "status": "pending"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == review(cast.challenge, "?status=pending")
    statuses = [
        (await registration_of(db, cast.challenge, person)).status for person, _registration in people
    ]
    assert statuses == ["approved", "approved", "pending"]
    assert len(await audit_entries(db, "registration:approve")) == 2


async def test_bulk_rejection_with_htmx_answers_with_the_updated_list_and_a_summary(cast, client, db):
    people = [await pending(db, cast.challenge, f"Person {index}") for index in range(2)]
    await as_user(client, db, cast.founder)
    ids = [str(registration.id) for _person, registration in people]
    response = await client.htmx(
        "POST",
        f"{review(cast.challenge)}/decisions",
        data={"ids": ids, "decision": "reject", "reason": "Too late."},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="registration_list">')
    assert "Rejected: 2." in text_of(response.text)
    assert "Pending (0)" in text_of(response.text) and "Not accepted (2)" in text_of(response.text)
    for person, _registration in people:
        [notice] = await notifications_of(db, person, "registration_rejected")
        assert notice.params["reason"] == "Too late."


async def test_bulk_rejection_without_reason_is_refused_beside_the_bulk_field(cast, client, db):
    _person, registration = await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.founder)
    response = await client.htmx(
        "POST",
        f"{review(cast.challenge)}/decisions",
        data={"ids": [str(registration.id)], "decision": "reject"},
    )
    assert response.status_code == 422
    assert 'id="bulk-error"' in response.text
    assert "Give the reason for the rejection" in text_of(response.text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "approve"}, "Select at least one registration."),
        ({"ids": ["not-an-id"], "decision": "approve"}, "Select registrations from the list."),
        ({"ids": ["{id}"], "decision": "maybe"}, "Choose to approve or to reject."),
        ({"ids": ["{id}"], "decision": "reject", "reason": "x" * 2001}, "Use at most 2000 characters."),
        ({"ids": ["{other}"], "decision": "approve"}, "These registrations are not part of this challenge"),
    ],
    ids=["nothing-selected", "bad-id", "bad-decision", "long-reason", "other-challenge"],
)
async def test_bad_bulk_input_is_refused_and_changes_nothing(cast, client, db, data, message):
    person, registration = await pending(db, cast.challenge, "Pierre Pending")
    elsewhere = await make_registration(db, cast.other_challenge, await make_user(db), status="pending")
    data = {
        key: [item.format(id=registration.id, other=elsewhere.id) for item in value]
        if isinstance(value, list)
        else value
        for key, value in data.items()
    }
    await as_user(client, db, cast.founder)
    response = await client.submit(f"{review(cast.challenge)}/decisions", data)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert (await registration_of(db, cast.challenge, person)).status == "pending"
    assert await audit_entries(db, "registration:approve") == []


async def test_deciding_again_changes_nothing_and_notifies_nobody(cast, client, db):
    person, registration = await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.founder)
    url = f"{review(cast.challenge)}/{registration.id}/decision"
    await client.submit(url, {"decision": "approve"})
    response = await client.htmx("POST", url, data={"decision": "approve"})
    assert response.status_code == 200
    assert "Left as they were, already decided or withdrawn: 1." in text_of(response.text)
    response = await client.htmx("POST", url, data={"decision": "reject", "reason": "Changed my mind"})
    assert "Left as they were" in text_of(response.text)
    assert (await registration_of(db, cast.challenge, person)).status == "approved"
    assert len(await notifications_of(db, person)) == 1


async def test_a_withdrawn_registration_cannot_be_decided(cast, client, db):
    person = await make_user(db)
    registration = await make_registration(db, cast.challenge, person, status="withdrawn")
    await as_user(client, db, cast.founder)
    response = await client.htmx(
        "POST", f"{review(cast.challenge)}/{registration.id}/decision", data={"decision": "approve"}
    )
    assert "Left as they were" in text_of(response.text)
    assert (await registration_of(db, cast.challenge, person)).status == "withdrawn"
    assert await notifications_of(db, person) == []


async def test_founders_of_another_challenge_cannot_decide(cast, client, db):
    person, registration = await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.other_founder)
    response = await client.submit(
        f"{review(cast.challenge)}/{registration.id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert (await registration_of(db, cast.challenge, person)).status == "pending"


@pytest.mark.parametrize(
    ("data", "message"),
    [({}, "Choose to approve or to reject."), ({"decision": "reject"}, "Give the reason for the rejection")],
    ids=["no-decision", "reject-without-reason"],
)
async def test_a_bad_decision_on_one_row_is_refused_beside_that_row(cast, client, db, data, message):
    person, registration = await pending(db, cast.challenge, "Pierre Pending")
    await as_user(client, db, cast.founder)
    response = await client.htmx("POST", f"{review(cast.challenge)}/{registration.id}/decision", data=data)
    assert response.status_code == 422
    assert f'id="reason-{registration.id}-error"' in response.text
    assert message in text_of(response.text)
    assert (await registration_of(db, cast.challenge, person)).status == "pending"


async def test_decision_notices_read_in_the_persons_language():
    from app.notifications.kinds import render
    from app.platform.i18n import in_locale

    with in_locale("fr"):
        rejected = render("registration_rejected", {"challenge": "Heart Data", "reason": "Hors sujet."})
        approved = render("registration_approved", {"challenge": "Heart Data"})
    assert rejected.title == "Votre inscription à Heart Data n’a pas été retenue"
    assert rejected.body == "La raison donnée par les fondateurs : Hors sujet."
    assert approved.title == "Votre inscription à Heart Data est acceptée"
