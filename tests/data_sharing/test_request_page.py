"""The request page and its API: the same number of queries with 3 or 30 events; refusals shown beside the
forms and as problem+json."""

from __future__ import annotations

import pytest

from app.accounts.sessions import actor_from_user as act
from app.data_sharing import requests
from app.db import utcnow
from tests.conftest import text_of
from tests.data_sharing.request_support import make_cast
from tests.data_sharing.test_requests import draft, submitted
from tests.factories import sign_in
from tests.querycount import counting_statements


async def _count(client, connection, url):
    with counting_statements(connection) as statements:
        response = await client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["steward", "captain"])
async def test_request_page_queries_do_not_grow_with_the_history(db, client, connection, who):
    cast = await make_cast(db)
    short = await submitted(db, cast)  # 2 events + 1 comment below = 3
    long = await submitted(db, cast)
    await requests.add_comment(db, act(cast.steward), short.id, "One.", True, utcnow())
    for index in range(14):
        await requests.add_comment(db, act(cast.steward), long.id, f"Note {index}", index % 2 == 0, utcnow())
        await requests.add_comment(db, act(cast.member), long.id, f"Reply {index}", False, utcnow())
    await sign_in(client, db, getattr(cast, who))
    for base in ("/data-requests/", "/api/v1/data-requests/"):
        few = await _count(client, connection, f"{base}{short.id}")
        many = await _count(client, connection, f"{base}{long.id}")
        assert few == many, (base, few, many)


async def test_submitting_before_everyone_accepted_names_them_on_the_page_and_in_the_api(db, client):
    cast = await make_cast(db)
    request = await draft(db, cast, [cast.member.id, cast.other_member.id])
    await sign_in(client, db, cast.captain)
    page = await client.submit(f"/data-requests/{request.id}/submit")
    assert page.status_code == 422
    assert "Still to accept version 1 of the agreement: Milo Member, Olga Other." in text_of(page.text)
    api = await client.post(
        f"/api/v1/data-requests/{request.id}/submit", headers={"X-CSRF-Token": await client.csrf()}
    )
    assert api.status_code == 422 and api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["errors"][0]["key"] == "members" and "Milo Member" in api.json()["errors"][0]["message"]


async def test_a_named_member_accepts_on_the_page(db, client):
    cast = await make_cast(db)
    request = await draft(db, cast)
    await sign_in(client, db, cast.member)
    before = text_of((await client.get(f"/data-requests/{request.id}")).text)
    assert "I accept version 1 of the agreement" in before
    assert (await client.submit(f"/data-requests/{request.id}/accept-agreement")).status_code == 303
    after = text_of((await client.get(f"/data-requests/{request.id}")).text)
    assert "Accepted version 1" in after and "I accept version" not in after


async def test_the_steward_approves_on_the_page_and_a_too_late_expiry_is_shown(db, client):
    cast = await make_cast(db, max_grant_days=5)
    request = await submitted(db, cast)
    await sign_in(client, db, cast.steward)
    url = f"/data-requests/{request.id}/approve"
    refused = await client.submit(url, {"expires_at": "2099-01-01T00:00"})
    assert refused.status_code == 422 and "at most 5 days" in text_of(refused.text)
    bad = await client.submit(url, {"expires_at": "tomorrow"})
    assert bad.status_code == 422
    import datetime as dt

    ok = await client.submit(
        url, {"expires_at": (utcnow() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")}
    )
    assert ok.status_code == 303
    assert "Approved" in text_of((await client.get(f"/data-requests/{request.id}")).text)


async def test_api_create_show_and_patch(db, client):
    cast = await make_cast(db)
    await sign_in(client, db, cast.captain)
    headers = {"X-CSRF-Token": await client.csrf()}
    created = await client.post("/api/v1/data-requests", headers=headers,
                                json={"offering_id": str(cast.offering.id), "purpose": "", "members": []})  # fmt: skip
    assert created.status_code == 422 and {e["key"] for e in created.json()["errors"]} == {"purpose"}
    created = await client.post("/api/v1/data-requests", headers=headers,
                                json={"offering_id": str(cast.offering.id), "purpose": "Study", "members": [str(cast.member.id)]})  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "draft" and body["members"][0]["name"] == "Milo Member"
    assert [e["kind"] for e in body["events"]] == ["created"]
    changed = await client.patch(f"/api/v1/data-requests/{body['id']}", headers=headers,
                                 json={"purpose": "Study of outcomes", "members": [str(cast.other_member.id)]})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["purpose"] == "Study of outcomes"
    assert [m["name"] for m in changed.json()["members"]] == ["Olga Other"]
