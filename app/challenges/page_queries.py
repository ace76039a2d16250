"""The reads behind a challenge's page (and its JSON and calendar twins), as plain rows.

The page is among the most visited; SQLAlchemy's per-execution work cost more than its queries, so
they are compiled once (app/platform/rows.py) and their rows read by attribute through `Row`, like
the ORM objects they replace. Four statements whatever the challenge holds: the challenge with its
program, organizers, prizes and the actor's relations and team; its rounds; their fields; its
announcements. Reads only: the editor's pages and every write keep the ORM (app.challenges.queries).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, String, Uuid, bindparam, func, literal_column, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app import authz
from app.challenges.models import (
    Announcement,
    Challenge,
    ChallengeOrganizer,
    Prize,
    Program,
    Round,
    RoundField,
)
from app.judging.votes import vote_round_ids_column
from app.organizations.models import Organization
from app.platform.rows import Query

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping

    from asyncpg import Record  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncSession

ACTOR = bindparam("actor_id", type_=Uuid)
CHALLENGE = bindparam("challenge_id", type_=Uuid)
# Never read on a page: the search vector is the catalogue's, the invitation token the founders' editor's.
_UNREAD = frozenset({"search", "invitation_token"})


class Row:
    """A plain row (or a JSON object) read by attribute (`row.title`), as templates,
    app.challenges.lifecycle and the API read the ORM objects it stands for."""

    __slots__ = ("_record",)

    def __init__(self, record: Record | Mapping[str, Any]) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None


async def challenge_row(session: AsyncSession, actor_id: uuid.UUID | None, slug: str) -> Record | None:
    """The challenge behind `slug` with its program, organizers, prizes, public-vote rounds and, for a
    signed-in actor, the facts behind their relations and their team; None when there is none."""
    query = _challenge_query(signed_in=actor_id is not None)
    return await query.one_or_none(session, slug=slug, actor_id=actor_id)


def relations(actor_id: uuid.UUID | None, row: Record) -> set[str]:
    """The actor's relations to the challenge of `challenge_row()` (app.authz's rules, its columns)."""
    facts = None
    if actor_id is not None:
        facts = (row["founder"], row["invitee"], row["registration_status"], row["judge"])
    return authz.challenge_relations(Row(row), facts)


async def rounds(session: AsyncSession, challenge_id: uuid.UUID) -> list[Row]:
    return [Row(record) for record in await _rounds_query().all(session, challenge_id=challenge_id)]


async def round_fields(
    session: AsyncSession, challenge_id: uuid.UUID, round_ids: list[uuid.UUID], *, retired: bool
) -> dict[uuid.UUID, list[Row]]:
    """The submission forms of the challenge's rounds, in form order, retired fields last (or left out)."""
    found: dict[uuid.UUID, list[Row]] = {round_id: [] for round_id in round_ids}
    for record in await _fields_query().all(session, challenge_id=challenge_id, with_retired=retired):
        found[record["round_id"]].append(Row(record))
    return found


async def announcements(session: AsyncSession, challenge_id: uuid.UUID) -> list[Row]:
    return [Row(record) for record in await _announcements_query().all(session, challenge_id=challenge_id)]


@functools.cache
def _challenge_query(*, signed_in: bool) -> Query:
    columns: list[Any] = [column for column in Challenge.__table__.c if column.name not in _UNREAD]
    columns += [
        Program.slug.label("program_slug"),
        Program.title.label("program_title"),
        Program.kind.label("program_kind"),
        _organizers().label("organizers"),
        _prizes().label("prizes"),
        vote_round_ids_column(Challenge.id).label("vote_round_ids"),
    ]
    if signed_in:
        founder, invitee, status, judge = authz.challenge_relation_columns(ACTOR, Challenge.id)
        columns += [
            founder.label("founder"),
            invitee.label("invitee"),
            status.label("registration_status"),
            judge.label("judge"),
            _my_team().label("my_team_id"),
        ]
    else:
        columns.append(null().label("my_team_id"))
    statement = (
        select(*columns)
        .outerjoin(Program, Program.id == Challenge.program_id)
        .where(Challenge.slug == bindparam("slug", type_=String))
    )
    return Query(statement)


def _json_list(item: Any, *order: Any) -> Any:
    return func.coalesce(
        func.json_agg(aggregate_order_by(item, *order)), literal_column("'[]'::json"), type_=JSON
    )


def _organizers() -> Any:
    # verified_at arrives as JSON text: the page and the API only ask whether it is set.
    item = func.json_build_object(
        "slug", Organization.slug, "name", Organization.name, "verified_at", Organization.verified_at
    )
    return (
        select(_json_list(item, func.lower(Organization.name), Organization.id))
        .select_from(ChallengeOrganizer)
        .join(Organization, Organization.id == ChallengeOrganizer.organization_id)
        .where(ChallengeOrganizer.challenge_id == Challenge.id)
        .correlate(Challenge)
        .scalar_subquery()
    )


def _prizes() -> Any:
    item = func.json_build_object(
        "title", Prize.title, "reward", Prize.reward, "description", Prize.description
    )
    return (
        select(_json_list(item, Prize.position, Prize.id))
        .where(Prize.challenge_id == Challenge.id)
        .correlate(Challenge)
        .scalar_subquery()
    )


def _my_team() -> Any:
    """The id of the actor's team in the challenge, for the page's "My team" link."""
    from app.teams.models import TeamMember

    return (
        select(TeamMember.team_id)
        .where(TeamMember.challenge_id == Challenge.id, TeamMember.user_id == ACTOR)
        .correlate(Challenge)
        .scalar_subquery()
    )


@functools.cache
def _rounds_query() -> Query:
    return Query(select(Round).where(Round.challenge_id == CHALLENGE).order_by(Round.position))


@functools.cache
def _fields_query() -> Query:
    rounds = select(Round.id).where(Round.challenge_id == CHALLENGE)
    statement = (
        select(RoundField)
        .where(
            RoundField.round_id.in_(rounds),
            bindparam("with_retired", type_=Boolean) | RoundField.retired_at.is_(None),
        )
        .order_by(RoundField.retired_at.is_not(None), RoundField.position, RoundField.id)
    )
    return Query(statement)


@functools.cache
def _announcements_query() -> Query:
    statement = (
        select(Announcement)
        .where(Announcement.challenge_id == CHALLENGE)
        .order_by(Announcement.created_at.desc(), Announcement.id)
    )
    return Query(statement)
