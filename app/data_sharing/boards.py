"""The team's data board and the founders' list of grants: per dataset offered to the challenge, the team's
request and grant, and per member whether they are named, accepted the agreement in force, and may access
now (the access rule's own conditions, app.data_sharing.access), until when.

A fixed number of queries whatever the number of datasets, members or grants: every list is read at once
and joined in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.queries import load_challenge
from app.data_sharing.access import _first_failure
from app.data_sharing.grants import status_of
from app.data_sharing.models import (
    AccessRequest,
    AgreementAcceptance,
    AgreementVersion,
    Dataset,
    DatasetFile,
    Grant,
    GrantMember,
    Offering,
)
from app.data_sharing.requests import UNDER_WAY, open_to_team
from app.teams.models import Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class MemberAccess:
    user_id: uuid.UUID
    name: str
    named: bool
    accepted: bool
    allowed: bool
    reason: str
    until: dt.datetime | None  # while allowed; `reason` (a code of app.data_sharing.access.REASONS) otherwise


@dataclasses.dataclass(frozen=True, slots=True)
class DatasetLine:
    dataset: Dataset
    offering: Offering
    request: AccessRequest | None
    grant: Grant | None
    grant_status: str
    members: list[MemberAccess]
    # The captain may start a request: the offering is open to the team's round, and the team has no
    # request under way nor a grant in force or to come on the dataset.
    may_request: bool = False
    closed_to_team: bool = False  # offered only from a round the team has not entered


@dataclasses.dataclass(frozen=True, slots=True)
class TeamBoard:
    team: Team
    challenge: Challenge
    lines: list[DatasetLine]
    is_captain: bool  # may request access (otherwise the page says the captain does)


@dataclasses.dataclass(frozen=True, slots=True)
class _RuleRow:
    """The access rule's conditions for one member and one grant, as app.data_sharing.access reads them."""

    revoked_at: dt.datetime | None
    starts_at: dt.datetime
    expires_at: dt.datetime
    named: bool
    removed: bool
    in_team: bool
    accepted: bool


async def _latest_by_dataset(
    session: AsyncSession, model: Any, team_id: uuid.UUID, *order: Any
) -> dict[uuid.UUID, Any]:
    rows = await session.scalars(
        select(model)
        .ext(distinct_on(model.dataset_id))
        .where(model.team_id == team_id)
        .order_by(model.dataset_id, *order)
    )
    return {row.dataset_id: row for row in rows}


async def _acceptance(
    session: AsyncSession, dataset_ids: list[uuid.UUID], user_ids: list[uuid.UUID]
) -> tuple[dict, set]:
    in_force = dict(
        (await session.execute(
            select(AgreementVersion.dataset_id, func.max(AgreementVersion.version))
            .where(AgreementVersion.dataset_id.in_(dataset_ids)).group_by(AgreementVersion.dataset_id)
        )).all()
    )  # fmt: skip
    accepted = (
        await session.execute(
            select(
                AgreementAcceptance.dataset_id,
                AgreementAcceptance.user_id,
                func.max(AgreementAcceptance.version),
            )
            .where(AgreementAcceptance.dataset_id.in_(dataset_ids), AgreementAcceptance.user_id.in_(user_ids))
            .group_by(AgreementAcceptance.dataset_id, AgreementAcceptance.user_id)
        )
    ).all()
    return in_force, {(d, u) for d, u, version in accepted if version >= in_force.get(d, 1)}


def _member_line(
    member: Any, grant: Grant | None, named: dict, accepted: set, dataset_id: uuid.UUID, now: dt.datetime
) -> MemberAccess:
    on_grant = named.get((grant.id, member.id)) if grant else None
    has_accepted = (dataset_id, member.id) in accepted
    if grant is None:
        return MemberAccess(member.id, member.name, False, has_accepted, False, "no_grant", None)
    rule = _RuleRow(grant.revoked_at, grant.starts_at, grant.expires_at, on_grant is not None,
                    on_grant is not None and on_grant.removed_at is not None, True, has_accepted)  # fmt: skip
    reason = _first_failure(rule, now)
    return MemberAccess(member.id, member.name, rule.named and not rule.removed, has_accepted, not reason, reason,
                        grant.expires_at if not reason else None)  # fmt: skip


async def team_board(session: AsyncSession, actor: Actor, team_id: uuid.UUID, now: dt.datetime) -> TeamBoard:
    """The team's board, for its members (404 for anyone else)."""
    row = (
        await session.execute(
            select(Team, Challenge)
            .join(Challenge, Challenge.id == Team.challenge_id)
            .where(Team.id == team_id)
        )
    ).first()
    if row is None:
        raise NotFoundException()
    team, challenge = row
    relations = await authz.relations_to_team(session, actor, team, challenge)
    authz.require(actor, "access_request:view", relations)
    is_captain = authz.can(actor, "access_request:create", relations)
    offered = (await session.execute(
        select(Offering, Dataset).join(Dataset, Dataset.id == Offering.dataset_id)
        .where(Offering.challenge_id == challenge.id, Offering.withdrawn_at.is_(None),
               Offering.founder_agreed_at.is_not(None), Offering.steward_agreed_at.is_not(None))
        .order_by(Dataset.title)
    )).all()  # fmt: skip
    requests = await _latest_by_dataset(session, AccessRequest, team.id, AccessRequest.created_at.desc())
    grants = await _latest_by_dataset(
        session, Grant, team.id, Grant.revoked_at.is_not(None), Grant.expires_at.desc()
    )
    members = (await session.execute(
        select(User.id, User.name).join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id).order_by(User.name)
    )).all()  # fmt: skip
    grant_ids = [grant.id for grant in grants.values()]
    named = {
        (m.grant_id, m.user_id): m
        for m in await session.scalars(select(GrantMember).where(GrantMember.grant_id.in_(grant_ids)))
    }
    _in_force, accepted = await _acceptance(session, [d.id for _o, d in offered], [m.id for m in members])
    open_offerings = await open_to_team(session, team.id, [o for o, _d in offered]) if is_captain else set()
    lines = []
    for offering, dataset in offered:
        grant = grants.get(dataset.id)
        request, grant_status = requests.get(dataset.id), status_of(grant, now) if grant else ""
        may_request = (
            offering.id in open_offerings
            and (request is None or request.state not in UNDER_WAY)
            and grant_status not in ("active", "scheduled")
        )
        lines.append(DatasetLine(
            dataset, offering, request, grant, grant_status,
            [_member_line(m, grant, named, accepted, dataset.id, now) for m in members], may_request,
            is_captain and offering.id not in open_offerings,
        ))  # fmt: skip
    return TeamBoard(team, challenge, lines, is_captain)


@dataclasses.dataclass(frozen=True, slots=True)
class FounderGrant:
    team: str
    dataset: str
    grant: Grant
    status: str
    named: int


async def founder_grants(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime
) -> tuple[Challenge, list[FounderGrant]]:
    """Per team, the grants it holds on the challenge's datasets: periods and counts only, never content."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "grant:view", visible.relations)
    named = (
        select(func.count())
        .where(GrantMember.grant_id == Grant.id, GrantMember.removed_at.is_(None))
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Team.name, Dataset.title, Grant, named)
        .join(Team, Team.id == Grant.team_id)
        .join(Dataset, Dataset.id == Grant.dataset_id)
        .where(Grant.challenge_id == visible.challenge.id)
        .order_by(Team.name, Dataset.title, Grant.expires_at.desc())
    )
    return visible.challenge, [FounderGrant(t, d, g, status_of(g, now), n) for t, d, g, n in rows]


async def readable_files(
    session: AsyncSession, actor: Actor, lines: list[DatasetLine]
) -> dict[uuid.UUID, list[DatasetFile]]:
    """What the team board offers the reader to open: for each dataset the reader may access now (their own
    line of the board), its current files (none for a workspace dataset, whose instructions are opened
    instead). The download itself runs the access rule again. One query at most."""
    readable = [
        line.dataset for line in lines if any(m.user_id == actor.id and m.allowed for m in line.members)
    ]  # fmt: skip
    by_dataset: dict[uuid.UUID, list[DatasetFile]] = {dataset.id: [] for dataset in readable}
    with_files = [dataset.id for dataset in readable if dataset.access_mode == "files"]
    if with_files:
        rows = await session.scalars(
            select(DatasetFile).where(DatasetFile.dataset_id.in_(with_files), DatasetFile.removed_at.is_(None))
            .order_by(DatasetFile.name, DatasetFile.created_at)
        )  # fmt: skip
        for file in rows:
            by_dataset[file.dataset_id].append(file)
    return by_dataset
