"""The registration API: registering, one's own registration, withdrawing, the founders' list and decisions."""

from __future__ import annotations

import uuid

import pytest

from app.accounts.api_tokens import create_token
from app.accounts.sessions import actor_from_user
from tests.challenges.registration_support import (
    as_user,
    audit_entries,
    make_cast,
    notifications_of,
    registration_of,
    send,
)
from tests.factories import make_organization, make_registration, make_user


@pytest.fixture
async def cast(db):
    return await make_cast(db)


def mine(challenge) -> str:
    return f"/api/v1/challenges/{challenge.slug}/registration"


def listing(challenge) -> str:
    return f"/api/v1/challenges/{challenge.slug}/registrations"


def body(challenge, **fields):
    return {"accept_rules_version": challenge.rules_version, "answers": {"pitch": "Hearts."}, **fields}


# --- one's own registration -------------------------------------------------------------------------------


async def test_registering_answers_201_with_the_registration(cast, client, db):
    await as_user(client, db, cast.participant)
    response = await send(
        client, "POST", mine(cast.challenge), body(cast.challenge, organization_id=str(cast.startup.id))
    )
    assert response.status_code == 201
    assert response.headers["location"] == mine(cast.challenge)
    data = response.json()
    assert data["status"] == "pending"
    assert data["challenge"] == cast.challenge.slug
    assert data["rules_version"] == data["current_rules_version"] == 1
    assert data["answers"] == {"pitch": "Hearts."}
    assert data["organization"]["name"] == "Acme Health" and data["organization"]["verified"] is False
    shown = await send(client, "GET", mine(cast.challenge))
    assert shown.status_code == 200 and shown.json()["id"] == data["id"]


async def test_a_personal_token_registers_without_cookies_or_csrf(cast, client, db):
    _token, secret = await create_token(db, actor_from_user(cast.participant), name="script")
    client.cookies.clear()
    response = await client.post(
        mine(cast.challenge), json=body(cast.challenge), headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"answers": {"pitch": "x"}}, 400),
        ({"accept_rules_version": "one"}, 400),
        ({"accept_rules_version": 1, "answers": {"pitch": 5}}, 400),
        ({"accept_rules_version": 1, "answers": ["pitch"]}, 400),
        ({"accept_rules_version": 1, "organization_id": "nope"}, 400),
        ({"accept_rules_version": 1, "answers": {"pitch": "x"}, "status": "approved"}, 400),
        ({"accept_rules_version": 1, "answers": {"pitch": "x"}, "user_id": str(uuid.uuid4())}, 400),
        ({"accept_rules_version": 2, "answers": {"pitch": "x"}}, 422),
        ({"accept_rules_version": 1, "answers": {}}, 422),
        ({"accept_rules_version": 1, "answers": {"pitch": "x", "other": "y"}}, 422),
        ({"accept_rules_version": 1, "answers": {"pitch": "x"}, "organization_id": str(uuid.uuid4())}, 422),
    ],
    ids=[
        "no-version",
        "version-not-a-number",
        "answer-not-text",
        "answers-not-an-object",
        "organization-not-an-id",
        "status-in-body",
        "user-in-body",
        "old-rules",
        "required-answer-missing",
        "unknown-question",
        "unknown-organization",
    ],
)
async def test_bad_bodies_are_refused_as_problems_and_register_nothing(cast, client, db, payload, status):
    await as_user(client, db, cast.participant)
    response = await send(client, "POST", mine(cast.challenge), payload)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]
    assert await registration_of(db, cast.challenge, cast.participant) is None


async def test_field_problems_name_their_field(cast, client, db):
    await as_user(client, db, cast.participant)
    response = await send(client, "POST", mine(cast.challenge), {"accept_rules_version": 1, "answers": {}})
    assert response.json()["errors"] == [
        {"key": "answers.pitch", "message": "Answer this question.", "source": "body"}
    ]


async def test_an_ineligible_organization_is_refused_with_its_reason(client, db):
    from tests.factories import make_challenge

    challenge = await make_challenge(db, allowed_kinds=["startup"])
    person = await make_user(db)
    hospital = await make_organization(db, name="CHU Nord", kind="hospital", owner=person)
    await as_user(client, db, person)
    response = await send(
        client, "POST", mine(challenge), {"accept_rules_version": 1, "organization_id": str(hospital.id)}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"] == "This challenge is open to startups only; CHU Nord is a hospital."


async def test_registering_twice_is_a_clear_conflict(cast, client, db):
    await as_user(client, db, cast.registered)
    response = await send(client, "POST", mine(cast.challenge), body(cast.challenge))
    assert response.status_code == 409
    assert response.json()["detail"] == "You are already registered for this challenge."


async def test_withdrawing_through_the_api(cast, client, db):
    await as_user(client, db, cast.registered)
    response = await send(client, "DELETE", mine(cast.challenge))
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    again = await send(client, "DELETE", mine(cast.challenge))
    assert again.status_code == 409


async def test_accepting_new_rules_through_the_api(cast, client, db):
    cast.challenge.rules_version = 2
    await db.flush()
    await as_user(client, db, cast.registered)
    assert (await send(client, "GET", mine(cast.challenge))).json()["current_rules_version"] == 2
    refused = await send(client, "POST", f"{mine(cast.challenge)}/rules", {"accept_rules_version": 1})
    assert refused.status_code == 422
    assert (
        await send(client, "POST", f"{mine(cast.challenge)}/rules", {"accept_rules_version": "x"})
    ).status_code == 400
    response = await send(client, "POST", f"{mine(cast.challenge)}/rules", {"accept_rules_version": 2})
    assert response.status_code == 200
    assert response.json()["rules_version"] == 2


async def test_someone_not_registered_has_no_registration_to_show(cast, client, db):
    await as_user(client, db, cast.participant)
    response = await send(client, "GET", mine(cast.challenge))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


# --- founders ---------------------------------------------------------------------------------------------


async def test_founders_list_registrations_pending_first_and_paginated(cast, client, db):
    waiting = await make_user(db, name="Walter Waiting")
    await make_registration(db, cast.challenge, waiting, status="pending", answers={"pitch": "Please."})
    await as_user(client, db, cast.founder)
    response = await send(client, "GET", listing(cast.challenge))
    assert response.status_code == 200
    data = response.json()
    assert (data["total"], data["page"], data["pages"]) == (2, 1, 1)
    assert [item["person"]["name"] for item in data["items"]] == ["Walter Waiting", "Rita Registered"]
    assert data["items"][0]["answers"] == {"pitch": "Please."}
    only_approved = (await send(client, "GET", listing(cast.challenge) + "?status=approved")).json()
    assert [item["status"] for item in only_approved["items"]] == ["approved"]
    for query in ("?status=nope", "?page=0", "?page=abc"):
        response = await send(client, "GET", listing(cast.challenge) + query)
        assert response.status_code == 400, query
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_founders_decide_in_bulk_and_each_item_says_what_happened(cast, client, db):
    first, second, third = [await make_user(db) for _ in range(3)]
    a = await make_registration(db, cast.challenge, first, status="pending")
    b = await make_registration(db, cast.challenge, second, status="pending")
    c = await make_registration(db, cast.challenge, third, status="withdrawn")
    await as_user(client, db, cast.founder)
    response = await send(
        client,
        "POST",
        f"{listing(cast.challenge)}/decisions",
        [
            {"id": str(a.id), "decision": "approve"},
            {"id": str(b.id), "decision": "reject", "reason": "Not a health project."},
            {"id": str(c.id), "decision": "approve"},
        ],
    )
    assert response.status_code == 200
    assert [(item["result"], item["status"]) for item in response.json()] == [
        ("approved", "approved"),
        ("rejected", "rejected"),
        ("conflict", "withdrawn"),
    ]
    [rejection] = await notifications_of(db, second, "registration_rejected")
    assert rejection.params["reason"] == "Not a health project."
    assert len(await audit_entries(db, "registration:reject", b.id)) == 1


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ([], 422),
        ({"id": "x"}, 400),
        ([{"id": "not-a-uuid", "decision": "approve"}], 400),
        ([{"id": "{id}", "decision": "maybe"}], 422),
        ([{"id": "{id}", "decision": "reject"}], 422),
        ([{"id": "{id}", "decision": "approve", "status": "approved"}], 400),
        ([{"id": "{id}", "decision": "approve"}, {"id": "{id}", "decision": "reject", "reason": "x"}], 422),
        ([{"id": str(uuid.UUID(int=1)), "decision": "approve"}], 422),
    ],
    ids=[
        "empty",
        "not-a-list",
        "bad-id",
        "bad-decision",
        "reject-without-reason",
        "status-in-body",
        "twice",
        "unknown-id",
    ],
)
async def test_bad_decisions_are_refused_and_decide_nothing(cast, client, db, payload, status):
    person = await make_user(db)
    registration = await make_registration(db, cast.challenge, person, status="pending")
    if isinstance(payload, list):
        payload = [
            {k: v.format(id=registration.id) if isinstance(v, str) else v for k, v in item.items()}
            for item in payload
        ]
    await as_user(client, db, cast.founder)
    response = await send(client, "POST", f"{listing(cast.challenge)}/decisions", payload)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await registration_of(db, cast.challenge, person)).status == "pending"


async def test_a_registration_of_another_challenge_cannot_be_decided_from_this_one(cast, client, db):
    elsewhere = await make_registration(db, cast.other_challenge, await make_user(db), status="pending")
    await as_user(client, db, cast.founder)
    response = await send(
        client,
        "POST",
        f"{listing(cast.challenge)}/decisions",
        [{"id": str(elsewhere.id), "decision": "approve"}],
    )
    assert response.status_code == 422
    await as_user(client, db, cast.founder)
    response = await send(
        client,
        "POST",
        f"{listing(cast.other_challenge)}/decisions",
        [{"id": str(elsewhere.id), "decision": "approve"}],
    )
    assert response.status_code == 403


async def test_the_api_is_in_the_openapi_document(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert set(paths["/api/v1/challenges/{slug}/registration"]) == {"get", "post", "delete"}
    assert "/api/v1/challenges/{slug}/registrations/decisions" in paths
    assert "/challenges/{slug}/register" not in paths


async def test_registration_closed_and_founders_are_refused_with_their_reason(cast, client, db):
    import datetime as dt

    from app.db import utcnow

    await as_user(client, db, cast.founder)
    response = await send(client, "POST", mine(cast.challenge), body(cast.challenge))
    assert response.status_code == 403
    assert "founders cannot register" in response.json()["detail"]
    cast.challenge.registration_closes_at = utcnow() - dt.timedelta(seconds=1)
    await db.flush()
    await as_user(client, db, cast.participant)
    response = await send(client, "POST", mine(cast.challenge), body(cast.challenge))
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Registration closed on")
