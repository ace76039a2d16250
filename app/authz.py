"""Who may do what: the only module that knows.

Permissions are plain data. An action is "<object>:<verb>". A role is either global (`visitor`
for everyone, `user` for anyone signed in, `admin` for platform operators) or a relation between
the actor and one object (`org_owner`, `org_member`, `invitee`, and later `founder`, `judge`,
`steward`, ...), computed by the `relations_*` helpers below from membership rows. `can()` answers
from the table; `require()` turns a "no" into 404 when the actor may not even see the object (so
its existence does not leak) and into 403 when they may see it but not act on it. Lists are scoped
in SQL by the `visible_*` helpers, never filtered in Python.

Why the table looks like this:
- Organizations are a directory of who takes part, so every signed-in person sees every
  organization; who belongs to one, and with which role, is for its members (and admins) only.
- Owners run their organization: details, invitations, roles. Members may only leave. That no
  organization is ever left without an owner is a rule of the data, kept by the services.
- An invitation link is a capability: whoever holds it may read it (even before signing in, so
  they can choose to sign in or sign up), but only the person it was sent to, signed in with that
  e-mail address, may accept it.
- Admins read everything for support, but act only through the actions listed for them: being an
  operator does not make someone an owner, founder, judge or steward.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import false, select, true

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
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
        "organization:view_members",
        "organization:edit",
        "organization:invite",
        "organization:manage_members",  # change roles, remove members, revoke invitations
        "organization:leave",
        "organization:verify",
        "invitation:view",
        "invitation:accept",
        "admin:dashboard",
        "audit:view_all",  # the audit log page and its export
        "mail_log:view",
        "user:list",
        "user:grant_admin",  # grant and revoke
    }
)

ROLES: tuple[str, ...] = ("visitor", "user", "org_member", "org_owner", "invitee", "admin")

_VISITOR = {"invitation:view"}
_USER = _VISITOR | {"account:view", "account:edit", "organization:list", "organization:create", "organization:view"}
_MEMBER = _USER | {"organization:view_members", "organization:leave"}
_OWNER = _MEMBER | {"organization:edit", "organization:invite", "organization:manage_members"}
_INVITEE = _USER | {"invitation:accept"}
_ADMIN = _USER | {
    "organization:view_members",
    "organization:verify",
    "admin:dashboard",
    "audit:view_all",
    "mail_log:view",
    "user:list",
    "user:grant_admin",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "visitor": frozenset(_VISITOR),
    "user": frozenset(_USER),
    "org_member": frozenset(_MEMBER),
    "org_owner": frozenset(_OWNER),
    "invitee": frozenset(_INVITEE),
    "admin": frozenset(_ADMIN),
}

# For require(): which action means "may see this object at all".
VIEW_ACTION = {
    "organization": "organization:view",
    "invitation": "invitation:view",
    "admin": "admin:dashboard",
    "audit": "audit:view_all",
    "mail_log": "mail_log:view",
    "user": "user:list",
}


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


def relations_from_member_role(role: str | None) -> set[str]:
    """The relation a membership row gives, for callers that loaded the row with the object."""
    if role is None:
        return set()
    return {"org_owner" if role == "owner" else "org_member"}


async def relations_to_organization(
    session: AsyncSession, actor: Actor | None, organization_id: uuid.UUID
) -> set[str]:
    from app.organizations.models import OrganizationMember

    if actor is None:
        return set()
    role = await session.scalar(
        select(OrganizationMember.role).where(
            OrganizationMember.organization_id == organization_id, OrganizationMember.user_id == actor.id
        )
    )
    return relations_from_member_role(role)


def relations_to_invitation(actor: Actor | None, invited_email: str) -> set[str]:
    """The invitee is whoever is signed in with the address the invitation was sent to."""
    if actor is None or actor.email.lower() != invited_email.lower():
        return set()
    return {"invitee"}


# --- lists scoped in SQL ------------------------------------------------------------------------------


def visible_organizations(actor: Actor | None) -> ColumnElement[bool]:
    """Filter for organization lists: the directory is open to every signed-in person."""
    return true() if can(actor, "organization:list") else false()
