"""The notifications API: one's own notifications in one's language; other people's are not found."""

from __future__ import annotations

import pytest

from app.notifications.models import Notification
from tests.factories import make_user, sign_in
from tests.notifications.conftest import make_notification


async def api_post(client, url: str):
    return await client.post(url, headers={"X-CSRF-Token": await client.csrf()})


async def test_list_is_rendered_in_the_callers_language_with_absolute_links(client, db, settings):
    reader = await make_user(db, locale="fr")
    notification = await make_notification(
        db,
        reader,
        "member_role_changed",
        {"organization": "Clinique Nord", "role": "owner", "changed_by": "Ada"},
        link="/organizations/nord",
    )
    await sign_in(client, db, reader)

    response = await client.get("/api/v1/notifications")

    assert response.status_code == 200
    body = response.json()
    assert body["page"] == 1 and body["has_next"] is False and body["unread_count"] == 1
    [item] = body["items"]
    assert item["id"] == str(notification.id)
    assert item["kind"] == "member_role_changed"
    assert item["title"] == "Votre rôle dans Clinique Nord est désormais : propriétaire"
    assert item["body"] == "Ada a modifié votre rôle."
    assert item["read"] is False and item["read_at"] is None
    assert item["link"] == f"{settings.base_url}/organizations/nord"


async def test_list_is_paginated_newest_first(client, db):
    reader = await make_user(db)
    for minutes in range(5):
        await make_notification(
            db, reader, "announcement", {"title": f"Note {minutes}", "text": "x"}, minutes_ago=minutes
        )
    await sign_in(client, db, reader)

    first = (await client.get("/api/v1/notifications?per_page=2")).json()
    last = (await client.get("/api/v1/notifications?per_page=2&page=3")).json()

    assert [i["title"] for i in first["items"]] == ["Note 0", "Note 1"] and first["has_next"] is True
    assert [i["title"] for i in last["items"]] == ["Note 4"] and last["has_next"] is False


async def test_nobody_lists_or_marks_another_persons_notifications(client, db):
    owner = await make_user(db)
    intruder = await make_user(db)
    notification = await make_notification(db, owner, "organization_verified", {"organization": "Secret Lab"})
    await sign_in(client, db, intruder)

    listed = await client.get("/api/v1/notifications")
    marked = await api_post(client, f"/api/v1/notifications/{notification.id}/read")
    marked_all = await api_post(client, "/api/v1/notifications/read-all")

    assert listed.json()["items"] == [] and "Secret Lab" not in listed.text
    assert marked.status_code == 404
    assert marked.headers["content-type"].startswith("application/problem+json")
    assert marked_all.json() == {"marked": 0}
    assert (await db.get(Notification, notification.id, populate_existing=True)).read_at is None


async def test_mark_one_read_returns_it_read(client, db):
    reader = await make_user(db)
    notification = await make_notification(db, reader)
    await sign_in(client, db, reader)

    response = await api_post(client, f"/api/v1/notifications/{notification.id}/read")

    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["read_at"]
    assert (await client.get("/api/v1/notifications")).json()["unread_count"] == 0


async def test_mark_all_read_counts_what_changed(client, db):
    reader = await make_user(db)
    await make_notification(db, reader, minutes_ago=2)
    await make_notification(db, reader, minutes_ago=1)
    await make_notification(db, reader, read=True)
    await sign_in(client, db, reader)

    response = await api_post(client, "/api/v1/notifications/read-all")

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert (await client.get("/api/v1/notifications")).json()["unread_count"] == 0


async def test_signed_out_caller_gets_401_problem(client):
    response = await client.get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/notifications?page=0"),
        ("GET", "/api/v1/notifications?page=x"),
        ("GET", "/api/v1/notifications?per_page=1000"),
        ("POST", "/api/v1/notifications/not-a-uuid/read"),
        ("POST", "/api/v1/notifications/5f0c6a4e-0000-4000-8000-000000000000/read"),
        ("POST", "/api/v1/notifications/12/read"),
    ],
)
async def test_bad_input_is_a_client_error_with_problem_details(client, db, method, url):
    await sign_in(client, db, await make_user(db))
    response = await client.request(method, url, headers={"X-CSRF-Token": await client.csrf()})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_api_post_without_csrf_token_from_a_browser_is_refused(client, db):
    reader = await make_user(db)
    notification = await make_notification(db, reader)
    await sign_in(client, db, reader)

    response = await client.post(f"/api/v1/notifications/{notification.id}/read")

    assert response.status_code == 403
