"""Small async factories and the named cast used across tests."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User, UserSession
from app.accounts.passwords import hash_password
from app.accounts.sessions import hash_token
from app.db import utcnow
from app.organizations.models import Organization, OrganizationMember

DEFAULT_PASSWORD = "correct horse battery staple"
# Hashing with argon2 costs ~50 ms; factories reuse one hash of the default password.
_DEFAULT_HASH: str | None = None


def _default_hash() -> str:
    global _DEFAULT_HASH
    if _DEFAULT_HASH is None:
        _DEFAULT_HASH = hash_password(DEFAULT_PASSWORD)
    return _DEFAULT_HASH


async def make_user(
    db: AsyncSession,
    *,
    email: str | None = None,
    name: str = "Test Person",
    password: str | None = None,
    verified: bool = True,
    admin: bool = False,
    locale: str = "en",
    **fields: Any,
) -> User:
    user = User(
        email=(email or f"user-{uuid.uuid4().hex[:10]}@example.org").lower(),
        name=name,
        password_hash=hash_password(password) if password else _default_hash(),
        email_verified_at=utcnow() if verified else None,
        is_admin=admin,
        locale=locale,
        **fields,
    )
    db.add(user)
    await db.flush()
    return user


async def make_organization(
    db: AsyncSession,
    *,
    name: str | None = None,
    kind: str = "startup",
    country: str = "FR",
    verified: bool = False,
    owner: User | None = None,
    members: tuple[User, ...] = (),
) -> Organization:
    suffix = uuid.uuid4().hex[:8]
    organization = Organization(
        name=name or f"Organization {suffix}",
        slug=f"org-{suffix}",
        kind=kind,
        country=country,
        verified_at=utcnow() if verified else None,
    )
    db.add(organization)
    await db.flush()
    if owner is not None:
        db.add(OrganizationMember(organization_id=organization.id, user_id=owner.id, role="owner"))
    for member in members:
        db.add(OrganizationMember(organization_id=organization.id, user_id=member.id, role="member"))
    await db.flush()
    return organization


async def sign_in(client: Any, db: AsyncSession, user: User) -> str:
    """Give the test client a signed-in session for `user` without going through the login form."""
    token = "s_" + secrets.token_urlsafe(32)
    db.add(UserSession(id=hash_token(token), user_id=user.id))
    await db.flush()
    client.cookies.set("tremplin", token, domain="testserver.local")
    return token
