"""What the offering pages list: a challenge's data (available offerings with their Five Safes and the
agreement in force, for whoever may see the challenge; pending ones for its founders) and a dataset's
offerings (for its stewards). A fixed number of statements whatever the number of offerings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import distinct_on

from app import authz
from app.challenges.models import Challenge, ChallengeOrganizer, Round
from app.data_sharing import requests
from app.data_sharing.datasets import load_dataset
from app.data_sharing.models import AgreementVersion, Dataset, Offering
from app.data_sharing.offerings import _challenge, is_available
from app.db import utcnow
from app.organizations.models import OrganizationMember
from app.teams.models import TeamMember

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(slots=True)
class Item:
    offering: Offering
    dataset: Dataset
    challenge: Challenge
    round_name: str | None
    agreement: AgreementVersion | None = None


@dataclasses.dataclass(slots=True)
class ChallengeData:
    challenge: Challenge
    is_founder: bool
    available: list[Item]
    pending: list[Item]
    datasets: list[Dataset]  # those a founder may still ask for
    rounds: list[Round]
    # The reader's team in the challenge (None when they have none), whether they are its captain, and the
    # offerings the captain may request now.
    team_id: uuid.UUID | None = None
    is_captain: bool = False
    requestable: set[uuid.UUID] = dataclasses.field(default_factory=set)


async def _items(session: AsyncSession, *criteria: ColumnElement[bool]) -> list[Item]:
    rows = await session.execute(
        select(Offering, Dataset, Challenge, Round.name)
        .join(Dataset, Dataset.id == Offering.dataset_id)
        .join(Challenge, Challenge.id == Offering.challenge_id)
        .outerjoin(Round, Round.id == Offering.from_round_id)
        .where(*criteria)
        .order_by(Dataset.title, Challenge.title, Offering.id)
    )
    return [
        Item(offering, dataset, challenge, round_name) for offering, dataset, challenge, round_name in rows
    ]


async def _with_agreements(session: AsyncSession, items: list[Item]) -> None:
    """The agreement version in force of each item's dataset, in one statement."""
    ids = {item.dataset.id for item in items}
    if not ids:
        return
    versions = await session.scalars(
        select(AgreementVersion)
        .where(AgreementVersion.dataset_id.in_(ids))
        .ext(distinct_on(AgreementVersion.dataset_id))
        .order_by(AgreementVersion.dataset_id, AgreementVersion.version.desc())
    )
    current = {version.dataset_id: version for version in versions}
    for item in items:
        item.agreement = current.get(item.dataset.id)


async def challenge_data(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime | None = None
) -> ChallengeData:
    challenge, relations = await _challenge(session, actor, slug)
    founder = authz.can(actor, "offering:ask", relations)
    criteria = [Offering.challenge_id == challenge.id, Offering.withdrawn_at.is_(None)]
    items = await _items(session, *criteria)
    available = [item for item in items if is_available(item.offering)]
    pending = [item for item in items if not is_available(item.offering)] if founder else []
    await _with_agreements(session, available + pending)
    datasets: list[Dataset] = []
    rounds: list[Round] = []
    if founder:
        taken = {item.dataset.id for item in items}
        datasets = [
            dataset
            for dataset in await session.scalars(
                select(Dataset).where(Dataset.archived_at.is_(None)).order_by(Dataset.title).limit(500)
            )
            if dataset.id not in taken
        ]
        rounds = list(
            await session.scalars(
                select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position)
            )
        )
    data = ChallengeData(challenge, founder, available, pending, datasets, rounds)
    membership = (await session.execute(
        select(TeamMember.team_id, TeamMember.role)
        .where(TeamMember.challenge_id == challenge.id, TeamMember.user_id == actor.id)
    )).first()  # fmt: skip
    if membership is not None:
        team_relations = (
            relations | {"team_member"} | ({"captain"} if membership.role == "captain" else set())
        )
        data.team_id, data.is_captain = (
            membership.team_id,
            authz.can(actor, "access_request:create", team_relations),
        )
        if data.is_captain and available:
            offerings = [item.offering for item in available]
            data.requestable = await requests.requestable(
                session, membership.team_id, offerings, now or utcnow()
            )
    return data


@dataclasses.dataclass(slots=True)
class DatasetOfferings:
    dataset: Dataset
    items: list[Item]
    challenges: list[Challenge]  # those a steward may still offer it to
    rounds: dict[uuid.UUID, list[Round]] = dataclasses.field(
        default_factory=dict
    )  # by challenge, for "from round"


async def dataset_offerings(session: AsyncSession, actor: Actor, slug: str) -> DatasetOfferings:
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage")
    items = await _items(session, Offering.dataset_id == dataset.id)
    taken = {item.challenge.id for item in items if item.offering.withdrawn_at is None}
    challenges = await session.scalars(
        select(Challenge)
        .where(authz.visible_challenges(actor), Challenge.published_at.is_not(None))
        .order_by(Challenge.title)
        .limit(500)
    )
    open_to = [c for c in challenges if c.id not in taken]
    rounds: dict[uuid.UUID, list[Round]] = {challenge.id: [] for challenge in open_to}
    if open_to:
        for round_ in await session.scalars(
            select(Round)
            .where(Round.challenge_id.in_(list(rounds)))
            .order_by(Round.challenge_id, Round.position)
        ):
            rounds[round_.challenge_id].append(round_)
    return DatasetOfferings(dataset, items, open_to, rounds)


async def founded_challenges(session: AsyncSession, actor: Actor, dataset_id: uuid.UUID) -> list[Challenge]:
    """The challenges the actor founds that have no open offering of the dataset: where they may ask for it."""
    open_offering = select(Offering.id).where(
        and_(
            Offering.challenge_id == Challenge.id,
            Offering.dataset_id == dataset_id,
            Offering.withdrawn_at.is_(None),
        )
    )
    founder = (
        select(ChallengeOrganizer.challenge_id)
        .join(OrganizationMember, OrganizationMember.organization_id == ChallengeOrganizer.organization_id)
        .where(ChallengeOrganizer.challenge_id == Challenge.id, OrganizationMember.user_id == actor.id)
    )
    return list(
        await session.scalars(
            select(Challenge).where(founder.exists(), ~open_offering.exists()).order_by(Challenge.title)
        )
    )
