"""A round as judging sees it: its challenge, its settings, the actor's relations, and the judging clock.

Every judging service starts with `load_round(session, actor, round_id, action)`: one place that turns
an unknown round, or one the actor may not see, into 404, and a visible one the actor may not act on
into 403. The clock rules live here too, all half-open like app.challenges.lifecycle:

- judging of a round is open from its submission deadline until it closes: `judging_rounds.closes_at`
  when set (founders may close early), else the challenge's `judging_ends_at`; with neither, it stays
  open until the founders close it;
- scores and reviews change only while judging is open;
- once judging has closed, founders see every judge's scores by name; judges never see each other's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app import authz
from app.challenges.models import Challenge, Round
from app.judging.models import JudgingRound, Review

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(slots=True)
class RoundContext:
    challenge: Challenge
    round: Round
    rounds: list[Round]  # every round of the challenge, in order
    settings: JudgingRound
    relations: set[str]

    def can(self, actor: Actor | None, action: str) -> bool:
        return authz.can(actor, action, self.relations)

    @property
    def closes_at(self) -> dt.datetime | None:
        return judging_closes_at(self.settings, self.challenge)

    @property
    def next_round(self) -> Round | None:
        later = [r for r in self.rounds if r.position > self.round.position]
        return later[0] if later else None

    @property
    def previous_round(self) -> Round | None:
        earlier = [r for r in self.rounds if r.position < self.round.position]
        return earlier[-1] if earlier else None


async def load_round(
    session: AsyncSession, actor: Actor | None, round_id: uuid.UUID, action: str, *, for_update: bool = False
) -> RoundContext:
    """The round and its judging settings if `actor` may do `action` there; 404/403 otherwise.

    `for_update` locks the settings row: services that must not race on one round (assignment,
    closing, publishing) take it."""
    row = (
        await session.execute(
            select(Round, Challenge)
            .join(Challenge, Challenge.id == Round.challenge_id)
            .where(Round.id == round_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    round_, challenge = row
    relations = await authz.relations_to_challenge(session, actor, challenge)
    authz.require(actor, action, relations)
    settings = await judging_settings(session, round_, for_update=for_update)
    rounds = list(
        await session.scalars(
            select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position)
        )
    )
    return RoundContext(challenge, round_, rounds, settings, relations)


async def judging_settings(session: AsyncSession, round_: Round, *, for_update: bool = False) -> JudgingRound:
    """The round's judging settings row, created with the defaults on first use."""
    await session.execute(
        insert(JudgingRound)
        .values(round_id=round_.id, challenge_id=round_.challenge_id)
        .on_conflict_do_nothing(index_elements=["round_id"])
    )
    statement = select(JudgingRound).where(JudgingRound.round_id == round_.id)
    if for_update:
        statement = statement.with_for_update()
    settings = await session.scalar(statement.execution_options(populate_existing=True))
    assert settings is not None
    return settings


def judging_closes_at(settings: JudgingRound, challenge: Challenge) -> dt.datetime | None:
    return settings.closes_at or challenge.judging_ends_at


def judging_open(round_: Round, settings: JudgingRound, challenge: Challenge, now: dt.datetime) -> bool:
    """Judges may score: the round's deadline has passed and judging has not closed."""
    closes = judging_closes_at(settings, challenge)
    return round_.deadline <= now and (closes is None or now < closes)


def judging_closed(settings: JudgingRound, challenge: Challenge, now: dt.datetime) -> bool:
    closes = judging_closes_at(settings, challenge)
    return closes is not None and now >= closes


async def rubric_frozen(session: AsyncSession, round_id: uuid.UUID) -> bool:
    """The rubric no longer changes once a review of the round is finalized (scores would lose meaning)."""
    return bool(
        await session.scalar(
            select(
                select(Review.id)
                .where(Review.round_id == round_id, Review.finalized_at.is_not(None))
                .exists()
            )
        )
    )
