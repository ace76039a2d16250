"""The grants, links and access log API: same rule, same permissions, same trace as the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from app.data_sharing.models import AccessLogEntry
from app.db import utcnow
from tests.data_sharing.access_support import CONTENT, log_rows, make_cast
from tests.factories import make_user, sign_in


async def call(client, method, url, **kwargs):
    return await client.request(method, url, headers={"X-CSRF-Token": await client.csrf()}, **kwargs)


async def test_a_member_gets_a_link_over_the_api_and_downloads(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    response = await call(client, "POST", f"/api/v1/data/files/{cast.file.id}/link")
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == cast.file.sha256 and body["url"].startswith("/data/download/")
    assert (await client.get(body["url"])).content == CONTENT
    await sign_in(client, db, cast.unnamed)
    refused = await call(client, "POST", f"/api/v1/data/files/{cast.file.id}/link")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert (await log_rows(db, cast.dataset.id))[-1].reason == "not_named"


@pytest.mark.parametrize("who, listed, show", [
    ("steward", 1, 200), ("captain", 1, 200), ("unnamed", 1, 200), ("founder", 1, 200), ("outsider", 0, 404), ("admin", 0, 404),
])  # fmt: skip
async def test_who_sees_grants(client, db, settings, who, listed, show):
    cast = await make_cast(db, settings)
    await sign_in(client, db, await make_user(db, admin=True) if who == "admin" else getattr(cast, who))
    response = await client.get("/api/v1/grants")
    assert response.status_code == 200
    assert [g["id"] for g in response.json()] == [str(cast.grant.id)] * listed
    one = await client.get(f"/api/v1/grants/{cast.grant.id}")
    assert one.status_code == show
    if show == 200:
        assert one.json()["status"] == "active" and len(one.json()["members"]) == 2


@pytest.mark.parametrize(
    "who, status", [("steward", 200), ("captain", 403), ("founder", 403), ("outsider", 404)]
)
async def test_only_stewards_revoke_or_remove_over_the_api(client, db, settings, who, status):
    cast = await make_cast(db, settings)
    await sign_in(client, db, getattr(cast, who))
    removed = await call(
        client,
        "DELETE",
        f"/api/v1/grants/{cast.grant.id}/members/{cast.member.id}",
        params={"reason": "Left"},
    )
    assert removed.status_code == status
    revoked = await call(client, "POST", f"/api/v1/grants/{cast.grant.id}/revoke", json={"reason": "Breach"})
    assert revoked.status_code == status
    if status == 200:
        assert revoked.json()["status"] == "revoked"
        assert [
            m["removed_reason"] for m in revoked.json()["members"] if m["user_id"] == str(cast.member.id)
        ] == ["Left"]


async def test_api_reasons_are_required(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.steward)
    response = await call(client, "POST", f"/api/v1/grants/{cast.grant.id}/revoke", json={"reason": ""})
    assert response.status_code == 422 and response.json()["errors"][0]["key"] == "reason"
    response = await call(client, "DELETE", f"/api/v1/grants/{cast.grant.id}/members/{cast.member.id}")
    assert response.status_code == 422


async def test_the_access_log_api_is_scoped_to_the_stewards_datasets_and_filtered(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.unnamed)
    await call(client, "POST", f"/api/v1/data/files/{cast.file.id}/link")
    await sign_in(client, db, cast.member)
    await call(client, "POST", f"/api/v1/data/files/{cast.file.id}/link")
    await sign_in(client, db, cast.steward)
    answer = (await client.get("/api/v1/access-log")).json()
    assert answer["per_page"] == 100 and answer["next_cursor"] is None
    assert [(e["person"], e["outcome"]) for e in answer["items"]] == [
        ("Max Member", "allowed"),
        ("Olive Unnamed", "refused"),
    ]
    refused = (await client.get("/api/v1/access-log", params={"outcome": "refused"})).json()["items"]
    assert [e["reason"] for e in refused] == ["not_named"]
    assert (await client.get("/api/v1/access-log", params={"since": "soon"})).status_code == 422
    await sign_in(client, db, cast.member)
    assert (await client.get("/api/v1/access-log")).json()["items"] == []


async def test_the_access_log_api_pages_with_a_cursor_newest_first(client, db, settings):
    cast = await make_cast(db, settings)
    other = await make_cast(db, settings)
    now = utcnow()
    # 7 entries on the steward's dataset, two of them at the same instant (the id breaks the tie), and others elsewhere
    moments = [now - dt.timedelta(minutes=m) for m in (1, 2, 3, 3, 4, 5, 6)]
    for n, at in enumerate(moments):
        db.add(
            AccessLogEntry(
                at=at,
                user_id=cast.member.id,
                dataset_id=cast.dataset.id,
                action="download",
                outcome="allowed",
                reason=str(n),
            )
        )
        db.add(
            AccessLogEntry(
                at=at,
                user_id=other.member.id,
                dataset_id=other.dataset.id,
                action="download",
                outcome="allowed",
            )
        )
    await db.flush()
    await sign_in(client, db, cast.steward)
    seen, cursor, pages = [], "", 0
    while True:
        answer = (
            await client.get(
                "/api/v1/access-log", params={"per_page": 3, "cursor": cursor} if cursor else {"per_page": 3}
            )
        ).json()
        pages += 1
        assert len(answer["items"]) <= 3 and answer["per_page"] == 3
        seen += [e["reason"] for e in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == [
        "0",
        "1",
        "3",
        "2",
        "4",
        "5",
        "6",
    ]  # newest first; same instant: the later id first
    everything = (await client.get("/api/v1/access-log", params={"per_page": 500})).json()
    assert len(everything["items"]) == 7 and everything["next_cursor"] is None
    for bad in ({"per_page": 0}, {"per_page": 501}, {"cursor": "yesterday"}, {"cursor": "1.2.3"}):
        response = await client.get("/api/v1/access-log", params=bad)
        assert response.status_code in (400, 422), bad
