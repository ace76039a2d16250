"""The life of memberships: owners change roles and remove people, members leave.

An organization always keeps at least one owner. Every change here first locks the organization's
row, so two owners demoting (or removing) each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import delete, func, select, update

from app.accounts.models import User
from app.organizations.models import MEMBER_ROLES, Organization, OrganizationMember
from app.organizations.services import MemberRow, authorized_organization
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


def _last_owner() -> Conflict:
    return Conflict(_("An organization must keep at least one owner. Make someone else an owner first."))


async def change_member_role(
    session: AsyncSession, actor: Actor, slug: str, user_id: uuid.UUID, role: str
) -> None:
    """Owners make a member an owner or an owner a member, never demoting the last owner."""
    organization, _relations = await authorized_organization(
        session, actor, slug, "organization:manage_members", lock=True
    )
    if role not in MEMBER_ROLES:
        raise InvalidInput({"role": _("Choose a role from the list.")})
    member = await _member(session, organization.id, user_id)
    if member.role == role:
        return
    if member.role == "owner" and await _owner_count(session, organization.id) <= 1:
        raise _last_owner()
    await session.execute(
        update(OrganizationMember)
        .where(OrganizationMember.organization_id == organization.id, OrganizationMember.user_id == user_id)
        .values(role=role)
    )
    await audit.record(
        session,
        actor,
        "organization:role_change",
        "organization",
        organization.id,
        {"user_id": str(user_id), "email": member.email, "from": member.role, "to": role},
    )


async def remove_member(session: AsyncSession, actor: Actor, slug: str, user_id: uuid.UUID) -> None:
    """Owners remove someone from the organization, unless that would leave it without an owner."""
    organization, _relations = await authorized_organization(
        session, actor, slug, "organization:manage_members", lock=True
    )
    member = await _member(session, organization.id, user_id)
    await _delete_membership(session, organization, member)
    await audit.record(
        session,
        actor,
        "organization:member_remove",
        "organization",
        organization.id,
        {"user_id": str(user_id), "email": member.email, "role": member.role},
    )


async def leave_organization(session: AsyncSession, actor: Actor, slug: str) -> Organization:
    """A member leaves; the last owner must hand over ownership first."""
    organization, _relations = await authorized_organization(
        session, actor, slug, "organization:leave", lock=True
    )
    member = await _member(session, organization.id, actor.id)
    await _delete_membership(session, organization, member)
    await audit.record(
        session, actor, "organization:member_leave", "organization", organization.id, {"role": member.role}
    )
    return organization


async def _delete_membership(session: AsyncSession, organization: Organization, member: MemberRow) -> None:
    # The caller holds the organization's row lock, so the count cannot change under us.
    if member.role == "owner" and await _owner_count(session, organization.id) <= 1:
        raise _last_owner()
    await session.execute(
        delete(OrganizationMember).where(
            OrganizationMember.organization_id == organization.id,
            OrganizationMember.user_id == member.user_id,
        )
    )


async def _member(session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID) -> MemberRow:
    row = (
        await session.execute(
            select(User.id, User.name, User.email, OrganizationMember.role, OrganizationMember.created_at)
            .join(User, User.id == OrganizationMember.user_id)
            .where(
                OrganizationMember.organization_id == organization_id, OrganizationMember.user_id == user_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    return MemberRow(*row)


async def _owner_count(session: AsyncSession, organization_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count()).where(
                OrganizationMember.organization_id == organization_id, OrganizationMember.role == "owner"
            )
        )
        or 0
    )
