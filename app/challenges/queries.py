"""Loading programs and challenges for someone, with their relations, or not at all (404)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app import authz
from app.challenges.models import Challenge, Program, Round

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(slots=True)
class Visible:
    """A challenge as one actor may see it: the row, its rounds in order, and the actor's relations."""

    challenge: Challenge
    rounds: list[Round]
    relations: set[str]
    # The values of the `extra` columns the caller asked for, loaded with the challenge's row.
    extra: tuple[Any, ...] = ()

    def can(self, actor: Actor | None, action: str) -> bool:
        return authz.can(actor, action, self.relations)


async def load_challenge(
    session: AsyncSession,
    actor: Actor | None,
    slug: str,
    *,
    for_update: bool = False,
    extra: Sequence[Any] = (),
) -> Visible:
    """The challenge behind `slug` if `actor` may see it; 404 otherwise (drafts and invitation-only included).

    `extra`: columns correlated to `Challenge.id` that a page wants in the same round trip (not with a lock)."""
    if "\x00" in slug:
        # PostgreSQL refuses NUL in text: such a slug names nothing, and must not become a server error.
        raise NotFoundException()
    statement = select(Challenge).where(Challenge.slug == slug)
    relation_columns = 0
    if for_update:
        assert not extra, "extra columns are not loaded under a lock"
        statement = statement.with_for_update()
    else:
        if actor is not None:
            # The actor's relations come with the row: one round trip instead of two.
            relation_columns = 4
            statement = statement.add_columns(*authz.challenge_relation_columns(actor.id, Challenge.id))
        statement = statement.add_columns(*extra)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFoundException()
    values: tuple[Any, ...] = tuple(row)
    challenge = values[0]
    if relation_columns:
        relations = authz.challenge_relations(challenge, values[1 : 1 + relation_columns])
    else:
        relations = await authz.relations_to_challenge(session, actor, challenge)
    authz.require(actor, "challenge:view", relations)
    rounds = list(
        await session.scalars(
            select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position)
        )
    )
    return Visible(challenge, rounds, relations, values[1 + relation_columns :])


async def load_program(session: AsyncSession, actor: Actor | None, slug: str) -> tuple[Program, set[str]]:
    if "\x00" in slug:
        raise NotFoundException()
    program = await session.scalar(select(Program).where(Program.slug == slug))
    if program is None:
        raise NotFoundException()
    relations = await authz.relations_to_program(session, actor, program.id)
    authz.require(actor, "program:view", relations)
    return program, relations
