"""Business verbs of accounts: sign up, verify an address, sign in and out, passwords, profile.

Sign-in and password reset never tell whether an address has an account: the same message for
an unknown address and a wrong password, the same answer to a reset request either way, and an
unknown address still costs one password hash. Every verb that proves who someone is (sign-in,
reset, password change) issues a new session id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts import links
from app.accounts.models import User
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.schemas import (
    NAME_MAX,
    Checker,
    InvalidInput,
    canonical_email,
    check_locale,
    check_notify_mode,
    check_password,
    clean_text,
    lookup_email,
)
from app.accounts.sessions import actor_from_user, end_all_sessions, end_session, start_session
from app.db import utcnow
from app.notifications.services import queue_mail
from app.platform.audit import record
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.ratelimit import RateLimiter
    from app.accounts.sessions import Actor
    from app.platform.context import RequestContext
    from app.settings import Settings


class SignInRefused(Exception):
    """Wrong credentials or a disabled account; the message is safe to show as is."""


class InvalidLink(Exception):
    """A verification or reset link that is forged, expired, already used or meant for something else."""


@dataclasses.dataclass(frozen=True, slots=True)
class Membership:
    organization: str
    slug: str
    role: str


def _required(value: str) -> str:
    if not value:
        raise ValueError(_("This field is required."))
    return value


# --- sign-up and verification ------------------------------------------------------------------------


async def sign_up(
    ctx: RequestContext,
    limiter: RateLimiter,
    *,
    email: str,
    name: str,
    password: str,
    locale: str,
    user_agent: str | None,
) -> User:
    """Create an account, sign it in and send the verification e-mail with the transaction.

    A taken address must be reported (the person cannot sign up otherwise), but only once the rest
    of the form is valid, and those answers are throttled per client address like sign-in attempts.
    """
    checker = Checker()
    email = checker.check("email", canonical_email, email)
    name = checker.check("name", clean_text, name, max_length=NAME_MAX)
    checker.check("password", check_password, password, email=email or "", name=name or "")
    locale = checker.check("locale", check_locale, locale)
    checker.done()
    db = ctx.session()
    user = User(
        email=email, name=name, password_hash=hash_password(password), locale=locale, notify_mode="immediate"
    )
    try:
        # A savepoint: the unique index decides, even between two simultaneous sign-ups.
        async with db.begin_nested():
            db.add(user)
            await db.flush()
    except IntegrityError:
        await limiter.hit("signup-taken", ip=ctx.ip)
        raise InvalidInput(
            {
                "email": _(
                    "An account already uses this address. Sign in, or reset your password if you forgot it."
                )
            }
        ) from None
    await _send_verification(db, ctx.settings, user)
    await start_session(ctx, user, user_agent)
    return user


async def _send_verification(db: AsyncSession, settings: Settings, user: User) -> None:
    subject, body, _token = links.verification_mail(settings, user)
    # Each request for a link is a new message (throttled by the caller), even within the same second.
    key = f"verify-email:{user.id}:{secrets.token_hex(8)}"
    await queue_mail(db, to=user.email, subject=subject, body=body, key=key)


async def resend_verification(ctx: RequestContext, limiter: RateLimiter, actor: Actor | None) -> bool:
    """Send a fresh verification link; False when the address is already verified."""
    authz.require(actor, "account:edit")
    assert actor is not None
    db = ctx.session()
    user = await db.get_one(User, actor.id)
    if user.email_verified_at is not None:
        return False
    await limiter.hit("verify-email", account=str(user.id))
    await _send_verification(db, ctx.settings, user)
    return True


async def verification_link_user(db: AsyncSession, settings: Settings, token: str) -> User:
    """The account a verification link was made for, as long as its address has not changed."""
    found = links.read_token(settings, links.VERIFY_SALT, token, links.VERIFY_MAX_AGE)
    user = await db.get(User, found[0]) if found else None
    if found is None or user is None or not user.is_active or user.email != found[1].get("email"):
        raise InvalidLink()
    return user


async def verify_email(db: AsyncSession, settings: Settings, token: str) -> User:
    """Mark the address of the link as verified; using a link twice is harmless."""
    user = await verification_link_user(db, settings, token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await db.flush()
    return user


# --- sign-in and sign-out ----------------------------------------------------------------------------


async def sign_in(
    ctx: RequestContext, limiter: RateLimiter, *, email: str, password: str, user_agent: str | None
) -> User:
    """Check the credentials and start a new session; throttled per address and per client."""
    checker = Checker()
    checker.check("email", _required, email.strip())
    checker.check("password", _required, password)
    checker.done()
    address = lookup_email(email)
    # Throttled by what was typed, so that even addresses that cannot exist count against the client.
    attempt = {"account": address or email.strip().lower(), "ip": ctx.ip}
    await limiter.hit("login", **attempt)
    db = ctx.session()
    user = await db.scalar(select(User).where(func.lower(User.email) == address)) if address else None
    # Checked even for unknown addresses (against a dummy hash), so timing tells nothing.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise SignInRefused(_("Wrong e-mail address or password."))
    if not user.is_active:
        raise SignInRefused(
            _(
                "This account is disabled. Contact the platform’s administrators if you think this is a mistake."
            )
        )
    await limiter.forgive("login", **attempt)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await start_session(ctx, user, user_agent)
    return user


async def sign_out(ctx: RequestContext) -> None:
    """End this browser's session; the browser gets a new anonymous id."""
    await end_session(ctx)


# --- password reset ----------------------------------------------------------------------------------


async def request_password_reset(ctx: RequestContext, limiter: RateLimiter, *, email: str) -> None:
    """E-mail a reset link when the address has an active account; the caller answers the same either way."""
    checker = Checker()
    address = checker.check("email", canonical_email, email)
    checker.done()
    await limiter.hit("password-reset", account=address, ip=ctx.ip)
    db = ctx.session()
    user = await db.scalar(select(User).where(func.lower(User.email) == address, User.is_active.is_(True)))
    if user is None:
        return
    subject, body, token = links.reset_mail(ctx.settings, user)
    key = f"password-reset:{user.id}:{hashlib.sha256(token.encode()).hexdigest()[:20]}"
    await queue_mail(db, to=user.email, subject=subject, body=body, key=key)


async def reset_link_user(db: AsyncSession, settings: Settings, token: str, *, lock: bool = False) -> User:
    """The account a reset link is for, while the link is unexpired and the password unchanged since."""
    found = links.read_token(settings, links.RESET_SALT, token, links.RESET_MAX_AGE)
    if found is None:
        raise InvalidLink()
    statement = select(User).where(User.id == found[0], User.is_active.is_(True))
    # Locked when used, so two requests with the same link cannot both change the password.
    user = await db.scalar(statement.with_for_update() if lock else statement)
    if user is None or found[1].get("pw") != links.password_fingerprint(user.password_hash):
        raise InvalidLink()
    return user


async def reset_password(ctx: RequestContext, *, token: str, password: str, user_agent: str | None) -> User:
    """Set a new password from a reset link: the link dies, every session ends, this browser signs in anew."""
    db = ctx.session()
    user = await reset_link_user(db, ctx.settings, token, lock=True)
    checker = Checker()
    checker.check("password", check_password, password, email=user.email, name=user.name)
    checker.done()
    _set_password(user, password)
    # Only the owner of the address could open the link.
    user.email_verified_at = user.email_verified_at or utcnow()
    await end_all_sessions(db, user.id)
    await record(db, actor_from_user(user), "account:password_reset", "user", user.id, ip=ctx.ip)
    await start_session(ctx, user, user_agent)
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


# --- profile -----------------------------------------------------------------------------------------


async def get_account(db: AsyncSession, actor: Actor | None) -> User:
    """The signed-in person's own account."""
    authz.require(actor, "account:view")
    assert actor is not None
    return await db.get_one(User, actor.id)


async def memberships(db: AsyncSession, actor: Actor | None) -> list[Membership]:
    """The organizations the person belongs to, by name."""
    from app.organizations.models import Organization, OrganizationMember

    authz.require(actor, "account:view")
    assert actor is not None
    rows = await db.execute(
        select(Organization.name, Organization.slug, OrganizationMember.role)
        .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
        .where(OrganizationMember.user_id == actor.id)
        .order_by(func.lower(Organization.name))
    )
    return [Membership(*row) for row in rows]


async def update_profile(
    db: AsyncSession,
    actor: Actor | None,
    *,
    name: str | None = None,
    locale: str | None = None,
    notify_mode: str | None = None,
) -> User:
    """Change name, language or notification preference; None leaves a field as it is."""
    authz.require(actor, "account:edit")
    assert actor is not None
    checker = Checker()
    changes = {
        "name": checker.check("name", clean_text, name, max_length=NAME_MAX) if name is not None else None,
        "locale": checker.check("locale", check_locale, locale) if locale is not None else None,
        "notify_mode": checker.check("notify_mode", check_notify_mode, notify_mode)
        if notify_mode is not None
        else None,
    }
    checker.done()
    user = await db.get_one(User, actor.id)
    for field, value in changes.items():
        if value is not None:
            setattr(user, field, value)
    await db.flush()
    return user


async def set_locale(session: AsyncSession, actor: Actor, locale: str) -> None:
    """Remember the language a signed-in person chose."""
    await session.execute(update(User).where(User.id == actor.id).values(locale=locale))


async def change_password(
    ctx: RequestContext,
    limiter: RateLimiter,
    actor: Actor | None,
    *,
    current: str,
    new: str,
    user_agent: str | None,
) -> None:
    """Replace the password after checking the current one; every other session ends, this one gets a new id.

    Guesses of the current password are throttled per account, so a stolen session cannot be used
    to find the password.
    """
    authz.require(actor, "account:edit")
    assert actor is not None
    db = ctx.session()
    user = await db.get_one(User, actor.id, with_for_update=True)
    checker = Checker()
    checker.check("current_password", _required, current)
    checker.check("new_password", check_password, new, email=user.email, name=user.name)
    if current and "new_password" not in checker.errors and current == new:
        checker.errors["new_password"] = _("Choose a password different from the current one.")
    checker.done()
    await limiter.hit("password-change", account=str(user.id))
    if not verify_password(user.password_hash, current):
        raise InvalidInput({"current_password": _("This is not your current password.")})
    await limiter.forgive("password-change", account=str(user.id))
    _set_password(user, new)
    # All sessions go, this one included: start_session below gives this browser a fresh id.
    await end_all_sessions(db, user.id)
    await record(db, actor, "account:password_change", "user", user.id, ip=ctx.ip)
    await start_session(ctx, user, user_agent)
