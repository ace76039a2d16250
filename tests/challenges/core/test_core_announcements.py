"""Founders' announcements: on the challenge's page, notified to everyone registered, audited."""

from __future__ import annotations

from sqlalchemy import select

from app.challenges.models import Announcement
from app.notifications.models import Notification
from tests.challenges.core.helpers import audit_entries, send
from tests.conftest import text_of
from tests.factories import make_registration, make_user


async def test_an_announcement_reaches_everyone_registered_and_shows_on_the_page(cast, browser, db):
    pending = await make_user(db)
    await make_registration(db, cast.public, pending, status="pending")
    withdrawn = await make_user(db)
    await make_registration(db, cast.public, withdrawn, status="withdrawn")
    client = await browser(cast.founder)
    response = await client.submit(
        f"/challenges/{cast.public.slug}/announcements",
        {"title": "Dataset released", "body": "The **data** is out. <script>alert(1)</script>"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/challenges/{cast.public.slug}#announcements"
    notes = list(await db.scalars(select(Notification).where(Notification.kind == "announcement")))
    assert {n.user_id for n in notes} == {cast.participant.id, pending.id}
    assert notes[0].params["title"] == "Public Heart Challenge: Dataset released"
    assert notes[0].link == f"/challenges/{cast.public.slug}"
    [entry] = await audit_entries(db, "challenge:announce", cast.public.id)
    assert entry.details["notified"] == 2
    page = await (await browser()).get(f"/challenges/{cast.public.slug}")
    assert "Dataset released" in text_of(page.text)
    assert "<strong>data</strong>" in page.text and "<script>alert(1)" not in page.text
    assert 'id="announcement_form"' not in page.text


async def test_announcements_are_listed_newest_first(cast, browser, db):
    client = await browser(cast.founder)
    for title in ("First news", "Second news"):
        await client.submit(f"/challenges/{cast.public.slug}/announcements", {"title": title, "body": "Body"})
    page = text_of((await client.get(f"/challenges/{cast.public.slug}")).text)
    assert page.index("Second news") < page.index("First news")
    listing = await (await browser()).get(f"/api/v1/challenges/{cast.public.slug}/announcements")
    assert [item["title"] for item in listing.json()] == ["Second news", "First news"]


async def test_an_empty_announcement_is_refused_beside_its_fields(cast, browser, db):
    client = await browser(cast.founder)
    response = await client.submit(
        f"/challenges/{cast.public.slug}/announcements", {"title": "", "body": "  "}
    )
    assert response.status_code == 422
    assert text_of(response.text).count("This field is required.") == 2
    assert await db.scalar(select(Announcement).where(Announcement.challenge_id == cast.public.id)) is None
    htmx = await client.htmx("POST", f"/challenges/{cast.public.slug}/announcements", data={"title": "x"})
    assert htmx.status_code == 422 and htmx.text.lstrip().startswith('<form id="announcement_form"')


async def test_only_founders_announce(cast, browser, db):
    for person, status in (
        (cast.user, 403),
        (cast.participant, 403),
        (cast.other_founder, 403),
        (cast.admin, 403),
    ):
        client = await browser(person)
        response = await client.submit(
            f"/challenges/{cast.public.slug}/announcements", {"title": "Hi", "body": "Hi"}
        )
        assert response.status_code == status
        api = await send(
            client,
            "POST",
            f"/api/v1/challenges/{cast.public.slug}/announcements",
            {"title": "Hi", "body": "x"},
        )
        assert api.status_code == status
    hidden = await (await browser(cast.user)).submit(
        f"/challenges/{cast.draft.slug}/announcements", {"title": "Hi", "body": "x"}
    )
    assert hidden.status_code == 404
    assert await db.scalar(select(Announcement)) is None
