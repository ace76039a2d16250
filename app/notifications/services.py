"""Notifications and e-mail: what to tell whom, in their language, now or in the daily digest."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from app.notifications.models import MailMessage, Notification
from app.platform.outbox import enqueue

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def queue_mail(session: AsyncSession, *, to: str, subject: str, body: str, key: str) -> MailMessage:
    """Record an e-mail and ask the worker to send it once this transaction commits.

    `key` names the message: asking twice with the same key sends one e-mail.
    """
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert

    inserted = await session.scalar(
        insert(MailMessage)
        .values(id=uuid.uuid4(), to_address=to, subject=subject, body_text=body, idempotency_key=key)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(MailMessage.id)
    )
    if inserted is not None:
        await enqueue(session, "send_mail", mail_id=str(inserted))
    message = await session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))
    assert message is not None
    return message


async def notify(
    session: AsyncSession, user_id: uuid.UUID, kind: str, params: dict[str, Any] | None = None, link: str | None = None
) -> Notification:
    """Record an in-app notification; e-mail follows per the user's preference (issue #2 notifications)."""
    notification = Notification(user_id=user_id, kind=kind, params=params or {}, link=link)
    session.add(notification)
    await session.flush()
    await enqueue(session, "email_notification", notification_id=str(notification.id))
    return notification
