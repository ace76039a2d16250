"""Home page, language switch, liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import URLEncodedBody
from sqlalchemy import text

from app.platform.context import get_context
from app.settings import LOCALES
from app.web import redirect, render


@get("/", name="home", opt={"public": True}, include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "home.html", private=False)


@post("/language", name="language:set", opt={"public": True}, include_in_schema=False)
async def set_language(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[dict[str, str]],
) -> Response[Any]:
    """Visitors keep their choice in a cookie; signed-in people in their profile (accounts)."""
    from app.accounts.services import set_locale

    ctx = get_context(request.scope)
    locale = data.get("locale", "")
    next_url = data.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    response = redirect(request, next_url)
    if locale in LOCALES:
        if ctx.actor is not None:
            await set_locale(ctx.session(), ctx.actor, locale)
        response.set_cookie(
            "lang",
            locale,
            path="/",
            max_age=365 * 86400,
            samesite="lax",
            httponly=True,
            secure=ctx.settings.https,
        )
    return response


@get("/health", name="health", opt={"public": True}, include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", name="ready", opt={"public": True}, include_in_schema=False)
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    services = request.app.state.services
    result = {"database": "ok", "redis": "ok"}
    try:
        async with services.session_maker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        result["database"] = "unavailable"
    try:
        await services.arq.ping()
    except Exception:
        result["redis"] = "unavailable"
    ok = all(v == "ok" for v in result.values())
    return Response(result, status_code=200 if ok else 503, headers={"cache-control": "no-store"})


ROUTES = [home, set_language, health, ready]
