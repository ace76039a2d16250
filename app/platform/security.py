"""Security headers on every response, CSRF tokens bound to the browser session, and the client's address."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders

if TYPE_CHECKING:
    from litestar.types import Message, Receive, ReceiveMessage, Scope

    from app.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"


def security_headers_hook(settings: Settings):
    """A before_send hook: Litestar runs it for every response, unmatched routes and errors included."""
    headers = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if settings.https:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            mutable = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                if name == "content-security-policy" and name in mutable:
                    # A response's own policy (downloads: sandbox) is kept beside the global one;
                    # browsers enforce every policy they receive, so this can only tighten.
                    mutable.add(name, value)
                else:
                    mutable[name] = value

    return add_headers


def csrf_token(secret: str, session_key: str) -> str:
    """The token for one browser session: changes when the session id changes (sign-in, sign-out)."""
    return hmac.new(secret.encode(), b"csrf|" + session_key.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session_key: str | None, presented: str | None) -> bool:
    if not session_key or not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, session_key), presented)


async def presented_csrf_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """Read the token from the header, or from an url-encoded form body, and give back a receive that replays it."""
    headers = dict(scope["headers"])
    token = headers.get(CSRF_HEADER.encode())
    if token:
        return token.decode("latin-1"), receive
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type != b"application/x-www-form-urlencoded":
        # Multipart uploads carry the token in the header (htmx) or the query string (plain forms),
        # so a large body is never read twice.
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        values = query.get(CSRF_FIELD)
        return (values[0] if values else None), receive
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > 1_000_000:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    fields = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
    return (fields[0] if fields else None), replay


def client_ip(scope: Scope, settings: Settings) -> str:
    """The peer address, or the right-most untrusted X-Forwarded-For entry when the peer is a trusted proxy."""
    peer = (scope.get("client") or ("0.0.0.0", 0))[0]  # noqa: S104 (an unknown peer, never trusted)
    if not settings.trusted_proxies or not _trusted(peer, settings):
        return peer
    forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, settings):
            return hop
    return hops[0] if hops else peer


def _trusted(address: str, settings: Settings) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in settings.trusted_proxies)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None
