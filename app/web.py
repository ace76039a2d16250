"""Rendering pages and htmx blocks, redirects after POST, flash messages and error pages."""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import jinja2
from jinja2_fragments import render_block
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.platform import i18n
from app.platform.context import get_context

if TYPE_CHECKING:
    from litestar.types import Scope, Send

    from app.platform.context import RequestContext

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
log = logging.getLogger("tremplin")

NO_STORE: dict[str, Any] = {"cache-control": "no-store"}


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        static=static_url,
        format_datetime=i18n.format_datetime,
        format_date=i18n.format_date,
        format_number=i18n.format_number,
        language_name=i18n.language_name,
    )
    env.tests["web_address"] = is_web_address
    return env


def is_web_address(value: Any) -> bool:
    """Whether a stored address may become a link: http or https only. Forms refuse other schemes; this keeps a
    `javascript:` address that reached the database some other way (an import, an old row) plain text."""
    if not isinstance(value, str):
        return False
    try:
        return urlsplit(value.strip()).scheme.lower() in ("http", "https")
    except ValueError:
        return False


@functools.cache
def static_url(path: str) -> str:
    """URL of a static file with a content hash, so it can be cached for a year."""
    file = STATIC_DIR / path
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    except OSError:
        digest = "missing"
    return f"/static/{path}?v={digest}"


def is_htmx(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def base_context(ctx: RequestContext) -> dict[str, Any]:
    from app.authz import can

    actor = ctx.actor
    return {
        "user": actor,
        "can": functools.partial(can, actor),
        "csrf_token": ctx.csrf_token if ctx.session_key else "",
        "locale": ctx.locale,
        "flashes": ctx.flash_in,
        "request_id": ctx.request_id,
        "current_path": ctx.path,
        "unread_count": ctx.unread_count,
        "judges": ctx.judges,
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    private: bool = True,
) -> Response[str]:
    """Render a page, or only `block` when htmx asks for it (the block's name is the id it fills)."""
    ctx = get_context(request.scope)
    data = base_context(ctx)
    if context:
        data.update(context)
    env = environment()
    if block and is_htmx(request):
        html = render_block(env, template, block, data)
    else:
        html = env.get_template(template).render(data)
        if ctx.flash_in and ctx.flash_out is None:
            ctx.flash_out = []  # shown now: clear the cookie
    headers = {"vary": "hx-request, cookie"}
    if private or ctx.actor is not None:
        headers.update(NO_STORE)
    return Response(html, status_code=status_code, media_type="text/html; charset=utf-8", headers=headers)


def redirect(request: Request, url: str) -> Response[Any]:
    """After a successful POST: HX-Redirect for htmx, 303 otherwise."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"hx-redirect": _htmx_target(request, url)})
    return Redirect(url, status_code=HTTP_303_SEE_OTHER)


def _htmx_target(request: Request, url: str) -> str:
    """htmx follows HX-Redirect by setting location.href: to the same page with only another #fragment the
    browser merely scrolls and nothing reloads (the change and its message stay unseen). Drop the fragment
    then, so the page really loads again."""
    path, hash_sign, _fragment = url.partition("#")
    if not hash_sign:
        return url
    current = urlsplit(request.headers.get("hx-current-url", ""))
    return path if current.path == urlsplit(path).path else url


async def form_fields(request: Request) -> dict[str, str]:
    """A submitted form's text fields, the first value of each; files and repeated fields are ignored."""
    form = await request.form()
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, value)
    return fields


def flash(request: Request, level: str, message: str) -> None:
    from app.accounts.sessions import flash as add_flash

    add_flash(get_context(request.scope), level, message)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


# --- errors -----------------------------------------------------------------------------------------


def _messages() -> dict[int, str]:
    _ = i18n.gettext
    return {
        400: _("The request could not be understood."),
        401: _("Please sign in to continue."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist, or you are not allowed to see it."),
        405: _("This action is not available here."),
        409: _("This conflicts with a change made meanwhile."),
        413: _("What you sent is too large."),
        422: _("Some fields need your attention."),
        429: _("Too many attempts. Please wait a moment and try again."),
        503: _("The service is temporarily unavailable. Please try again in a moment."),
    }


def problem(status: int, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    body = {"type": "about:blank", "title": _title(status), "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type="application/problem+json", headers=NO_STORE)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_page(request: Request, status: int, detail: str | None = None) -> Response[Any]:
    message = detail or _messages().get(status) or _messages()[400]
    if wants_json(request):
        return problem(status, message)
    ctx = get_context(request.scope)
    data = base_context(ctx) | {"status": status, "message": message}
    html = environment().get_template("errors/error.html").render(data)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=NO_STORE)


def http_exception_handler(request: Request, exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 401 and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # Quoted, or the target's own query string would be cut at its first "&".
        return Redirect(f"/login?next={quote(target, safe='/')}", status_code=HTTP_303_SEE_OTHER)
    if isinstance(exc, ValidationException):
        if wants_json(request):
            errors = exc.extra if isinstance(exc.extra, list) else []
            return problem(400, i18n.gettext("The request body or parameters are not valid."), errors=errors)
        return error_page(request, 400)
    detail = exc.detail if exc.detail and exc.detail != _title(status) and status not in (404, 405) else None
    return error_page(request, status, detail)


def database_unavailable_handler(request: Request, exc: Exception) -> Response[Any]:
    log.warning("database unavailable: %s", exc)
    response = error_page(request, 503)
    response.headers["retry-after"] = "5"
    return response


# SQLSTATEs that mean "try again in a moment" rather than a bug: connection exceptions (08), insufficient
# resources (53), operator intervention (57: statement timeout, shutdown, starting up), lock_timeout
# (55P03), serialization failure and deadlock (40001, 40P01), idle-in-transaction timeout (25P03).
# asyncpg's errors for these reach us as a plain DBAPIError, not as OperationalError.
TRANSIENT_SQLSTATES = ("08", "53", "57", "55P03", "40001", "40P01", "25P03")


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot answer this request now (down, restarting, a timeout, a lock held too long)."""
    if isinstance(exc, (OperationalError, PoolTimeout, ConnectionError, OSError)):
        return True
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        return exc.connection_invalidated or sqlstate.startswith(TRANSIENT_SQLSTATES)
    return False


def server_error_handler(request: Request, exc: Exception) -> Response[Any]:
    if database_unavailable(exc):
        return database_unavailable_handler(request, exc)
    log.exception("unhandled error", extra={"path": request.url.path})
    return error_page(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        i18n.gettext("Something went wrong on our side. The error has been logged."),
    )


EXCEPTION_HANDLERS = {
    HTTPException: http_exception_handler,
    Exception: server_error_handler,
}


async def render_error(scope: Scope, send: Send, status: int, message: str) -> None:
    """Answer from a middleware, before routing, with the same error page."""
    ctx = get_context(scope)
    if scope["path"].startswith("/api/"):
        import json

        body = json.dumps(
            {"type": "about:blank", "title": _title(status), "status": status, "detail": message}
        ).encode()
        content_type = b"application/problem+json"
    else:
        data = base_context(ctx) | {"status": status, "message": message}
        body = environment().get_template("errors/error.html").render(data).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
