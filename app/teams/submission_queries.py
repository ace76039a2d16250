"""A team's round as the submission pages and every change read it, as plain rows (app/platform/rows.py): the
team, its challenge, the actor's relations, the round and its questions in one statement; the version a change
builds on once the submission's row is locked (the lock itself stays on the ORM session)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY

from app import authz
from app.challenges.models import Challenge, Round, RoundField
from app.judging.models import Advancement
from app.platform.rows import Query
from app.teams.models import SubmissionVersion, Team
from app.teams.queries import CHALLENGE_COLUMNS, TEAM_COLUMNS, ChallengeFacts, TeamFacts, array_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclasses.dataclass(slots=True)
class RoundFacts:
    """A round as the submission pages read it; not frozen, like app.challenges.lifecycle.RoundLike."""

    id: uuid.UUID
    position: int
    name: str
    description: str
    opens_at: dt.datetime
    deadline: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class FieldFacts:
    """A question of a round's form (app.challenges.models.RoundField) as the submission pages read it."""

    id: uuid.UUID
    key: str
    position: int
    label: str
    kind: str
    required: bool
    help_text: str
    choices: list[str]
    max_size_mb: int | None
    allowed_types: list[str]
    retired_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class RoundHead:
    """A team, its challenge, the actor's relations, and one round of the challenge (None when the round is not
    of it) with whether the team takes part in it and the round's questions: current ones in order, then
    retired ones."""

    team: TeamFacts
    challenge: ChallengeFacts
    relations: set[str]
    round: RoundFacts | None
    may_enter: bool
    fields: list[FieldFacts]


_ROUND = (Round.id, Round.position, Round.name, Round.description, Round.opens_at, Round.deadline)


def _round_fields(round_id: Any) -> Any:
    return (
        select(
            array_of(
                RoundField.id,
                RoundField.key,
                RoundField.position,
                RoundField.label,
                RoundField.kind,
                RoundField.required,
                RoundField.help_text,
                # asyncpg decodes text[] inside a record from the start; varchar[] only once it met the type.
                cast(RoundField.choices, ARRAY(Text)),
                RoundField.max_size_mb,
                cast(RoundField.allowed_types, ARRAY(Text)),
                RoundField.retired_at,
                order_by=(RoundField.retired_at.is_not(None), RoundField.position, RoundField.id),
            )
        )
        .where(RoundField.round_id == round_id)
        .scalar_subquery()
    )


def _may_enter(team_id: Any, round_: Any) -> Any:
    """Every team takes part in the first round; in a later one only the teams the founders advanced to it (the
    rule of app.teams.submissions.may_enter_round)."""
    advanced = select(Advancement.team_id).where(
        Advancement.round_id == round_.id, Advancement.team_id == team_id
    )
    return (round_.position == 1) | advanced.exists()


@functools.cache
def _round_head_query() -> Query:
    actor_id: Any = bindparam("actor_id")
    return Query(
        select(
            *TEAM_COLUMNS,
            *CHALLENGE_COLUMNS,
            *authz.challenge_relation_columns(actor_id, Challenge.id),
            authz.team_role_column(actor_id, Team.id),
            *_ROUND,
            _may_enter(Team.id, Round),
            _round_fields(Round.id),
        )
        .join(Challenge, Challenge.id == Team.challenge_id)
        .outerjoin(Round, (Round.id == bindparam("round_id")) & (Round.challenge_id == Challenge.id))
        .where(Team.id == bindparam("team_id"))
    )


async def round_head(
    session: AsyncSession, actor_id: uuid.UUID | None, team_id: uuid.UUID, round_id: uuid.UUID
) -> RoundHead | None:
    """The team's round as the actor reaches it, in one statement (None when there is no such team)."""
    row = await _round_head_query().one_or_none(
        session, actor_id=actor_id, team_id=team_id, round_id=round_id
    )
    if row is None:
        return None
    teams, challenges = len(TEAM_COLUMNS), len(TEAM_COLUMNS) + len(CHALLENGE_COLUMNS)
    rounds = challenges + 5 + len(_ROUND)
    challenge = ChallengeFacts(*row[teams:challenges])
    relations = authz.challenge_relations(challenge, row[challenges : challenges + 4])
    found = row[challenges + 5] is not None
    return RoundHead(
        team=TeamFacts(*row[:teams]),
        challenge=challenge,
        relations=authz.add_team_relations(relations, row[challenges + 4]),
        round=RoundFacts(*row[challenges + 5 : rounds]) if found else None,
        may_enter=bool(row[rounds]),
        fields=[FieldFacts(*field) for field in row[rounds + 1] or ()],
    )


@dataclasses.dataclass(frozen=True, slots=True)
class VersionFacts:
    """A saved version of a submission (app.teams.models.SubmissionVersion): what a change builds on."""

    number: int
    answers: dict[str, Any]
    files: dict[str, Any]
    created_at: dt.datetime


@functools.cache
def _version_query() -> Query:
    return Query(
        select(
            SubmissionVersion.number,
            SubmissionVersion.answers,
            SubmissionVersion.files,
            SubmissionVersion.created_at,
        ).where(
            SubmissionVersion.submission_id == bindparam("submission_id"),
            SubmissionVersion.number == bindparam("number"),
        )
    )


async def version_of(session: AsyncSession, submission_id: uuid.UUID, number: int) -> VersionFacts | None:
    row = await _version_query().one_or_none(session, submission_id=submission_id, number=number)
    return VersionFacts(*row) if row is not None else None
