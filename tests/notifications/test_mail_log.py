"""The mail log: admins read every e-mail (verification links included); for anyone else it does not exist."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.notifications.services import queue_mail
from app.platform.models import AuditEntry
from tests.conftest import text_of, unique_email
from tests.factories import make_user, sign_in


async def queue(db, to: str, subject: str = "Confirm your address", body: str = "Hello") -> uuid.UUID:
    message = await queue_mail(db, to=to, subject=subject, body=body, key=f"test:{uuid.uuid4()}")
    return message.id


async def test_admin_lists_messages_with_recipient_subject_and_state(client, db):
    await sign_in(client, db, await make_user(db, admin=True))
    address = unique_email("ada")
    await queue(db, address, "Confirm your address")

    page = await client.get("/admin/mail")

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = text_of(page.text)
    assert address in text and "Confirm your address" in text
    assert "not yet" in text


async def test_admin_searches_by_recipient(client, db):
    await sign_in(client, db, await make_user(db, admin=True))
    wanted, other = unique_email("wanted"), unique_email("other")
    await queue(db, wanted)
    await queue(db, other)

    page = await client.get("/admin/mail", params={"q": wanted.split("@")[0].upper()})
    fragment = await client.htmx("GET", "/admin/mail", params={"q": wanted})

    assert wanted in page.text and other not in page.text
    assert "<html" not in fragment.text and wanted in fragment.text and other not in fragment.text


async def test_search_wildcards_are_taken_literally(client, db):
    await sign_in(client, db, await make_user(db, admin=True))
    await queue(db, unique_email("someone"))

    page = await client.get("/admin/mail", params={"q": "%"})

    assert "No e-mail to an address containing “%”." in text_of(page.text)


async def test_admin_reads_a_message_with_its_site_links_clickable_and_the_reading_is_audited(
    client, db, settings
):
    admin = await make_user(db, admin=True)
    await sign_in(client, db, admin)
    link = f"{settings.base_url}/verify?token=abc"
    mail_id = await queue(db, unique_email(), body=f"Click {link} or https://evil.example/x <b>now</b>")

    page = await client.get(f"/admin/mail/{mail_id}")

    assert page.status_code == 200
    assert f'<a href="{link}">{link}</a>' in page.text
    assert 'href="https://evil.example' not in page.text
    assert "&lt;b&gt;now&lt;/b&gt;" in page.text
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.object_id == str(mail_id)))
    assert entry is not None and entry.actor_id == admin.id and entry.action == "mail_log:read_message"


@pytest.mark.parametrize("path", ["/admin/mail", "/admin/mail?q=x", "/admin/mail/{id}"])
async def test_non_admins_get_404(client, db, path):
    mail_id = await queue(db, unique_email())
    await sign_in(client, db, await make_user(db))

    response = await client.get(path.format(id=mail_id))

    assert response.status_code == 404


async def test_visitors_are_sent_to_sign_in(client):
    response = await client.get("/admin/mail")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/mail/not-a-uuid",
        "/admin/mail/5f0c6a4e-0000-4000-8000-000000000000",
        "/admin/mail?page=-1",
        "/admin/mail?q=" + "x" * 300,
    ],
)
async def test_bad_input_is_a_client_error(client, db, path):
    await sign_in(client, db, await make_user(db, admin=True))
    response = await client.get(path)
    assert 400 <= response.status_code < 500
