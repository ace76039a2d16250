"""Founders' judging pages name the challenge and the round in their address: both must agree."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException

from app.judging.rounds import RoundContext, load_round

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def founder_round(
    session: AsyncSession, actor: Actor | None, slug: str, round_id: uuid.UUID, action: str = "ranking:view"
) -> RoundContext:
    """The round through load_round (404/403 by the actor's relations), and 404 when the slug in the
    address is not the round's challenge: a round is never reached through another challenge's page."""
    context = await load_round(session, actor, round_id, action)
    if context.challenge.slug != slug:
        raise NotFoundException()
    return context
