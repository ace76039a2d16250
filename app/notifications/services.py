"""Notifications and e-mail: what to tell whom, in their language, now or in the daily digest."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, cast

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from app import authz
from app.db import utcnow
from app.notifications import kinds
from app.notifications.models import MailMessage, Notification
from app.platform.i18n import in_locale
from app.platform.outbox import enqueue

if TYPE_CHECKING:
    from sqlalchemy import CursorResult
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PER_PAGE = 20


@dataclasses.dataclass(frozen=True, slots=True)
class NotificationView:
    """A notification as its reader sees it: words already in their language, a link only inside Tremplin."""

    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclasses.dataclass(frozen=True, slots=True)
class NotificationPage:
    items: list[NotificationView]
    page: int
    per_page: int
    has_next: bool


async def queue_mail(session: AsyncSession, *, to: str, subject: str, body: str, key: str) -> MailMessage:
    """Record an e-mail and ask the worker to send it once this transaction commits.

    `key` names the message: asking twice with the same key sends one e-mail.
    """
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
    session: AsyncSession,
    user_id: uuid.UUID,
    kind: str,
    params: dict[str, Any] | None = None,
    link: str | None = None,
) -> Notification:
    """Tell one person that something happened; e-mail follows per their preference.

    `kind` is a key of `app.notifications.kinds.KINDS` and `params` its plain JSON parameters; the text
    is rendered in the reader's language whenever it is shown. `link` is a path inside Tremplin.
    """
    if link is not None and kinds.local_path(link) is None:
        raise ValueError(f"notification links are paths inside Tremplin, got {link!r}")
    notification = Notification(user_id=user_id, kind=kind, params=params or {}, link=link)
    session.add(notification)
    await session.flush()
    await enqueue(session, "email_notification", notification_id=str(notification.id))
    return notification


def view_of(notification: Notification) -> NotificationView:
    """Render in the current locale; callers outside a request wrap this in `app.platform.i18n.in_locale`."""
    rendered = kinds.render(notification.kind, notification.params)
    return NotificationView(
        id=notification.id,
        kind=notification.kind,
        title=rendered.title,
        body=rendered.body,
        link=kinds.local_path(notification.link),
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


async def list_notifications(
    session: AsyncSession, actor: Actor | None, *, page: int = 1, per_page: int = PER_PAGE
) -> NotificationPage:
    """The actor's own notifications, newest first, in one query whatever their number."""
    authz.require(actor, "account:view")
    assert actor is not None
    rows = list(
        await session.scalars(
            select(Notification)
            .where(Notification.user_id == actor.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    with in_locale(actor.locale):
        items = [view_of(n) for n in rows[:per_page]]
    return NotificationPage(items=items, page=page, per_page=per_page, has_next=len(rows) > per_page)


async def count_unread(session: AsyncSession, actor: Actor | None) -> int:
    """How many of the actor's notifications are unread (pages get it with the session instead)."""
    authz.require(actor, "account:view")
    assert actor is not None
    return (
        await session.scalar(
            select(func.count()).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        )
        or 0
    )


async def mark_read(
    session: AsyncSession, actor: Actor | None, notification_id: uuid.UUID
) -> tuple[NotificationView, bool]:
    """Mark one of the actor's notifications read; also says whether it was unread (for the badge).

    Another person's notification is not found, exactly like a missing one.
    """
    authz.require(actor, "account:view")
    assert actor is not None
    notification = await session.scalar(
        select(Notification)
        .where(Notification.id == notification_id, Notification.user_id == actor.id)
        # Two clicks racing must not both count as "was unread".
        .with_for_update()
    )
    if notification is None:
        raise NotFoundException()
    was_unread = notification.read_at is None
    if was_unread:
        notification.read_at = utcnow()
        await session.flush()
    with in_locale(actor.locale):
        return view_of(notification), was_unread


async def mark_all_read(session: AsyncSession, actor: Actor | None) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    authz.require(actor, "account:view")
    assert actor is not None
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return cast("CursorResult[Any]", result).rowcount or 0
