"""The audit log of a challenge, for its founders: the page and its CSV export."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.audit_log import challenge_log
from app.challenges.pages import PAGE
from app.platform.audit_pages import scoped_export, scoped_page
from app.platform.pagination import MAX_PAGE

Filter = Annotated[str, Parameter(max_length=200)]
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


@get("/challenges/{slug:str}/audit", name="challenges:audit", **PAGE)
async def show_challenge_audit(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    action: Filter = "",
    since: Filter = "",
    until: Filter = "",
    page: PageNumber = 1,
) -> Response[str]:
    log = await challenge_log(db, actor, slug)
    return await scoped_page(request, db, log, {"action": action, "since": since, "until": until}, page)


@get("/challenges/{slug:str}/audit.csv", name="challenges:audit_export", **PAGE)
async def export_challenge_audit(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    action: Filter = "",
    since: Filter = "",
    until: Filter = "",
) -> Stream:
    log = await challenge_log(db, actor, slug)
    return await scoped_export(db, actor, log, {"action": action, "since": since, "until": until})


ROUTES = [show_challenge_audit, export_challenge_audit]
