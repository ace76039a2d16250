"""Founders' announcements to everyone registered for a challenge, and telling them about changes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.challenges.inputs import announcement_input
from app.challenges.models import Announcement, Challenge, Registration
from app.challenges.queries import load_challenge
from app.challenges.services import authorized
from app.notifications.services import notify
from app.platform import audit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

# Registrations still in play: people awaiting a decision are told too, so nothing surprises them.
NOTIFIED_STATUSES = ("pending", "approved")


async def notify_registered(
    session: AsyncSession, challenge: Challenge, kind: str, params: dict[str, Any]
) -> int:
    """Notify every person registered (pending or approved) for `challenge`; returns how many."""
    user_ids = list(
        await session.scalars(
            select(Registration.user_id).where(
                Registration.challenge_id == challenge.id, Registration.status.in_(NOTIFIED_STATUSES)
            )
        )
    )
    for user_id in user_ids:
        await notify(session, user_id, kind, params, link=f"/challenges/{challenge.slug}")
    return len(user_ids)


async def post_announcement(
    session: AsyncSession, actor: Actor, slug: str, values: dict[str, Any], now: dt.datetime
) -> Announcement:
    """Publish a note (title, Markdown body) on the challenge's page and notify everyone registered."""
    challenge = (await authorized(session, actor, slug, "challenge:announce")).challenge
    data = announcement_input(values)
    announcement = Announcement(challenge_id=challenge.id, created_by_id=actor.id, created_at=now, **data)
    session.add(announcement)
    await session.flush()
    count = await notify_registered(
        session,
        challenge,
        "announcement",
        {"title": f"{challenge.title}: {data['title']}", "text": data["body"]},
    )
    await audit.record(
        session,
        actor,
        "challenge:announce",
        "challenge",
        challenge.id,
        {"announcement_id": str(announcement.id), "title": data["title"], "notified": count},
    )
    return announcement


async def list_announcements(session: AsyncSession, actor: Actor | None, slug: str) -> list[Announcement]:
    """A challenge's announcements, newest first, for whoever may see the challenge."""
    challenge = (await load_challenge(session, actor, slug)).challenge
    return list(
        await session.scalars(
            select(Announcement)
            .where(Announcement.challenge_id == challenge.id)
            .order_by(Announcement.created_at.desc(), Announcement.id)
        )
    )
