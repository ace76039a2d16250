"""The notifications page: one's own notifications, newest first, marked read one by one or all at once."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from app.notifications.models import Notification
from tests.conftest import text_of
from tests.factories import make_user, sign_in
from tests.notifications.conftest import make_notification


async def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = await client.get("/notifications")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_list_shows_own_notifications_newest_first_with_links(client, db):
    reader = await make_user(db)
    await make_notification(
        db, reader, "organization_verified", {"organization": "Older Org"}, minutes_ago=10
    )
    await make_notification(
        db,
        reader,
        "organization_invitation",
        {"inviter": "Ada", "organization": "Newer Org"},
        link="/organizations/newer",
        minutes_ago=1,
    )
    await sign_in(client, db, reader)

    page = await client.get("/notifications")

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = text_of(page.text)
    assert text.index("Ada invited you to join Newer Org") < text.index("Older Org is now verified")
    assert '<a href="/organizations/newer">Ada invited you to join Newer Org</a>' in page.text


async def test_unread_notifications_are_highlighted_and_read_ones_are_not(client, db):
    reader = await make_user(db)
    unread = await make_notification(db, reader, minutes_ago=2)
    read = await make_notification(db, reader, minutes_ago=1, read=True)
    await sign_in(client, db, reader)

    page = (await client.get("/notifications")).text

    assert f'id="notification-{unread.id}" class="notification unread"' in page
    assert f'id="notification-{read.id}" class="notification read"' in page
    assert f'action="/notifications/{unread.id}/read' in page
    assert f'action="/notifications/{read.id}/read' not in page


async def test_nobody_sees_another_persons_notifications(client, db):
    owner = await make_user(db)
    outsider = await make_user(db)
    await make_notification(db, owner, "organization_verified", {"organization": "Secret Lab"})
    await sign_in(client, db, outsider)

    page = await client.get("/notifications")

    assert "Secret Lab" not in page.text
    assert "You have no notifications yet." in text_of(page.text)


async def test_marking_read_without_javascript_redirects_back_and_clears_the_badge(client, db):
    reader = await make_user(db)
    notification = await make_notification(db, reader)
    await sign_in(client, db, reader)
    assert 'aria-label="1 unread"' in (await client.get("/")).text

    response = await client.submit(f"/notifications/{notification.id}/read?page=2")

    assert response.status_code == 303
    assert response.headers["location"] == "/notifications?page=2"
    assert (await db.get(Notification, notification.id, populate_existing=True)).read_at is not None
    assert "badge" not in (await client.get("/")).text


async def test_marking_read_with_htmx_returns_the_item_and_the_new_badge_out_of_band(client, db):
    reader = await make_user(db)
    first = await make_notification(db, reader, minutes_ago=3)
    await make_notification(db, reader, minutes_ago=2)
    await make_notification(db, reader, minutes_ago=1)
    await sign_in(client, db, reader)

    response = await client.htmx("POST", f"/notifications/{first.id}/read")

    assert response.status_code == 200
    fragment = response.text
    assert "<html" not in fragment
    assert f'<li id="notification-{first.id}" class="notification read">' in fragment
    assert "Mark as read" not in fragment
    badge = re.search(r'<span hx-swap-oob="innerHTML:[^"]+">(.*?)</span>\s*$', fragment, re.S)
    assert badge is not None
    assert 'aria-label="2 unread">2</span>' in badge.group(1)


async def test_marking_an_already_read_notification_keeps_the_count(client, db):
    reader = await make_user(db)
    read = await make_notification(db, reader, read=True)
    await make_notification(db, reader)
    await sign_in(client, db, reader)

    response = await client.htmx("POST", f"/notifications/{read.id}/read")

    assert 'aria-label="1 unread">1</span>' in response.text


async def test_last_unread_marked_with_htmx_empties_the_badge(client, db):
    reader = await make_user(db)
    only = await make_notification(db, reader)
    await sign_in(client, db, reader)

    response = await client.htmx("POST", f"/notifications/{only.id}/read")

    assert 'class="badge"' not in response.text
    assert "hx-swap-oob" in response.text


async def test_marking_another_persons_notification_is_not_found_and_changes_nothing(client, db):
    owner = await make_user(db)
    intruder = await make_user(db)
    notification = await make_notification(db, owner)
    await sign_in(client, db, intruder)

    for response in (
        await client.submit(f"/notifications/{notification.id}/read"),
        await client.htmx("POST", f"/notifications/{notification.id}/read"),
    ):
        assert response.status_code == 404
    assert (await db.get(Notification, notification.id, populate_existing=True)).read_at is None


async def test_bad_ids_and_pages_are_client_errors(client, db):
    reader = await make_user(db)
    await sign_in(client, db, reader)

    assert (await client.submit("/notifications/not-a-uuid/read")).status_code in (400, 404)
    assert (
        await client.submit("/notifications/00000000-0000-0000-0000-000000000000/read")
    ).status_code == 404
    assert (await client.get("/notifications?page=0")).status_code == 400
    assert (await client.get("/notifications?page=abc")).status_code == 400


async def test_mark_read_needs_the_csrf_token(client, db):
    reader = await make_user(db)
    notification = await make_notification(db, reader)
    await sign_in(client, db, reader)

    response = await client.post(f"/notifications/{notification.id}/read")

    assert response.status_code == 403
    assert (await db.get(Notification, notification.id, populate_existing=True)).read_at is None


async def test_mark_all_read_touches_only_ones_own_notifications(client, db):
    reader = await make_user(db)
    other = await make_user(db)
    await make_notification(db, reader, minutes_ago=2)
    await make_notification(db, reader, minutes_ago=1)
    others = await make_notification(db, other)
    await sign_in(client, db, reader)

    response = await client.submit("/notifications/read-all")

    assert response.status_code == 303
    assert response.headers["location"] == "/notifications"
    page = await client.get("/notifications")
    assert "2 notifications marked as read." in text_of(page.text)
    assert "Mark all as read" not in page.text
    unread_left = await db.scalars(select(Notification.id).where(Notification.read_at.is_(None)))
    assert others.id in set(unread_left)
    assert (await db.get(Notification, others.id, populate_existing=True)).read_at is None


async def test_pages_of_twenty_with_older_and_newer_links(client, db):
    reader = await make_user(db)
    for minutes in range(25):
        await make_notification(
            db, reader, "announcement", {"title": f"Note {minutes:02d}", "text": ""}, minutes_ago=minutes
        )
    await sign_in(client, db, reader)

    first = await client.get("/notifications")
    second = await client.htmx("GET", "/notifications?page=2")

    assert first.text.count('class="notification unread"') == 20
    assert "Note 00" in first.text and "Note 19" in first.text and "Note 20" not in first.text
    assert 'href="/notifications?page=2"' in first.text
    assert "<html" not in second.text and second.text.count('class="notification unread"') == 5
    assert "Note 24" in second.text and 'href="/notifications"' in second.text


async def test_list_costs_the_same_queries_for_few_or_many_notifications(client, db, connection):
    few, many = await make_user(db), await make_user(db)
    await make_notification(db, few)
    for minutes in range(30):
        await make_notification(db, many, minutes_ago=minutes, read=minutes % 2 == 0)

    async def statements_for(user) -> int:
        await sign_in(client, db, user)
        await client.get("/notifications")  # the first request of a session touches last_seen_at
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(connection.sync_connection, "before_cursor_execute", count)
        try:
            response = await client.get("/notifications")
        finally:
            event.remove(connection.sync_connection, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(
            [s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
        )

    few_count = await statements_for(few)
    many_count = await statements_for(many)
    assert few_count == many_count
    # The session with its unread count, then the page of notifications.
    assert many_count <= 3
