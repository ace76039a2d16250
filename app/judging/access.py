"""Founders' judging pages name the challenge and the round in their address: both must agree."""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import BindParameter, bindparam, func, select

from app import authz
from app.challenges.models import Challenge, Round
from app.judging.models import JudgingRound
from app.judging.rounds import RoundContext, load_round
from app.platform.rows import Query

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
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


@functools.cache
def _round_row() -> Query:
    """The round and its challenge as a founder's read-only page shows them, with the judging settings it
    depends on and the actor's relations: one plain row. Parameters: actor_id, round_id."""
    actor_id: BindParameter[Any] = bindparam("actor_id")
    return Query(
        select(
            Round.id,
            Round.name,
            Challenge.slug,
            Challenge.title,
            Challenge.timezone,
            Challenge.published_at,
            Challenge.visibility,
            # No settings row yet means the defaults (JudgingRound's server defaults, judging_closes_at).
            func.coalesce(JudgingRound.ranking_method, "auto").label("ranking_method"),
            func.coalesce(JudgingRound.closes_at, Challenge.judging_ends_at).label("closes_at"),
            *authz.labelled_challenge_relation_columns(actor_id, Challenge.id),
        )
        .join(Challenge, Challenge.id == Round.challenge_id)
        .outerjoin(JudgingRound, JudgingRound.round_id == Round.id)
        .where(Round.id == bindparam("round_id"))
    )


async def founder_round_row(
    session: AsyncSession, actor: Actor | None, round_id: uuid.UUID, action: str, slug: str | None = None
) -> asyncpg.Record:
    """`founder_round` for pages that only read (no settings row is created, nothing is locked), as one
    plain row: the round's `id` and `name`, its challenge's `slug`, `title` and `timezone`, the round's
    `ranking_method` and `closes_at`. The same 404/403; the slug is checked when the address names one."""
    row = await _round_row().one_or_none(session, actor_id=actor.id if actor else None, round_id=round_id)
    if row is None:
        raise NotFoundException()
    # Without an actor, every relation column reads false: only the challenge's own state counts.
    authz.require(actor, action, authz.challenge_relations_of_row(row))
    if slug is not None and row["slug"] != slug:
        raise NotFoundException()
    return row
