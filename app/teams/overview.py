"""What the team pages read: one team with its members and work, the teams of a challenge, a participant's
dashboard across challenges. Each costs a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app import authz
from app.challenges import lifecycle
from app.challenges.models import Challenge, Registration, Round
from app.platform.pagination import MAX_PAGE, Page
from app.teams import queries
from app.teams.models import Submission, Team, TeamMember
from app.teams.queries import CaptainLists, ChallengeFacts, TeamHead
from app.teams.teams import blocker_of, frozen_from, membership_frozen, require_participant

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

TEAMS_PER_PAGE = 25
SEARCH_MAX = 120


@dataclasses.dataclass(frozen=True, slots=True)
class RoundWork:
    """A round and the team's submission to it, if the team started one."""

    round: Round
    submission: Submission | None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else "none"


@dataclasses.dataclass(frozen=True, slots=True)
class TeamPage:
    head: TeamHead
    frozen: bool
    blocker: str | None
    # For the captain only (None for others): what the captain manages.
    captain: CaptainLists | None

    @property
    def keeps_other_organization(self) -> bool:
        """The team represents a startup that is not one of the captain's: the form still offers it, so that
        saving other details keeps it."""
        organization_id = self.head.team.organization_id
        if organization_id is None or self.captain is None:
            return False
        return all(choice.id != organization_id for choice in self.captain.organizations)


async def team_page(session: AsyncSession, actor: Actor, team_id: uuid.UUID, now: dt.datetime) -> TeamPage:
    """The team for its members and the challenge's founders (others: 404). Two statements for the captain, one
    for anyone else, whatever the number of members, rounds, invitations and requests."""
    head = await queries.team_head(session, actor.id, team_id)
    if head is None:
        raise NotFoundException()
    authz.require(actor, "team:view", head.relations)
    captain = authz.can(actor, "team:manage_members", head.relations)
    return TeamPage(
        head=head,
        frozen=membership_frozen(head.work, now),
        blocker=blocker_of(head.challenge, head.members),
        captain=await queries.captain_lists(session, actor.id, team_id, head.challenge.id, now)
        if captain
        else None,
    )


# --- the teams of a challenge ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TeamListing:
    challenge: ChallengeFacts
    relations: set[str]
    # Rows of id, name, member_count and organization (its name, or None).
    teams: Page[asyncpg.Record]
    my_team_id: uuid.UUID | None
    # The actor's pending requests: team id -> request id.
    my_requests: dict[uuid.UUID, uuid.UUID]
    frozen: bool

    @property
    def participant(self) -> bool:
        return "participant" in self.relations


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_teams(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime, *, query: str = "", page: int = 1
) -> TeamListing:
    """Teams of the challenge by name, for its participants looking for one and for its founders. Two
    statements: the challenge with the actor's relations, team and requests there; then the page of teams."""
    if "\x00" in slug:
        # PostgreSQL refuses NUL in text: such a slug names nothing, and must not become a server error.
        raise NotFoundException()
    head = await queries.challenge_teams_head(session, actor.id, slug)
    if head is None:
        raise NotFoundException()
    authz.require(actor, "challenge:view", head.relations)
    if not authz.can(actor, "team:list", head.relations):
        require_participant(actor, head.relations)
    query = " ".join(query.replace("\x00", "").split())[:SEARCH_MAX]
    pattern = f"%{_escape_like(query)}%" if query else None
    number = min(max(page, 1), MAX_PAGE)
    rows, total = await queries.teams_page(session, head.challenge.id, pattern, number, TEAMS_PER_PAGE)
    return TeamListing(
        challenge=head.challenge,
        relations=head.relations,
        teams=Page(items=rows, number=number, size=TEAMS_PER_PAGE, total=total),
        my_team_id=head.my_team_id,
        my_requests=head.my_requests,
        frozen=frozen_from(head.first_deadline, now),
    )


# --- a participant's dashboard -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ChallengeEntry:
    challenge: Challenge
    registration_status: str
    team: Team | None
    next_deadline: lifecycle.Milestone | None
    work: list[RoundWork]


async def participant_dashboard(
    session: AsyncSession, actor: Actor, now: dt.datetime
) -> list[ChallengeEntry]:
    """Every challenge the actor registered for: the registration, their team, the next deadline and the
    team's submission per round. Three queries, whatever the number of challenges."""
    authz.require(actor, "participant:dashboard")
    rows = (
        await session.execute(
            select(Registration.status, Challenge, Team)
            .join(Challenge, Challenge.id == Registration.challenge_id)
            .outerjoin(
                TeamMember,
                (TeamMember.challenge_id == Registration.challenge_id)
                & (TeamMember.user_id == Registration.user_id),
            )
            .outerjoin(Team, Team.id == TeamMember.team_id)
            .where(Registration.user_id == actor.id)
            .order_by(Challenge.title, Challenge.id)
        )
    ).all()
    rounds: dict[uuid.UUID, list[Round]] = {}
    for round_ in await session.scalars(
        select(Round)
        .where(Round.challenge_id.in_([row.Challenge.id for row in rows]))
        .order_by(Round.position)
    ):
        rounds.setdefault(round_.challenge_id, []).append(round_)
    team_ids = [row.Team.id for row in rows if row.Team is not None]
    submissions = {
        (s.team_id, s.round_id): s
        for s in await session.scalars(select(Submission).where(Submission.team_id.in_(team_ids)))
    }
    entries = []
    for status, challenge, team in rows:
        challenge_rounds = rounds.get(challenge.id, [])
        work = [
            RoundWork(round_, submissions.get((team.id, round_.id)) if team else None)
            for round_ in challenge_rounds
        ]
        entries.append(
            ChallengeEntry(
                challenge, status, team, lifecycle.next_deadline(challenge, challenge_rounds, now), work
            )
        )
    return entries
