"""The team pages' hot reads as plain rows (app/platform/rows.py): each statement compiled once per process, run
with asyncpg, no ORM object. The lists of a page (members, rounds and work, what the captain manages) come as
arrays of rows inside one statement, so a page costs the same few statements whatever the number of rows.

Writes, row locks and the services' loading (app.teams.teams.load_team) stay on the ORM session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, bindparam, cast, exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge, Registration, Round, RoundField
from app.judging.models import Advancement
from app.organizations.models import Organization, OrganizationMember
from app.platform.rows import Query
from app.teams.models import JoinRequest, Submission, SubmissionVersion, Team, TeamInvitation, TeamMember
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


_TEAM = (
    Team.id,
    Team.name,
    Team.captain_id,
    Team.organization_id,
    Team.member_count,
    Team.gallery_opt_in,
    Team.created_at,
)
_CHALLENGE = (
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


def _array(*columns: Any, order_by: tuple[Any, ...]) -> Any:
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
            _array(
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
            _array(
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
            *_TEAM,
            *_CHALLENGE,
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
    teams, challenges = len(_TEAM), len(_TEAM) + len(_CHALLENGE)
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


# --- a team's round -------------------------------------------------------------------------------------------


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
            _array(
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
            *_TEAM,
            *_CHALLENGE,
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
    teams, challenges = len(_TEAM), len(_TEAM) + len(_CHALLENGE)
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


async def settle(session: AsyncSession) -> None:
    """Flush what the session holds before plain-row reads, which do not autoflush: a page shown again after a
    refused change reads what the session would have read."""
    if session.new or session.dirty or session.deleted:
        await session.flush()


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
            _array(
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
            _array(
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
        select(_array(Organization.id, Organization.name, order_by=(Organization.name, Organization.id)))
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
        select(_array(JoinRequest.team_id, JoinRequest.id, order_by=(JoinRequest.id,)))
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
            *_CHALLENGE,
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
    size = len(_CHALLENGE)
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
