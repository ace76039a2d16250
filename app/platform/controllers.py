"""Home page, language switch, liveness and readiness."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.settings import LOCALES
from app.web import redirect, render

HOME_CARDS = 6


@get("/", name="home", opt={"public": True}, include_in_schema=False)
async def home(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    now: NamedDependency[dt.datetime],
) -> Response[str]:
    """The welcome, and the challenges the reader may join now, the soonest closing first (one query)."""
    from app.challenges import catalogue

    open_now = catalogue.CatalogueFilters(open_now=True, sort="deadline")
    challenges = await catalogue.list_challenges(db, actor, open_now, now, size=HOME_CARDS)
    context = {
        "challenges": challenges,
        **catalogue.labels(),
        "local_time": catalogue.local_time,
    }
    return render(request, "home.html", context, private=False)


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
