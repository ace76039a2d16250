"""What the request page and the API show of a request: its named members and its history, internal
comments only to the dataset's stewards. A fixed number of queries whatever the length of the history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.data_sharing import requests
from app.data_sharing.models import AccessRequest, AccessRequestEvent, AgreementVersion, DatasetSteward, Grant
from app.platform.errors import Conflict
from app.teams.models import Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class EventRow:
    event: AccessRequestEvent
    actor_name: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class RequestPage:
    ctx: requests.RequestContext
    members: list[requests.NamedMember]
    events: list[EventRow]
    version: int
    # (user id, name) of the team's current members, for the captain's form.
    team_members: list[tuple[uuid.UUID, str]]
    # The grant the request made (or, for a request to add a member, the grant it amends), once approved.
    grant_id: uuid.UUID | None = None
    agreement: str = ""  # the text of the version in force, which named members read before accepting it

    @property
    def can_edit(self) -> bool:
        return "captain" in self.ctx.relations

    @property
    def steward(self) -> bool:
        return self.ctx.steward


async def events(session: AsyncSession, request_id: uuid.UUID, *, internal: bool) -> list[EventRow]:
    statement = (
        select(AccessRequestEvent, User.name)
        .outerjoin(User, User.id == AccessRequestEvent.actor_id)
        .where(AccessRequestEvent.request_id == request_id)
        .order_by(AccessRequestEvent.seq)
    )
    if not internal:
        statement = statement.where(AccessRequestEvent.internal.is_(False))
    return [EventRow(*row) for row in (await session.execute(statement)).all()]


async def request_page(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> RequestPage:
    ctx = await requests.load(session, actor, request_id, "access_request:view")
    members = await requests.named_members(session, ctx)
    history = await events(session, request_id, internal=ctx.steward)
    current = (await session.execute(
        select(AgreementVersion.version, AgreementVersion.text).where(AgreementVersion.dataset_id == ctx.dataset.id)
        .order_by(AgreementVersion.version.desc()).limit(1)
    )).first()  # fmt: skip
    version, agreement = (current.version, current.text) if current else (0, "")
    team_members: list[tuple[uuid.UUID, str]] = []
    if "captain" in ctx.relations:
        rows = await session.execute(
            select(User.id, User.name).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == ctx.team.id).order_by(func.lower(User.name))
        )  # fmt: skip
        team_members = [(user_id, name) for user_id, name in rows.all()]
    grant_id = None
    if ctx.request.state == "approved":
        grant_id = ctx.request.amends_grant_id or await session.scalar(
            select(Grant.id).where(Grant.request_id == request_id)
        )
    return RequestPage(ctx, members, history, version, team_members, grant_id, agreement)


async def visible_requests(
    session: AsyncSession, actor: Actor, limit: int = 200
) -> list[tuple[AccessRequest, str]]:
    """The requests the actor may see: of their teams (members) and of the datasets they steward, newest first."""
    mine = select(TeamMember.team_id).where(TeamMember.user_id == actor.id)
    stewarded = select(DatasetSteward.dataset_id).where(DatasetSteward.user_id == actor.id)
    rows = await session.execute(
        select(AccessRequest, Team.name)
        .join(Team, Team.id == AccessRequest.team_id)
        .where(AccessRequest.team_id.in_(mine) | AccessRequest.dataset_id.in_(stewarded))
        .order_by(AccessRequest.created_at.desc(), AccessRequest.id)
        .limit(limit)
    )
    return [(request, name) for request, name in rows.all()]


def event_dict(row: EventRow) -> dict[str, Any]:
    event = row.event
    return {
        "seq": event.seq, "kind": event.kind, "from_state": event.from_state, "to_state": event.to_state,
        "actor": {"id": str(event.actor_id), "name": row.actor_name} if event.actor_id else None,
        "comment": event.comment, "internal": event.internal, "at": _iso(event.created_at),
    }  # fmt: skip


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclasses.dataclass(frozen=True, slots=True)
class NewRequest:
    offering_id: uuid.UUID
    dataset_title: str
    team: Team
    team_members: list[tuple[uuid.UUID, str]]
    # Why the team cannot request this offering (the 409 that saving would answer), shown instead of the form.
    refusal: Conflict | None = None


async def new_request(session: AsyncSession, actor: Actor, offering_id: uuid.UUID) -> NewRequest:
    """The form of a new request: the captain's team in the offering's challenge (404 when none), with the
    refusal `requests.create` would give for the offering itself (not agreed, withdrawn, not open to the
    team's round), so the page explains it rather than offering a form that can only fail."""
    from litestar.exceptions import NotFoundException

    from app import authz
    from app.challenges.models import Challenge
    from app.data_sharing.models import Dataset, Offering

    row = (
        await session.execute(
            select(Offering, Dataset.title, Team, Challenge)
            .join(Dataset, Dataset.id == Offering.dataset_id)
            .join(Challenge, Challenge.id == Offering.challenge_id)
            .join(
                TeamMember,
                (TeamMember.challenge_id == Offering.challenge_id) & (TeamMember.user_id == actor.id),
            )
            .join(Team, Team.id == TeamMember.team_id)
            .where(Offering.id == offering_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    offering, title, team, challenge = row
    relations = await authz.relations_to_team_data(session, actor, team, challenge, offering.dataset_id)
    authz.require(actor, "access_request:create", relations)
    try:
        await requests.open_offering(session, offering.id, team)
    except Conflict as exc:
        return NewRequest(offering.id, title, team, [], refusal=exc)
    rows = await session.execute(
        select(User.id, User.name).join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id).order_by(func.lower(User.name))
    )  # fmt: skip
    return NewRequest(offering.id, title, team, [(user_id, name) for user_id, name in rows.all()])
