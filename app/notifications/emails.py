"""Notifications by e-mail: one message each for "immediate" readers, one daily digest for the others.

Both are written in the recipient's language with links built from BASE_URL only, and both are safe
to run twice: a notification is e-mailed once (its `emailed_at` and the message's idempotency key),
and a reader gets at most one digest a day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import exists, select, update

from app.accounts.models import User
from app.db import utcnow
from app.notifications.models import MailMessage, Notification
from app.notifications.services import NotificationView, queue_mail, view_of
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale, ngettext

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.settings import Settings

SUBJECT_LENGTH = 300
# A digest lists this many; the rest are one click away in the app.
DIGEST_LIMIT = 50


async def email_notification(
    session: AsyncSession, settings: Settings, notification_id: uuid.UUID
) -> MailMessage | None:
    """Queue the e-mail of one notification if its reader wants them immediately; never twice."""
    row = (
        await session.execute(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id == notification_id)
            .with_for_update(of=Notification)
        )
    ).one_or_none()
    if row is None:
        return None
    notification, user = row
    if notification.emailed_at is not None or user.notify_mode != "immediate" or not _reachable(user):
        return None
    with in_locale(user.locale):
        view = view_of(notification)
        body = "\n\n".join([_greeting(user), *_describe(settings, view), _footer(settings)])
        message = await queue_mail(
            session,
            to=user.email,
            subject=_subject(view.title),
            body=body,
            key=f"notification:{notification.id}",
        )
    notification.emailed_at = utcnow()
    return message


async def digest_recipients(session: AsyncSession) -> list[uuid.UUID]:
    """People on the daily digest who have unread notifications not yet e-mailed."""
    pending = exists().where(Notification.user_id == User.id, *_pending())
    return list(
        await session.scalars(
            select(User.id)
            .where(User.notify_mode == "digest", *_reachable_clause(), pending)
            .order_by(User.id)
        )
    )


async def send_digest(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, day: dt.date
) -> MailMessage | None:
    """Queue one person's digest for `day` listing what they have not read nor received; at most one a day.

    The notifications are locked first, so a second run waits and then finds them already e-mailed.
    Notifications arriving after the day's digest went out wait for the next day's.
    """
    user = await session.get(User, user_id)
    if user is None or user.notify_mode != "digest" or not _reachable(user):
        return None
    notifications = list(
        await session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, *_pending())
            .order_by(Notification.created_at, Notification.id)
            .with_for_update()
        )
    )
    key = f"digest:{user_id}:{day.isoformat()}"
    if not notifications or await session.scalar(
        select(MailMessage.id).where(MailMessage.idempotency_key == key)
    ):
        return None
    with in_locale(user.locale):
        subject = ngettext(
            "Tremplin: %(num)s new notification", "Tremplin: %(num)s new notifications", len(notifications)
        )
        body = _digest_body(settings, user, [view_of(n) for n in notifications])
        message = await queue_mail(session, to=user.email, subject=subject, body=body, key=key)
    await session.execute(
        update(Notification)
        .where(Notification.id.in_([n.id for n in notifications]))
        .values(emailed_at=utcnow())
    )
    return message


def _pending():
    return (Notification.emailed_at.is_(None), Notification.read_at.is_(None))


def _reachable_clause():
    # Unverified addresses may belong to someone else: they get the verification e-mail and nothing more.
    return (User.is_active.is_(True), User.email_verified_at.is_not(None))


def _reachable(user: User) -> bool:
    return user.is_active and user.email_verified_at is not None


def _subject(title: str) -> str:
    flat = " ".join(title.split())
    return flat if len(flat) <= SUBJECT_LENGTH else flat[: SUBJECT_LENGTH - 1] + "…"


def _greeting(user: User) -> str:
    return _("Hello %(name)s,", name=user.name)


def _describe(settings: Settings, view: NotificationView) -> list[str]:
    parts = [view.title]
    if view.body:
        parts.append(view.body)
    parts.append(_("Open it in Tremplin: %(url)s", url=settings.base_url + (view.link or "/notifications")))
    return parts


def _digest_body(settings: Settings, user: User, views: list[NotificationView]) -> str:
    lines = [_greeting(user), _("Here is what happened on Tremplin since your last digest:")]
    for view in views[:DIGEST_LIMIT]:
        item = f"- {view.title}"
        if view.link:
            item += f"\n  {settings.base_url}{view.link}"
        lines.append(item)
    if len(views) > DIGEST_LIMIT:
        lines.append(ngettext("…and %(num)s more.", "…and %(num)s more.", len(views) - DIGEST_LIMIT))
    lines.append(_("All your notifications: %(url)s", url=f"{settings.base_url}/notifications"))
    lines.append(_footer(settings))
    return "\n\n".join(lines)


def _footer(settings: Settings) -> str:
    return "-- \n" + _(
        "You receive this e-mail because of your notification settings on Tremplin. "
        "Change them here: %(url)s",
        url=f"{settings.base_url}/account",
    )
