"""With SMTP_URL set, e-mails leave by SMTP with the right headers, once, even when the job runs again."""

from __future__ import annotations

import socket
import uuid

import pytest
from sqlalchemy import select

from app.notifications import jobs
from app.notifications.models import MailMessage
from app.notifications.services import queue_mail
from tests.conftest import unique_email
from tests.notifications.smtp_sink import SmtpSink


@pytest.fixture
async def sink():
    server = SmtpSink()
    await server.start()
    yield server
    await server.stop()


async def queued(db, to: str, subject: str, body: str) -> MailMessage:
    return await queue_mail(db, to=to, subject=subject, body=body, key=f"test:{uuid.uuid4()}")


async def test_message_goes_out_by_smtp_with_from_to_and_subject(db, settings, sink):
    settings = settings.replace(smtp_url=sink.url, mail_from="Tremplin <no-reply@tremplin.example>")
    to = unique_email("marie")
    message = await queued(db, to, "Votre rôle a changé", "Bonjour Marie,\n.\nÀ bientôt")

    await jobs.send_mail({"settings": settings}, db, mail_id=str(message.id))

    [received] = sink.received
    assert received.recipients == [to]
    assert received.mail_from == "no-reply@tremplin.example"
    assert received.message["From"] == "Tremplin <no-reply@tremplin.example>"
    assert received.message["To"] == to
    assert received.message["Subject"] == "Votre rôle a changé"
    assert received.message["Message-ID"] == f"<{message.id}@tremplin>"
    assert received.message.get_content().replace("\r\n", "\n") == "Bonjour Marie,\n.\nÀ bientôt\n"
    sent = await db.scalar(
        select(MailMessage).where(MailMessage.id == message.id).execution_options(populate_existing=True)
    )
    assert sent.transport == "smtp" and sent.sent_at is not None and sent.attempts == 1


async def test_send_mail_retried_after_success_does_not_send_twice(db, settings, sink):
    settings = settings.replace(smtp_url=sink.url)
    message = await queued(db, unique_email(), "Hello", "Once")

    await jobs.send_mail({"settings": settings}, db, mail_id=str(message.id))
    await jobs.send_mail({"settings": settings}, db, mail_id=str(message.id))

    assert len(sink.received) == 1


async def test_smtp_failure_raises_so_the_outbox_retries_and_leaves_the_message_unsent(db, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = settings.replace(smtp_url=f"smtp://127.0.0.1:{closed_port}")
    message = await queued(db, unique_email(), "Hello", "Body")

    with pytest.raises(OSError):
        await jobs.send_mail({"settings": settings}, db, mail_id=str(message.id))

    assert message.sent_at is None


async def test_without_smtp_the_message_is_kept_in_the_log_only(db, settings, sink):
    message = await queued(db, unique_email(), "Hello", "Body")

    await jobs.send_mail({"settings": settings}, db, mail_id=str(message.id))

    assert message.transport == "log" and message.sent_at is not None
    assert sink.received == []
