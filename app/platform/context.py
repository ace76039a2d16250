"""Per-request context: request id, the one database transaction, who is asking, their locale and CSRF.

One ASGI middleware does it all so that a request costs one pass: it opens nothing until asked
(static files and health checks touch no database), commits before the response starts when the
status is below 400 (so a failed commit becomes an error page rather than a lost write behind a
200), rolls back otherwise, and only then sends the jobs the transaction wrote to the outbox.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.db import utcnow
from app.platform import audit, i18n
from app.platform.security import (
    SAFE_METHODS,
    client_ip,
    csrf_token,
    csrf_valid,
    header,
    presented_csrf_token,
)

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

log = structlog.get_logger("tremplin.request")
SCOPE_KEY = "tremplin"
# Paths that never need the database, a session or CSRF.
BARE_PREFIXES = ("/static/", "/health", "/ready", "/favicon.ico")


@dataclasses.dataclass(slots=True)
class RequestContext:
    request_id: str
    ip: str
    session_maker: Any
    settings: Settings
    # When the request arrived: every deadline rule compares against this instant, not a later one.
    now: dt.datetime = dataclasses.field(default_factory=utcnow)
    db: AsyncSession | None = None
    actor: Actor | None = None
    # The cookie value that identifies this browser (signed-in "s_…" or anonymous "a_…").
    session_key: str | None = None
    # What the response must do with the cookie: a new value, "" to delete it, None to leave it.
    set_cookie: str | None = None
    locale: str = "en"
    path: str = "/"
    unread_count: int = 0
    # The signed-in person is an accepted, current judge of some round (loaded with the session).
    judges: bool = False
    flash_in: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    flash_out: list[tuple[str, str]] | None = None

    def session(self) -> AsyncSession:
        if self.db is None:
            self.db = self.session_maker()
        return self.db

    @property
    def csrf_token(self) -> str:
        assert self.session_key is not None
        return csrf_token(self.settings.secret_key, self.session_key)


def get_context(scope: Scope) -> RequestContext:
    return scope[SCOPE_KEY]  # type: ignore[literal-required]  # our own key, not one of ASGI's


def request_context_middleware(settings: Settings, session_maker_getter):
    from app.accounts.api_tokens import authenticate as authenticate_token
    from app.accounts.sessions import FLASH_COOKIE, read_flash, write_flash

    cookie_name = settings.session_cookie

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            request_id = header(scope, b"x-request-id") or uuid.uuid4().hex
            request_id = request_id[:64]
            ctx = RequestContext(
                request_id=request_id,
                ip=client_ip(scope, settings),
                session_maker=session_maker_getter(scope),
                settings=settings,
                path=page_path(scope),
            )
            scope[SCOPE_KEY] = ctx  # type: ignore[literal-required]
            structlog.contextvars.bind_contextvars(request_id=request_id)
            ip_token = audit.current_ip.set(ctx.ip)
            bare = scope["path"].startswith(BARE_PREFIXES)
            locale_token = None
            try:
                if not bare:
                    cookies = _cookies(scope)
                    ctx.flash_in = read_flash(settings, cookies.get(FLASH_COOKIE))
                    api_token = _bearer_token(scope)
                    if api_token is not None:
                        ctx.actor = await authenticate_token(ctx, api_token)
                    else:
                        await _browser_session(ctx, cookies, cookie_name)
                    scope["user"] = ctx.actor
                    ctx.locale = _locale(scope, ctx, settings, cookies)
                    locale_token = i18n.set_locale(ctx.locale)
                    if api_token is not None and ctx.actor is None:
                        await _token_refused(scope, send)
                        return
                    if scope["method"] not in SAFE_METHODS and api_token is None:
                        presented, receive = await presented_csrf_token(scope, receive)
                        if not csrf_valid(settings.secret_key, ctx.session_key, presented):
                            await _csrf_refused(scope, send, ctx)
                            return
                await app(scope, receive, _finishing_send(send, ctx, cookie_name, write_flash))
            except (OSError, OperationalError, DBAPIError, TimeoutError, PoolTimeout) as exc:
                # The database is unreachable, or every pooled connection is busy, before the handler ran
                # (loading the session).
                log.warning("database unavailable", error=str(exc))
                await _plain(send, 503, "Service temporarily unavailable. Please try again in a moment.")
            finally:
                if ctx.db is not None:
                    await ctx.db.close()
                if locale_token is not None:
                    i18n.reset_locale(locale_token)
                structlog.contextvars.unbind_contextvars("request_id")
                audit.current_ip.reset(ip_token)

        return middleware

    return factory


def _finishing_send(send: Send, ctx: RequestContext, cookie_name: str, write_flash) -> Send:
    replaced = False

    async def finishing_send(message: Message) -> None:
        nonlocal replaced
        if replaced:
            return
        if message["type"] == "http.response.start":
            status = message["status"]
            if ctx.db is not None:
                try:
                    if status < 400:
                        await ctx.db.commit()
                        await _dispatch_outbox(ctx)
                    else:
                        await ctx.db.rollback()
                except Exception:
                    logging.getLogger("tremplin").exception("commit failed")
                    replaced = True
                    await ctx.db.rollback()
                    await _plain(send, 503, "Your change could not be saved. Please try again.")
                    return
            headers = MutableScopeHeaders.from_message(message)
            headers["x-request-id"] = ctx.request_id
            if ctx.set_cookie is not None:
                headers.add("set-cookie", _session_cookie(ctx, cookie_name))
            if ctx.flash_out is not None:
                headers.add("set-cookie", write_flash(ctx.settings, ctx.flash_out))
        await send(message)

    return finishing_send


async def _dispatch_outbox(ctx: RequestContext) -> None:
    from app.platform.outbox import dispatch_pending

    assert ctx.db is not None
    await dispatch_pending(ctx.db)


def _session_cookie(ctx: RequestContext, cookie_name: str) -> str:
    settings = ctx.settings
    value = ctx.set_cookie or ""
    cookie = Cookie(
        key=cookie_name,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
        # Signed-in cookies live until the absolute timeout; anonymous ones for the browser session.
        max_age=(0 if value == "" else settings.session_max_hours * 3600 if value.startswith("s_") else None),
    )
    return cookie.to_header(header="")


def _cookies(scope: Scope) -> dict[str, str]:
    raw = header(scope, b"cookie")
    if not raw:
        return {}
    result: dict[str, str] = {}
    for part in raw.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name not in result:
            result[name] = value.strip('"')
    return result


async def _browser_session(ctx: RequestContext, cookies: dict[str, str], cookie_name: str) -> None:
    from app.accounts.sessions import load_actor

    ctx.session_key = cookies.get(cookie_name)
    if ctx.session_key and ctx.session_key.startswith("s_"):
        ctx.actor = await load_actor(ctx, ctx.session_key)
        if ctx.actor is None:
            # Expired or unknown: fall back to a fresh anonymous key.
            ctx.session_key = None
    if not ctx.session_key or not ctx.session_key.startswith(("s_", "a_")):
        ctx.session_key = "a_" + secrets.token_urlsafe(24)
        ctx.set_cookie = ctx.session_key


def _bearer_token(scope: Scope) -> str | None:
    """The personal API token of an /api/ call without cookies: such a call gets no cookie and skips CSRF,
    as there is nothing a third-party site could ride on."""
    if not scope["path"].startswith("/api/") or header(scope, b"cookie") is not None:
        return None
    scheme, _sep, token = (header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


async def _token_refused(scope: Scope, send: Send) -> None:
    from app.web import render_error

    message = i18n.gettext("This API token is not valid: it is unknown, revoked, or its account is disabled.")
    await render_error(scope, send, 401, message)


def _locale(scope: Scope, ctx: RequestContext, settings: Settings, cookies: dict[str, str]) -> str:
    if ctx.actor is not None:
        return ctx.actor.locale
    chosen = cookies.get("lang")
    if chosen in ("en", "fr"):
        return chosen
    return i18n.negotiate(header(scope, b"accept-language"), settings.default_locale)


async def _csrf_refused(scope: Scope, send: Send, ctx: RequestContext) -> None:
    from app.web import render_error

    await render_error(
        scope,
        send,
        403,
        i18n.gettext("This form has expired or was not sent by Tremplin. Reload the page and try again."),
    )


async def _plain(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"retry-after", b"5"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text.encode(), "more_body": False})


def page_path(scope: Scope) -> str:
    """The address of the page the reader is on, where the language switch brings them back: the request's
    own path for a GET; after a form posted and answered with a page (a secret shown once, messages beside
    the fields), the page the form was on (the Referer's path), since the POST address itself answers 405
    to a GET."""
    if scope.get("method", "GET") in ("GET", "HEAD"):
        return str(scope["path"])
    referer = urlsplit(header(scope, b"referer") or "")
    return referer.path if referer.path.startswith("/") and not referer.path.startswith("//") else "/"

