"""Jobs that send e-mail: one message, a notification by e-mail, and the daily digest."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.db import utcnow
from app.notifications import emails
from app.notifications.models import MailMessage
from app.platform import mail
from app.platform.outbox import dispatch_pending

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("tremplin.notifications")


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
    """E-mail one notification now if its reader chose immediate e-mails; digest readers wait for the cron."""
    await emails.email_notification(session, ctx["settings"], uuid.UUID(notification_id))


async def send_daily_digests(ctx: dict[str, Any]) -> int:
    """Cron: one digest per reader who chose it, each in its own transaction; returns how many were queued.

    Running it again the same day sends nothing more.
    """
    session_maker: async_sessionmaker[AsyncSession] = ctx["session_maker"]
    day = utcnow().date()
    async with session_maker() as session:
        user_ids = await emails.digest_recipients(session)
    queued = 0
    for user_id in user_ids:
        try:
            queued += await _send_digest(ctx, session_maker, user_id, day)
        except Exception:
            # One reader's failure must not keep the others' digests back; theirs goes out tomorrow.
            log.exception("digest for user %s failed", user_id)
    return queued


async def _send_digest(
    ctx: dict[str, Any], session_maker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, day: dt.date
) -> int:
    async with session_maker() as session:
        session.info["arq"] = ctx.get("redis")
        message = await emails.send_digest(session, ctx["settings"], user_id, day)
        await session.commit()
        await dispatch_pending(session)
    return 0 if message is None else 1


JOBS = {"send_mail": send_mail, "email_notification": email_notification}
