"""Operators' verbs: the dashboard's figures, the list of people, and granting or revoking admin rights."""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import func, or_, select

from app import authz
from app.accounts.models import User
from app.admin.audit import AuditRow, latest_entries
from app.organizations.services import organization_counts
from app.platform import audit
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.platform.pagination import Page, paginate

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 25


@dataclasses.dataclass(frozen=True, slots=True)
class Dashboard:
    users: int
    admins: int
    organizations: int
    awaiting_verification: int
    latest: list[AuditRow]


async def dashboard(session: AsyncSession, actor: Actor) -> Dashboard:
    """The figures an operator checks first, and the latest governance actions."""
    authz.require(actor, "admin:dashboard")
    users, admins = (
        await session.execute(select(func.count(), func.count().filter(User.is_admin)).select_from(User))
    ).one()
    organizations, unverified = await organization_counts(session, actor)
    latest = await latest_entries(session, actor, limit=10)
    return Dashboard(users, admins, organizations, unverified, latest)


async def list_users(session: AsyncSession, actor: Actor, *, query: str = "", page: int = 1) -> Page[User]:
    """Everyone with an account, searched by name or e-mail, newest first."""
    authz.require(actor, "user:list")
    statement = select(User)
    if query.strip():
        needle = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
        statement = statement.where(
            or_(User.email.icontains(needle, autoescape=True), User.name.icontains(needle, autoescape=True))
        )
    result = await paginate(session, statement.order_by(User.created_at.desc(), User.id), page, PAGE_SIZE)
    return dataclasses.replace(result, items=[row[0] for row in result.items])


async def grant_admin(session: AsyncSession, actor: Actor | None, user_id: uuid.UUID) -> User:
    """Make someone an administrator; audited. Granting to an admin changes nothing and records nothing.

    `actor=None` is the operator at the command line (`create-admin`), who already holds the
    server; every web route requires a signed-in actor, so it never passes None.
    """
    if actor is not None:
        authz.require(actor, "user:grant_admin")
    user = await _user_for_update(session, user_id)
    if not user.is_admin:
        user.is_admin = True
        await session.flush()
        details = {"email": user.email} if actor is not None else {"email": user.email, "via": "command line"}
        await audit.record(session, actor, "user:grant_admin", "user", user.id, details)
    return user


async def revoke_admin(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    """Withdraw someone's admin right; audited. Nobody removes their own, so an admin always remains."""
    authz.require(actor, "user:grant_admin")
    if user_id == actor.id:
        raise Conflict(_("You cannot remove your own administrator right. Ask another administrator."))
    user = await _user_for_update(session, user_id)
    if user.is_admin:
        user.is_admin = False
        await session.flush()
        await audit.record(session, actor, "user:revoke_admin", "user", user.id, {"email": user.email})
    return user


async def _user_for_update(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFoundException()
    return user
