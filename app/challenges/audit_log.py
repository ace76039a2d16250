"""A challenge's audit log, opened for its founders and admins (which entries: app.platform.audit_scopes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app import authz
from app.challenges.queries import load_challenge
from app.platform.audit_log import ScopedLog
from app.platform.audit_scopes import challenge_entries
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def challenge_log(session: AsyncSession, actor: Actor, slug: str) -> ScopedLog:
    """The challenge's log once `challenge:audit` is allowed: 404 to whoever may not see the challenge."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "challenge:audit", visible.relations)
    challenge = visible.challenge
    return ScopedLog(
        subject=challenge.title,
        back_url=f"/challenges/{challenge.slug}",
        base_url=f"/challenges/{challenge.slug}/audit",
        intro=_(
            "Every governance action on this challenge, its rounds, registrations, teams, submissions, "
            "judges, reviews, prizes and dataset offerings, newest first."
        ),
        about=("challenge", challenge.id),
        scope=challenge_entries(challenge.id),
    )
