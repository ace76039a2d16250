"""Server-side sessions in PostgreSQL: who is signed in, timeouts, rotation, and flash messages.

The cookie holds a random token; the table holds its SHA-256. Signing in always issues a new
token (Litestar's own session middleware keeps the incoming id, which would allow fixation),
signing out and changing a password delete rows, and every request checks the idle and absolute
timeouts against the database clock's view in Python, so a stolen old cookie is worthless.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeSerializer
from litestar.datastructures import Cookie
from sqlalchemy import bindparam, delete, func, select, update

from app.accounts.models import User, UserSession
from app.db import utcnow
from app.platform.rows import Query

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.platform.context import RequestContext
    from app.settings import Settings

FLASH_COOKIE = "tremplin_flash"
# Touching last_seen_at on every request would turn every read into a write.
TOUCH_AFTER = dt.timedelta(seconds=60)


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: the signed-in user as the rest of the code sees them."""

    id: uuid.UUID
    email: str
    name: str
    locale: str
    is_admin: bool
    email_verified: bool
    session_id: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_from_user(user: User, session_id: str | None = None) -> Actor:
    return Actor(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        is_admin=user.is_admin,
        email_verified=user.email_verified_at is not None,
        session_id=session_id,
    )


async def load_actor(ctx: RequestContext, token: str) -> Actor | None:
    """The user behind a session cookie, or None when it is unknown, timed out or the account disabled."""
    session = ctx.session()
    session_id = hash_token(token)
    row = await _session_query().one_or_none(session, session_id=session_id)
    if row is None:
        ctx.set_cookie = ""
        return None
    (
        created_at,
        last_seen_at,
        user_id,
        email,
        name,
        locale,
        is_admin,
        verified_at,
        is_active,
        unread,
        judges,
    ) = row
    ctx.unread_count, ctx.judges = unread, judges
    now = utcnow()
    settings = ctx.settings
    expired = (
        now - last_seen_at > dt.timedelta(minutes=settings.session_idle_minutes)
        or now - created_at > dt.timedelta(hours=settings.session_max_hours)
        or not is_active
    )
    if expired:
        await session.execute(delete(UserSession).where(UserSession.id == session_id))
        await session.commit()
        ctx.set_cookie = ""
        return None
    if now - last_seen_at > TOUCH_AFTER:
        await session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )
    return Actor(user_id, email, name, locale, is_admin, verified_at is not None, session_id)


@functools.cache
def _session_query() -> Query:
    # Every signed-in request runs this: plain columns, compiled once, no ORM object (app/platform/rows.py).
    return Query(
        select(
            UserSession.created_at,
            UserSession.last_seen_at,
            User.id,
            User.email,
            User.name,
            User.locale,
            User.is_admin,
            User.email_verified_at,
            User.is_active,
            _unread_count(),
            _judges(),
        )
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == bindparam("session_id"))
    )


def _unread_count():
    # Counted in the same query as the session, so the header's badge costs no extra round trip.
    from app.notifications.models import Notification

    return (
        select(func.count())
        .where(Notification.user_id == UserSession.user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def _judges():
    # Whether the person sits on a judging panel somewhere (the header's "Judging" link), in the same query.
    from app.judging.models import Judge

    return (
        select(Judge.id)
        .where(
            Judge.user_id == UserSession.user_id, Judge.accepted_at.is_not(None), Judge.removed_at.is_(None)
        )
        .exists()
    )


async def start_session(ctx: RequestContext, user: User, user_agent: str | None) -> str:
    """Sign a user in with a brand-new session id; the anonymous or previous id stops meaning anything."""
    session = ctx.session()
    if ctx.session_key and ctx.session_key.startswith("s_"):
        await session.execute(delete(UserSession).where(UserSession.id == hash_token(ctx.session_key)))
    token = "s_" + secrets.token_urlsafe(32)
    session.add(
        UserSession(id=hash_token(token), user_id=user.id, ip=ctx.ip, user_agent=(user_agent or "")[:300])
    )
    await session.flush()
    ctx.session_key = token
    ctx.set_cookie = token
    ctx.actor = actor_from_user(user, hash_token(token))
    return token


async def end_session(ctx: RequestContext) -> None:
    """Sign out: the session row goes, and the browser gets a new anonymous id."""
    if ctx.actor is not None and ctx.actor.session_id:
        await ctx.session().execute(delete(UserSession).where(UserSession.id == ctx.actor.session_id))
    ctx.actor = None
    ctx.session_key = "a_" + secrets.token_urlsafe(24)
    ctx.set_cookie = ctx.session_key


async def end_all_sessions(session: AsyncSession, user_id: uuid.UUID, keep: str | None = None) -> None:
    """Used on password change and account disable: every other browser is signed out."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        statement = statement.where(UserSession.id != keep)
    await session.execute(statement)


def flash(ctx: RequestContext, level: str, message: str) -> None:
    """Show a message on the next page this browser loads (after a redirect)."""
    if ctx.flash_out is None:
        ctx.flash_out = []
    ctx.flash_out.append((level, message))


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="flash")


def read_flash(settings: Settings, raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        data = _serializer(settings).loads(raw)
    except BadSignature:
        return []
    return [(str(level), str(text)) for level, text in data][:5]


def write_flash(settings: Settings, messages: list[tuple[str, str]]) -> str:
    value = _serializer(settings).dumps(messages) if messages else ""
    cookie = Cookie(
        key=FLASH_COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
        max_age=60 if value else 0,
    )
    return cookie.to_header(header="")
