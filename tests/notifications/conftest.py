"""Factories for notifications tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.db import utcnow
from app.notifications.models import Notification
from app.notifications.services import notify


async def make_notification(
    db: AsyncSession,
    user: User,
    kind: str = "organization_verified",
    params: dict[str, Any] | None = None,
    *,
    link: str | None = None,
    minutes_ago: float = 0,
    read: bool = False,
) -> Notification:
    """A notification made by the real `notify()`, dated `minutes_ago`: rows of a transaction share now()."""
    notification = await notify(
        db, user.id, kind, params if params is not None else {"organization": "Clinique Nord"}, link=link
    )
    notification.created_at = utcnow() - dt.timedelta(minutes=minutes_ago)
    if read:
        notification.read_at = utcnow()
    await db.flush()
    return notification
