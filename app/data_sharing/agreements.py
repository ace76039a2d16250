"""A dataset's stewards and its data use agreement versions.

Stewards are members of the steward organization; a dataset never has zero stewards (the dataset row is
locked while stewards change, so two stewards removing each other at once cannot both succeed). A new
agreement version is simply recorded: the access rule requires every grantee to accept the version in
force before their next access.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.data_sharing.datasets import agreement_input, load_dataset
from app.data_sharing.models import AgreementVersion, DatasetSteward
from app.organizations.models import OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def add_steward(session: AsyncSession, actor: Actor, slug: str, user_id: uuid.UUID | None) -> User:
    """Name a member of the steward organization steward of the dataset."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage", lock=True)
    member = None
    if user_id is not None:
        member = await session.scalar(
            select(User)
            .join(OrganizationMember, OrganizationMember.user_id == User.id)
            .where(OrganizationMember.organization_id == dataset.steward_organization_id, User.id == user_id)
        )
    if member is None:
        raise InvalidInput({"user": _("Choose a member of the steward organization.")})
    already = await session.get(DatasetSteward, (dataset.id, member.id))
    if already is not None:
        raise InvalidInput({"user": _("%(name)s is already a steward.", name=member.name)})
    session.add(DatasetSteward(dataset_id=dataset.id, user_id=member.id))
    await session.flush()
    await audit.record(
        session, actor, "dataset:add_steward", "dataset", dataset.id, {"user_id": str(member.id)}
    )
    return member


async def remove_steward(session: AsyncSession, actor: Actor, slug: str, user_id: uuid.UUID) -> User:
    """Remove a steward (oneself included), never the last one."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage", lock=True)
    steward = await session.get(DatasetSteward, (dataset.id, user_id))
    if steward is None:
        raise NotFoundException()
    count = await session.scalar(select(func.count()).where(DatasetSteward.dataset_id == dataset.id))
    if (count or 0) <= 1:
        raise Conflict(_("A dataset needs at least one steward. Name another steward first."))
    user = await session.get_one(User, user_id)
    await session.execute(
        delete(DatasetSteward).where(
            DatasetSteward.dataset_id == dataset.id, DatasetSteward.user_id == user_id
        )
    )
    await audit.record(
        session, actor, "dataset:remove_steward", "dataset", dataset.id, {"user_id": str(user_id)}
    )
    return user


async def agreement_versions(session: AsyncSession, actor: Actor, slug: str) -> list[AgreementVersion]:
    """Every version, the one in force first. Anyone who may see the dataset may read its agreement."""
    dataset, _relations = await load_dataset(session, actor, slug)
    return list(
        await session.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.dataset_id == dataset.id)
            .order_by(AgreementVersion.version.desc())
        )
    )


async def publish_agreement(session: AsyncSession, actor: Actor, slug: str, text: str) -> AgreementVersion:
    """A new version of the agreement, numbered after the last one (the dataset row is locked meanwhile)."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage", lock=True)
    body = agreement_input(text)
    last = await session.scalar(
        select(func.max(AgreementVersion.version)).where(AgreementVersion.dataset_id == dataset.id)
    )
    version = AgreementVersion(
        dataset_id=dataset.id, version=(last or 0) + 1, text=body, created_by_id=actor.id
    )
    session.add(version)
    await session.flush()
    await audit.record(
        session, actor, "dataset:new_agreement", "dataset", dataset.id, {"version": version.version}
    )
    return version
