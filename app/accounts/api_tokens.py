"""Personal API tokens: created and revoked by their owner, shown once, kept only as a SHA-256.

A token authenticates `/api/` requests as its owner (see app.platform.context) for as long as it
is not revoked and the account is active.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select, update

from app import authz
from app.accounts.models import ApiToken, User
from app.accounts.schemas import TOKEN_NAME_MAX, Checker, clean_text
from app.accounts.sessions import actor_from_user, hash_token
from app.db import utcnow
from app.platform.audit import record
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.platform.context import RequestContext

PREFIX = "trp_"
# What the owner sees in the list to tell tokens apart; far too short to guess the rest.
SHOWN_CHARS = 12
MAX_ACTIVE = 50
# Writing last_used_at on every call would turn every API read into a write.
TOUCH_AFTER = dt.timedelta(seconds=60)


async def create_token(
    db: AsyncSession, actor: Actor | None, *, name: str, ip: str | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the actor; returns it with its secret, which is never available again."""
    authz.require(actor, "account:edit")
    assert actor is not None
    checker = Checker()
    name = checker.check("name", clean_text, name, max_length=TOKEN_NAME_MAX)
    checker.done()
    # The owner's row is locked so that two simultaneous requests cannot both pass the cap.
    await db.execute(select(User.id).where(User.id == actor.id).with_for_update())
    active = await db.scalar(
        select(func.count()).where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE:
        raise InvalidInput(
            {"name": _("You already have %(num)s active tokens. Revoke one first.", num=MAX_ACTIVE)}
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=name, token_hash=hash_token(secret), prefix=secret[:SHOWN_CHARS])
    db.add(token)
    await db.flush()
    await db.refresh(token, ["created_at"])
    await record(
        db, actor, "api_token:create", "api_token", token.id, {"name": name, "prefix": token.prefix}, ip=ip
    )
    return token, secret


async def list_tokens(db: AsyncSession, actor: Actor | None) -> list[ApiToken]:
    """The actor's tokens that still work, newest first."""
    authz.require(actor, "account:view")
    assert actor is not None
    result = await db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
    return list(result)


async def revoke_token(
    db: AsyncSession, actor: Actor | None, token_id: uuid.UUID, *, ip: str | None = None
) -> ApiToken:
    """Revoke one of the actor's tokens; someone else's token is not found, whatever its id."""
    authz.require(actor, "account:edit")
    assert actor is not None
    token = await db.scalar(
        select(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
        .with_for_update()
    )
    if token is None:
        raise NotFoundException()
    token.revoked_at = utcnow()
    await record(
        db,
        actor,
        "api_token:revoke",
        "api_token",
        token.id,
        {"name": token.name, "prefix": token.prefix},
        ip=ip,
    )
    return token


async def authenticate(ctx: RequestContext, secret: str) -> Actor | None:
    """The owner of a bearer token, or None when the token is unknown, revoked or its account disabled."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    db = ctx.session()
    row = (
        await db.execute(
            select(ApiToken.id, ApiToken.last_used_at, User)
            .join(User, User.id == ApiToken.user_id)
            .where(
                ApiToken.token_hash == hash_token(secret),
                ApiToken.revoked_at.is_(None),
                User.is_active.is_(True),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    token_id, last_used_at, user = row
    now = utcnow()
    if last_used_at is None or now - last_used_at > TOUCH_AFTER:
        await db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        # Committed now: the use is a fact even when the request itself fails.
        await db.commit()
    return actor_from_user(user)
