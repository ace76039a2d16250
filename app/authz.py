"""Who may do what: the only module that knows.

Permissions are plain data. An action is "<object>:<verb>". A role is either global (`visitor`
for everyone, `user` for anyone signed in, `admin` for platform operators) or a relation between
the actor and one object (`org_owner`, `org_member`, and later `founder`, `judge`, `steward`, ...),
computed by the `relations_*` helpers below from membership rows. `can()` answers from the table;
`require()` turns a "no" into 404 when the actor may not even see the object (so its existence
does not leak) and into 403 when they may see it but not act on it. Lists are scoped in SQL by the
`visible_*` helpers, never filtered in Python.

Admins read everything for support, but act only through the actions listed for them: being an
operator does not make someone a founder, judge or steward.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import select

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

# The vocabulary. Every action appears in the test matrix for every role.
ACTIONS: frozenset[str] = frozenset(
    {
        "account:view",  # one's own profile, tokens, notifications
        "account:edit",  # one's own profile, password, API tokens
        "organization:list",
        "organization:create",
        "organization:view",
        "organization:edit",
        "organization:invite",
        "organization:manage_members",
        "organization:leave",
        "organization:verify",
        "audit:view_all",
        "mail_log:view",
        "user:list",
        "user:grant_admin",
    }
)

ROLES: tuple[str, ...] = ("visitor", "user", "org_member", "org_owner", "admin")

_USER = {"account:view", "account:edit", "organization:list", "organization:create", "organization:view"}
_MEMBER = _USER | {"organization:leave"}
_OWNER = _MEMBER | {"organization:edit", "organization:invite", "organization:manage_members"}
_ADMIN = _USER | {"organization:verify", "audit:view_all", "mail_log:view", "user:list", "user:grant_admin"}

PERMISSIONS: dict[str, frozenset[str]] = {
    "visitor": frozenset(),
    "user": frozenset(_USER),
    "org_member": frozenset(_MEMBER),
    "org_owner": frozenset(_OWNER),
    "admin": frozenset(_ADMIN),
}

# For require(): which action means "may see this object at all".
VIEW_ACTION = {"organization": "organization:view", "audit": "audit:view_all", "mail_log": "mail_log:view"}


def roles_of(actor: Actor | None, relations: Iterable[str] = ()) -> set[str]:
    roles = {"visitor"}
    if actor is not None:
        roles.add("user")
        roles.update(relations)
        if actor.is_admin:
            roles.add("admin")
    return roles


def can(actor: Actor | None, action: str, relations: Iterable[str] = ()) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return any(action in PERMISSIONS[role] for role in roles_of(actor, relations))


def require(actor: Actor | None, action: str, relations: Iterable[str] = ()) -> None:
    """Raise unless allowed: 404 when the object is not even visible to the actor, 403 otherwise."""
    relations = tuple(relations)
    if can(actor, action, relations):
        return
    view = VIEW_ACTION.get(action.split(":", 1)[0])
    if view is None or not can(actor, view, relations):
        raise NotFoundException()
    raise PermissionDeniedException()


# --- relations ---------------------------------------------------------------------------------------


async def relations_to_organization(session: AsyncSession, actor: Actor | None, organization_id: uuid.UUID) -> set[str]:
    from app.organizations.models import OrganizationMember

    if actor is None:
        return set()
    role = await session.scalar(
        select(OrganizationMember.role).where(
            OrganizationMember.organization_id == organization_id, OrganizationMember.user_id == actor.id
        )
    )
    if role is None:
        return set()
    return {"org_owner" if role == "owner" else "org_member"}
