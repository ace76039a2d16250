"""Business verbs of organizations: create, edit, list, show and verify.

Invariants kept here: a slug is unique and never chosen by the client; the creator is the first
owner. Memberships are changed in app.organizations.members, invitations in .invitations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import unicodedata
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts.models import User
from app.db import utcnow
from app.organizations.models import (
    ORGANIZATION_KINDS,
    Organization,
    OrganizationInvitation,
    OrganizationMember,
)
from app.organizations.schemas import OrganizationInput, organization_input
from app.platform import audit
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.platform.pagination import Page, paginate

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 20
SLUG_MAX = 60
# Paths under /organizations/ that a slug must not shadow.
RESERVED_SLUGS = frozenset({"new"})


@dataclasses.dataclass(frozen=True, slots=True)
class OrganizationRow:
    """An organization as lists show it, with what it costs nothing to fetch in the same query."""

    organization: Organization
    member_count: int
    my_role: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    since: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class OrganizationDetail:
    organization: Organization
    member_count: int
    relations: frozenset[str]
    # None when the actor may not see them (members are for members; invitations for owners).
    members: list[MemberRow] | None
    invitations: list[OrganizationInvitation] | None


# --- organizations -------------------------------------------------------------------------------------


async def create_organization(
    session: AsyncSession, actor: Actor, *, name: str, kind: str, country: str, website: str | None
) -> Organization:
    """Create an organization with a fresh unique slug; its creator becomes its first owner."""
    authz.require(actor, "organization:create")
    data = organization_input(name, kind, country, website)
    organization = await _insert_with_free_slug(session, actor, data)
    session.add(OrganizationMember(organization_id=organization.id, user_id=actor.id, role="owner"))
    await session.flush()
    await audit.record(
        session,
        actor,
        "organization:create",
        "organization",
        organization.id,
        {"name": organization.name, "slug": organization.slug, "kind": organization.kind},
    )
    return organization


async def _insert_with_free_slug(
    session: AsyncSession, actor: Actor, data: OrganizationInput
) -> Organization:
    base = slugify(data.name)
    for attempt in range(3):
        # A concurrent creation may take the same slug between our look-up and our insert: the
        # unique constraint refuses it, and we try again with a random suffix.
        slug = await _free_slug(session, base) if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        organization = Organization(
            name=data.name,
            slug=slug,
            kind=data.kind,
            country=data.country,
            website=data.website,
            created_by_id=actor.id,
        )
        try:
            async with session.begin_nested():
                session.add(organization)
                await session.flush()
        except IntegrityError:
            continue
        return organization
    raise Conflict(_("This organization could not be created just now. Please try again."))


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug or "organization"


async def _free_slug(session: AsyncSession, base: str) -> str:
    taken = set(
        await session.scalars(
            select(Organization.slug).where(
                (Organization.slug == base) | Organization.slug.startswith(base + "-", autoescape=True)
            )
        )
    )
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


async def update_organization(
    session: AsyncSession, actor: Actor, slug: str, *, name: str, kind: str, country: str, website: str | None
) -> Organization:
    """Owners change the details; the slug stays, so links already shared keep working."""
    organization, _relations = await authorized_organization(session, actor, slug, "organization:edit")
    data = organization_input(name, kind, country, website)
    changed = {
        field: getattr(data, field)
        for field in ("name", "kind", "country", "website")
        if getattr(organization, field) != getattr(data, field)
    }
    if not changed:
        return organization
    for field, value in changed.items():
        setattr(organization, field, value)
    await session.flush()
    await audit.record(
        session, actor, "organization:edit", "organization", organization.id, {"changed": changed}
    )
    return organization


async def list_organizations(
    session: AsyncSession, actor: Actor, *, query: str = "", kind: str = "", page: int = 1
) -> Page[OrganizationRow]:
    """The directory: every organization visible to the actor, searched by name and filtered by kind."""
    authz.require(actor, "organization:list")
    return await _listing(
        session, actor, authz.visible_organizations(actor), query=query, kind=kind, page=page
    )


async def organizations_for_review(
    session: AsyncSession, actor: Actor, *, status: str = "unverified", query: str = "", page: int = 1
) -> Page[OrganizationRow]:
    """Admins' list of organizations by verification status ("unverified", "verified" or "all")."""
    # A screen of the administration: hidden (404) from everyone else, like the rest of it.
    authz.require(actor, "admin:dashboard")
    authz.require(actor, "organization:verify")
    conditions = {
        "unverified": Organization.verified_at.is_(None),
        "verified": Organization.verified_at.is_not(None),
        "all": authz.visible_organizations(actor),
    }
    if status not in conditions:
        raise ClientException(detail=_("Unknown verification status."))
    return await _listing(
        session, actor, conditions[status], query=query, page=page, oldest_first=status == "unverified"
    )


async def organization_counts(session: AsyncSession, actor: Actor) -> tuple[int, int]:
    """How many organizations there are, and how many await verification (for the admin dashboard)."""
    authz.require(actor, "organization:verify")
    total, unverified = (
        await session.execute(
            select(func.count(), func.count().filter(Organization.verified_at.is_(None))).select_from(
                Organization
            )
        )
    ).one()
    return total, unverified


async def _listing(
    session: AsyncSession,
    actor: Actor,
    condition: ColumnElement[bool],
    *,
    query: str = "",
    kind: str = "",
    page: int = 1,
    oldest_first: bool = False,
) -> Page[OrganizationRow]:
    # Counts and the actor's role come from correlated subqueries: one query per page, however long.
    statement = select(Organization, _member_count(), _role_of(actor)).where(condition)
    if query.strip():
        statement = statement.where(
            Organization.name.icontains(query.replace("\x00", "").strip(), autoescape=True)
        )
    if kind:
        if kind not in ORGANIZATION_KINDS:
            raise ClientException(detail=_("Unknown kind of organization."))
        statement = statement.where(Organization.kind == kind)
    order = (
        (Organization.created_at, Organization.id)
        if oldest_first
        else (func.lower(Organization.name), Organization.id)
    )
    result = await paginate(session, statement.order_by(*order), page, PAGE_SIZE)
    return dataclasses.replace(result, items=[OrganizationRow(*row) for row in result.items])


def _member_count():
    return (
        select(func.count())
        .where(OrganizationMember.organization_id == Organization.id)
        .correlate(Organization)
        .scalar_subquery()
    )


def _role_of(actor: Actor):
    return (
        select(OrganizationMember.role)
        .where(OrganizationMember.organization_id == Organization.id, OrganizationMember.user_id == actor.id)
        .correlate(Organization)
        .scalar_subquery()
    )


async def get_organization(session: AsyncSession, actor: Actor, slug: str) -> OrganizationRow:
    """One organization with its member count and the actor's role in it, in one query."""
    row = (
        await session.execute(
            select(Organization, _member_count(), _role_of(actor)).where(Organization.slug == slug)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    result = OrganizationRow(*row)
    authz.require(actor, "organization:view", authz.relations_from_member_role(result.my_role))
    return result


async def organization_detail(session: AsyncSession, actor: Actor, slug: str) -> OrganizationDetail:
    """One organization with what the actor may see of it: members for members, invitations for owners."""
    row = await get_organization(session, actor, slug)
    organization = row.organization
    relations = frozenset(authz.relations_from_member_role(row.my_role))
    members = None
    if authz.can(actor, "organization:view_members", relations):
        members = await _members(session, organization.id)
    invitations = None
    if authz.can(actor, "organization:invite", relations):
        invitations = await _pending_invitations(session, organization.id)
    return OrganizationDetail(organization, row.member_count, relations, members, invitations)


async def list_members(session: AsyncSession, actor: Actor, slug: str) -> list[MemberRow]:
    """Members and their roles, owners first; for members of the organization and admins."""
    organization, _relations = await authorized_organization(
        session, actor, slug, "organization:view_members"
    )
    return await _members(session, organization.id)


async def _members(session: AsyncSession, organization_id: uuid.UUID) -> list[MemberRow]:
    rows = await session.execute(
        select(User.id, User.name, User.email, OrganizationMember.role, OrganizationMember.created_at)
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.organization_id == organization_id)
        # "owner" sorts after "member": descending puts the owners first.
        .order_by(OrganizationMember.role.desc(), func.lower(User.name), User.id)
    )
    return [MemberRow(*row) for row in rows]


async def _pending_invitations(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[OrganizationInvitation]:
    return list(
        await session.scalars(
            select(OrganizationInvitation)
            .where(
                OrganizationInvitation.organization_id == organization_id,
                OrganizationInvitation.accepted_at.is_(None),
                OrganizationInvitation.revoked_at.is_(None),
            )
            .order_by(OrganizationInvitation.created_at)
        )
    )


async def set_verified(session: AsyncSession, actor: Actor, slug: str, verified: bool) -> Organization:
    """Admins vouch for an organization (or withdraw it); each change is audited, a repeat is a no-op."""
    organization, _relations = await authorized_organization(
        session, actor, slug, "organization:verify", lock=True
    )
    if (organization.verified_at is not None) == verified:
        return organization
    organization.verified_at = utcnow() if verified else None
    organization.verified_by_id = actor.id if verified else None
    await session.flush()
    action = "organization:verify" if verified else "organization:unverify"
    await audit.record(session, actor, action, "organization", organization.id, {"name": organization.name})
    return organization


async def authorized_organization(
    session: AsyncSession, actor: Actor, slug: str, action: str, *, lock: bool = False
) -> tuple[Organization, set[str]]:
    """The organization behind a slug, once the actor is allowed `action` on it (404/403 otherwise)."""
    statement = select(Organization).where(Organization.slug == slug)
    if lock:
        statement = statement.with_for_update()
    organization = await session.scalar(statement)
    if organization is None:
        raise NotFoundException()
    relations = await authz.relations_to_organization(session, actor, organization.id)
    authz.require(actor, action, relations)
    return organization, relations
