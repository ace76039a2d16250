"""Notifications by e-mail: immediately or in a daily digest, in the reader's language, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.notifications import jobs
from app.notifications.models import MailMessage, Notification
from app.notifications.services import notify
from app.platform.models import OutboxJob
from tests.factories import make_user
from tests.notifications.conftest import make_notification


@pytest.fixture
def ctx(settings, session_maker):
    return {"settings": settings, "session_maker": session_maker}


async def mails_to(db, user: User) -> list[MailMessage]:
    return list(
        await db.scalars(
            select(MailMessage).where(MailMessage.to_address == user.email).order_by(MailMessage.created_at)
        )
    )


async def refreshed(db, notification: Notification) -> Notification:
    return await db.get(Notification, notification.id, populate_existing=True)


# --- immediate ---------------------------------------------------------------------------------------


async def test_notify_asks_for_the_email_job(db):
    reader = await make_user(db)
    notification = await notify(db, reader.id, "organization_verified", {"organization": "Clinique Nord"})
    job = await db.scalar(
        select(OutboxJob).where(OutboxJob.args["notification_id"].astext == str(notification.id))
    )
    assert job is not None and job.function == "email_notification"


async def test_notify_refuses_links_outside_tremplin(db):
    reader = await make_user(db)
    with pytest.raises(ValueError):
        await notify(db, reader.id, "organization_verified", {}, link="https://evil.example/phish")


async def test_immediate_reader_gets_one_email_with_a_link_from_base_url(ctx, db, settings):
    reader = await make_user(db, name="Ada")
    notification = await make_notification(
        db,
        reader,
        "organization_invitation",
        {"inviter": "Grace", "organization": "Clinique Nord"},
        link="/organizations/nord",
    )

    await jobs.email_notification(ctx, db, notification_id=str(notification.id))

    [message] = await mails_to(db, reader)
    assert message.subject == "Grace invited you to join Clinique Nord"
    assert message.idempotency_key == f"notification:{notification.id}"
    assert "Hello Ada," in message.body_text
    assert f"{settings.base_url}/organizations/nord" in message.body_text
    assert f"{settings.base_url}/account" in message.body_text
    assert (await refreshed(db, notification)).emailed_at is not None
    sends = await db.scalar(
        select(func.count()).select_from(OutboxJob).where(OutboxJob.args["mail_id"].astext == str(message.id))
    )
    assert sends == 1


async def test_french_reader_gets_french_email(ctx, db):
    reader = await make_user(db, name="Marie", locale="fr")
    notification = await make_notification(
        db, reader, "organization_verified", {"organization": "Clinique Nord"}
    )

    await jobs.email_notification(ctx, db, notification_id=str(notification.id))

    [message] = await mails_to(db, reader)
    assert message.subject == "Clinique Nord est désormais vérifiée"
    assert "Bonjour Marie," in message.body_text
    assert "Ouvrez-la dans Tremplin" in message.body_text
    assert "Hello" not in message.body_text


async def test_email_job_run_twice_sends_one_email(ctx, db):
    reader = await make_user(db)
    notification = await make_notification(db, reader)

    await jobs.email_notification(ctx, db, notification_id=str(notification.id))
    await jobs.email_notification(ctx, db, notification_id=str(notification.id))
    # Even if the notification's mark were lost, the message key stops a second e-mail.
    await db.execute(update(Notification).where(Notification.id == notification.id).values(emailed_at=None))
    await jobs.email_notification(ctx, db, notification_id=str(notification.id))

    assert len(await mails_to(db, reader)) == 1


async def test_digest_reader_gets_nothing_immediately(ctx, db):
    reader = await make_user(db, notify_mode="digest")
    notification = await make_notification(db, reader)

    await jobs.email_notification(ctx, db, notification_id=str(notification.id))

    assert await mails_to(db, reader) == []
    assert (await refreshed(db, notification)).emailed_at is None


async def test_unverified_or_disabled_accounts_get_no_notification_email(ctx, db):
    unverified = await make_user(db, verified=False)
    disabled = await make_user(db, is_active=False)
    for user in (unverified, disabled):
        notification = await make_notification(db, user)
        await jobs.email_notification(ctx, db, notification_id=str(notification.id))
        assert await mails_to(db, user) == []


async def test_email_job_for_a_deleted_notification_does_nothing(ctx, db):
    reader = await make_user(db)
    notification = await make_notification(db, reader)
    await db.delete(notification)
    await db.flush()

    await jobs.email_notification(ctx, db, notification_id=str(notification.id))

    assert await mails_to(db, reader) == []


# --- daily digest ------------------------------------------------------------------------------------


async def test_digest_lists_unread_unemailed_notifications_in_one_email(ctx, db, settings):
    reader = await make_user(db, name="Ada", notify_mode="digest")
    first = await make_notification(
        db,
        reader,
        "organization_verified",
        {"organization": "First Org"},
        link="/organizations/first",
        minutes_ago=30,
    )
    second = await make_notification(
        db, reader, "organization_verified", {"organization": "Second Org"}, minutes_ago=10
    )
    already_read = await make_notification(
        db, reader, "organization_verified", {"organization": "Read Org"}, read=True
    )
    immediate = await make_user(db)
    await make_notification(db, immediate)

    assert await jobs.send_daily_digests(ctx) >= 1

    [message] = await mails_to(db, reader)
    assert message.subject == "Tremplin: 2 new notifications"
    body = message.body_text
    assert body.index("First Org is now verified") < body.index("Second Org is now verified")
    assert f"{settings.base_url}/organizations/first" in body
    assert "Read Org" not in body
    assert await mails_to(db, immediate) == []
    assert (await refreshed(db, first)).emailed_at is not None
    assert (await refreshed(db, second)).emailed_at is not None
    assert (await refreshed(db, already_read)).emailed_at is None


async def test_digest_run_twice_sends_nothing_the_second_time(ctx, db):
    reader = await make_user(db, notify_mode="digest")
    await make_notification(db, reader)

    await jobs.send_daily_digests(ctx)
    await jobs.send_daily_digests(ctx)

    assert len(await mails_to(db, reader)) == 1


async def test_notification_arriving_after_todays_digest_waits_for_tomorrow(ctx, db):
    reader = await make_user(db, notify_mode="digest")
    await make_notification(db, reader, minutes_ago=5)
    await jobs.send_daily_digests(ctx)
    late = await make_notification(db, reader)

    await jobs.send_daily_digests(ctx)

    assert len(await mails_to(db, reader)) == 1
    assert (await refreshed(db, late)).emailed_at is None


async def test_french_digest_is_in_french(ctx, db):
    reader = await make_user(db, name="Marie", locale="fr", notify_mode="digest")
    await make_notification(
        db, reader, "organization_invitation", {"inviter": "Ada", "organization": "Clinique Nord"}
    )

    await jobs.send_daily_digests(ctx)

    [message] = await mails_to(db, reader)
    assert message.subject == "Tremplin : 1 nouvelle notification"
    assert "Bonjour Marie," in message.body_text
    assert "Ada vous invite à rejoindre Clinique Nord" in message.body_text


async def test_digest_skips_people_with_nothing_new(ctx, db):
    reader = await make_user(db, notify_mode="digest")
    await make_notification(db, reader, read=True)

    await jobs.send_daily_digests(ctx)

    assert await mails_to(db, reader) == []
