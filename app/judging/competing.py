"""One person judges one challenge and competes in another, never both in the same challenge (DESIGN.md).

Both sides check here: accepting a judge invitation refuses a member of a team of the challenge, and the
team services (creating a team, accepting a team invitation, a join request, founders adding a member)
refuse a judge of the challenge. The race between the two is closed by the person's registration row:
joining a team share-locks it (app.teams.teams.check_may_join, and `ensure_not_judging` here), accepting
a seat on a panel locks it for update, so whichever comes second waits and then sees the first.
Without a registration nobody joins a team, so there is nothing to race with.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Registration
from app.judging.models import Judge
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.teams.models import Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _lock_registration(challenge_id: uuid.UUID, user_id: uuid.UUID, *, exclusive: bool):
    return (
        select(Registration.user_id)
        .where(Registration.challenge_id == challenge_id, Registration.user_id == user_id)
        .with_for_update(read=not exclusive)
    )


async def is_judge(session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """An accepted, current seat on a panel of any round of the challenge."""
    return bool(
        await session.scalar(
            select(
                select(Judge.id)
                .where(
                    Judge.challenge_id == challenge_id,
                    Judge.user_id == user_id,
                    Judge.accepted_at.is_not(None),
                    Judge.removed_at.is_(None),
                )
                .exists()
            )
        )
    )


async def ensure_not_judging(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID, *, own: bool = True
) -> None:
    """Refuse (409) that a judge of the challenge joins or creates a team of it. `own`: the person asks."""
    await session.execute(_lock_registration(challenge_id, user_id, exclusive=False))
    if not await is_judge(session, challenge_id, user_id):
        return
    if own:
        raise Conflict(
            detail=_(
                "You are a judge of this challenge: you cannot also compete in it. You may compete in another challenge."
            )
        )
    name = await session.scalar(select(User.name).where(User.id == user_id))
    raise Conflict(
        detail=_("%(name)s is a judge of this challenge and cannot also compete in it.", name=name)
    )


async def ensure_not_competing(session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Refuse (409) a seat on a panel to a member of a team of the challenge, naming the team."""
    await session.execute(_lock_registration(challenge_id, user_id, exclusive=True))
    team = await session.scalar(
        select(Team.name)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.challenge_id == challenge_id, TeamMember.user_id == user_id)
    )
    if team is not None:
        raise Conflict(
            detail=_(
                "You are a member of the team %(team)s in this challenge: you cannot also judge it. Leave the team first, or judge another challenge.",
                team=team,
            )
        )
