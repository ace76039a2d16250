"""The team pages' hot reads as plain rows (app/platform/rows.py): each statement compiled once per process, run
with asyncpg, no ORM object. The lists of a page (members, rounds and work, what the captain manages) come as
arrays of rows inside one statement, so a page costs the same few statements whatever the number of rows.

Writes, row locks and the services' loading (app.teams.teams.load_team) stay on the ORM session. A team's round
(the submission pages and every change) reads through app.teams.submission_queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge, Registration, Round
from app.organizations.models import Organization, OrganizationMember
from app.platform.rows import Query
from app.teams.models import JoinRequest, Submission, Team, TeamInvitation, TeamMember
from app.teams.teams import MemberRow

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncSession


# --- what the rows become -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TeamFacts:
    id: uuid.UUID
    name: str
    captain_id: uuid.UUID
    organization_id: uuid.UUID | None
    member_count: int
    gallery_opt_in: bool
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class ChallengeFacts:
    """What the team pages read of a challenge; `published_at` and `visibility` make its state relations."""

    id: uuid.UUID
    slug: str
    title: str
    team_min: int
    team_max: int
    timezone: str
    published_at: dt.datetime | None
    visibility: str
    results_published_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class WorkRow:
    """A round of the team's challenge and the team's submission to it (None values before the team started one)."""

    round_id: uuid.UUID
    round_name: str
    deadline: dt.datetime
    submission_status: str | None
    version: int | None
    updated_at: dt.datetime | None
    submitted_at: dt.datetime | None

    @property
    def status(self) -> str:
        return self.submission_status or "none"


@dataclasses.dataclass(frozen=True, slots=True)
class InvitationRow:
    id: uuid.UUID
    email: str
    inviter: str
    expires_at: dt.datetime
    expired: bool


@dataclasses.dataclass(frozen=True, slots=True)
class RequestRow:
    id: uuid.UUID
    name: str
    message: str
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class OrganizationChoice:
    id: uuid.UUID
    name: str


TEAM_COLUMNS = (
    Team.id,
    Team.name,
    Team.captain_id,
    Team.organization_id,
    Team.member_count,
    Team.gallery_opt_in,
    Team.created_at,
)
CHALLENGE_COLUMNS = (
    Challenge.id,
    Challenge.slug,
    Challenge.title,
    Challenge.team_min,
    Challenge.team_max,
    Challenge.timezone,
    Challenge.published_at,
    Challenge.visibility,
    Challenge.results_published_at,
)


def array_of(*columns: Any, order_by: tuple[Any, ...]) -> Any:
    # Rows as anonymous records: asyncpg decodes them to tuples with their types (timestamps stay datetimes).
    return func.array_agg(aggregate_order_by(tuple_(*columns), *order_by))


# --- one team -------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TeamHead:
    """A team with its challenge, the actor's relations, its organization's name, members and work by round."""

    team: TeamFacts
    challenge: ChallengeFacts
    relations: set[str]
    organization_name: str | None
    members: list[MemberRow]
    work: list[WorkRow]


def _member_rows(team_id: Any) -> Any:
    """The team's members, captain first, each with the status of their registration to the challenge."""
    return (
        select(
            array_of(
                TeamMember.user_id,
                User.name,
                User.email,
                TeamMember.role,
                TeamMember.joined_at,
                Registration.status,
                order_by=(TeamMember.role, TeamMember.joined_at, User.name),
            )
        )
        .select_from(TeamMember)
        .join(User, User.id == TeamMember.user_id)
        .outerjoin(
            Registration,
            (Registration.challenge_id == TeamMember.challenge_id)
            & (Registration.user_id == TeamMember.user_id),
        )
        .where(TeamMember.team_id == team_id)
        .scalar_subquery()
    )


def _work_rows(team_id: Any, challenge_id: Any) -> Any:
    return (
        select(
            array_of(
                Round.id,
                Round.name,
                Round.deadline,
                Submission.status,
                Submission.version,
                Submission.updated_at,
                Submission.submitted_at,
                order_by=(Round.position,),
            )
        )
        .select_from(Round)
        .outerjoin(Submission, (Submission.round_id == Round.id) & (Submission.team_id == team_id))
        .where(Round.challenge_id == challenge_id)
        .scalar_subquery()
    )


@functools.cache
def _team_head_query() -> Query:
    actor_id: Any = bindparam("actor_id")
    return Query(
        select(
            *TEAM_COLUMNS,
            *CHALLENGE_COLUMNS,
            Organization.name,
            *authz.challenge_relation_columns(actor_id, Challenge.id),
            authz.team_role_column(actor_id, Team.id),
            _member_rows(Team.id),
            _work_rows(Team.id, Challenge.id),
        )
        .join(Challenge, Challenge.id == Team.challenge_id)
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .where(Team.id == bindparam("team_id"))
    )


async def team_head(session: AsyncSession, actor_id: uuid.UUID, team_id: uuid.UUID) -> TeamHead | None:
    """The team as the actor reaches it, in one statement (None when there is no such team)."""
    row = await _team_head_query().one_or_none(session, actor_id=actor_id, team_id=team_id)
    if row is None:
        return None
    teams, challenges = len(TEAM_COLUMNS), len(TEAM_COLUMNS) + len(CHALLENGE_COLUMNS)
    challenge = ChallengeFacts(*row[teams:challenges])
    relations = authz.challenge_relations(challenge, row[challenges + 1 : challenges + 5])
    return TeamHead(
        team=TeamFacts(*row[:teams]),
        challenge=challenge,
        relations=authz.add_team_relations(relations, row[challenges + 5]),
        organization_name=row[challenges],
        members=[MemberRow(*member) for member in row[challenges + 6] or ()],
        work=[WorkRow(*work) for work in row[challenges + 7] or ()],
    )


# --- what the captain manages ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class CaptainLists:
    invitations: list[InvitationRow]
    requests: list[RequestRow]
    # The captain's own organizations: the startups the team may represent.
    organizations: list[OrganizationChoice]


def _pending_invitations(team_id: Any) -> Any:
    """Invitations neither accepted nor withdrawn, newest first."""
    return (
        select(
            array_of(
                TeamInvitation.id,
                TeamInvitation.email,
                User.name,
                TeamInvitation.expires_at,
                order_by=(TeamInvitation.created_at.desc(), TeamInvitation.id),
            )
        )
        .join(User, User.id == TeamInvitation.invited_by_id)
        .where(
            TeamInvitation.team_id == team_id,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
        )
        .scalar_subquery()
    )


def _pending_requests(team_id: Any, challenge_id: Any) -> Any:
    """Pending requests, oldest first, without those whose author joined a team meanwhile."""
    in_a_team = exists().where(
        TeamMember.challenge_id == challenge_id, TeamMember.user_id == JoinRequest.user_id
    )
    return (
        select(
            array_of(
                JoinRequest.id,
                User.name,
                JoinRequest.message,
                JoinRequest.created_at,
                order_by=(JoinRequest.created_at, JoinRequest.id),
            )
        )
        .join(User, User.id == JoinRequest.user_id)
        .where(JoinRequest.team_id == team_id, JoinRequest.status == "pending", ~in_a_team)
        .scalar_subquery()
    )


def _organizations(user_id: Any) -> Any:
    return (
        select(array_of(Organization.id, Organization.name, order_by=(Organization.name, Organization.id)))
        .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
        .where(OrganizationMember.user_id == user_id)
        .scalar_subquery()
    )


@functools.cache
def _captain_query() -> Query:
    return Query(
        select(
            _pending_invitations(bindparam("team_id")),
            _pending_requests(bindparam("team_id"), bindparam("challenge_id")),
            _organizations(bindparam("actor_id")),
        )
    )


async def captain_lists(
    session: AsyncSession, actor_id: uuid.UUID, team_id: uuid.UUID, challenge_id: uuid.UUID, now: dt.datetime
) -> CaptainLists:
    """The captain's invitations (expired ones flagged), join requests and organizations, in one statement."""
    # A select without FROM: always exactly one row.
    invitations, requests, organizations = await _captain_query().one_or_none(
        session, actor_id=actor_id, team_id=team_id, challenge_id=challenge_id
    )  # type: ignore[misc]
    return CaptainLists(
        invitations=[
            InvitationRow(id_, email, inviter, expires_at, expires_at <= now)
            for id_, email, inviter, expires_at in invitations or ()
        ],
        requests=[RequestRow(*row) for row in requests or ()],
        organizations=[OrganizationChoice(*row) for row in organizations or ()],
    )


# --- the teams of a challenge -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ChallengeTeamsHead:
    """A challenge by slug with the actor's relations, their team and pending requests there, and the first
    round's deadline (None before any round)."""

    challenge: ChallengeFacts
    relations: set[str]
    my_team_id: uuid.UUID | None
    # team id -> the actor's pending request to it.
    my_requests: dict[uuid.UUID, uuid.UUID]
    first_deadline: dt.datetime | None


@functools.cache
def _challenge_teams_head_query() -> Query:
    actor_id: Any = bindparam("actor_id")
    my_team = (
        select(TeamMember.team_id)
        .where(TeamMember.challenge_id == Challenge.id, TeamMember.user_id == actor_id)
        .scalar_subquery()
    )
    my_requests = (
        select(array_of(JoinRequest.team_id, JoinRequest.id, order_by=(JoinRequest.id,)))
        .join(Team, Team.id == JoinRequest.team_id)
        .where(
            Team.challenge_id == Challenge.id,
            JoinRequest.user_id == actor_id,
            JoinRequest.status == "pending",
        )
        .scalar_subquery()
    )
    first_deadline = (
        select(Round.deadline)
        .where(Round.challenge_id == Challenge.id)
        .order_by(Round.position)
        .limit(1)
        .scalar_subquery()
    )
    return Query(
        select(
            *CHALLENGE_COLUMNS,
            *authz.challenge_relation_columns(actor_id, Challenge.id),
            my_team,
            my_requests,
            first_deadline,
        ).where(Challenge.slug == bindparam("slug"))
    )


async def challenge_teams_head(
    session: AsyncSession, actor_id: uuid.UUID, slug: str
) -> ChallengeTeamsHead | None:
    row = await _challenge_teams_head_query().one_or_none(session, actor_id=actor_id, slug=slug)
    if row is None:
        return None
    size = len(CHALLENGE_COLUMNS)
    challenge = ChallengeFacts(*row[:size])
    my_team_id, my_requests, first_deadline = row[size + 4 :]
    return ChallengeTeamsHead(
        challenge=challenge,
        relations=authz.challenge_relations(challenge, row[size : size + 4]),
        my_team_id=my_team_id,
        my_requests=dict(my_requests or ()),
        first_deadline=first_deadline,
    )


def _teams_of(challenge_id: Any, *, search: bool) -> Any:
    statement = select(
        Team.id,
        Team.name,
        Team.member_count,
        Organization.name.label("organization"),
        func.count().over().label("total"),
    ).outerjoin(Organization, Organization.id == Team.organization_id)
    statement = statement.where(Team.challenge_id == challenge_id)
    if search:
        statement = statement.where(Team.name.ilike(bindparam("pattern"), escape="\\"))
    return statement


@functools.cache
def _teams_query(search: bool) -> Query:
    return Query(
        _teams_of(bindparam("challenge_id"), search=search)
        .order_by(func.lower(Team.name), Team.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.cache
def _teams_count_query(search: bool) -> Query:
    return Query(
        select(func.count()).select_from(_teams_of(bindparam("challenge_id"), search=search).subquery())
    )


async def teams_page(
    session: AsyncSession, challenge_id: uuid.UUID, pattern: str | None, number: int, size: int
) -> tuple[list[asyncpg.Record], int]:
    """One page of the challenge's teams by name (rows: id, name, member_count, organization) and their total.

    One statement: the total comes with each row. Only a page past the last one, which has no row to
    carry it, costs a second."""
    search = pattern is not None
    params: dict[str, Any] = {"challenge_id": challenge_id}
    if search:
        params["pattern"] = pattern
    rows = await _teams_query(search).all(session, limit=size, offset=(number - 1) * size, **params)
    if rows:
        return rows, rows[0]["total"]
    total = await _teams_count_query(search).scalar(session, **params) if number > 1 else 0
    return rows, total
