"""Jobs that send e-mail: one message, a notification by e-mail, and the daily digest."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.db import utcnow
from app.notifications.models import MailMessage
from app.platform import mail

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def send_mail(ctx: dict[str, Any], session: AsyncSession, mail_id: str) -> None:
    """Send one recorded message, once: a message already sent is left alone."""
    message = await session.scalar(
        select(MailMessage).where(MailMessage.id == uuid.UUID(mail_id)).with_for_update()
    )
    if message is None or message.sent_at is not None:
        return
    message.attempts += 1
    message.transport = await mail.deliver(ctx["settings"], message)
    message.sent_at = utcnow()


async def email_notification(ctx: dict[str, Any], session: AsyncSession, notification_id: str) -> None:
    """Placeholder until notifications by e-mail land: nothing to send yet."""


async def send_daily_digests(ctx: dict[str, Any]) -> int:
    return 0


JOBS = {"send_mail": send_mail, "email_notification": email_notification}
