"""JSON API of grants, download links and the access log, under /api/v1: the same services and permissions as
the pages; refusals are problem+json (403 for the access rule, logged like on the pages)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.api import API
from app.data_sharing import grants, links, steward_board
from app.data_sharing.access_schemas import (
    AccessLogList,
    AccessLogView,
    GrantMemberView,
    GrantView,
    LinkView,
    ReasonBody,
)
from app.platform.context import get_context

BASE = "/api/v1/grants"


def _grant(
    grant: Any, team: str, dataset: str, now: dt.datetime, members: list[Any] | None = None
) -> GrantView:
    return GrantView(
        id=grant.id, team_id=grant.team_id, team=team, dataset_id=grant.dataset_id, dataset=dataset,
        challenge_id=grant.challenge_id, starts_at=grant.starts_at, expires_at=grant.expires_at,
        status=grants.status_of(grant, now), revoked_at=grant.revoked_at, revoke_reason=grant.revoke_reason,
        members=[GrantMemberView(m.user_id, m.name, m.removed_at, m.removed_reason) for m in members] if members is not None else None,
    )  # fmt: skip


async def _one(db: AsyncSession, actor: Actor, grant_id: uuid.UUID, now: dt.datetime) -> GrantView:
    ctx, members = await grants.grant_page(db, actor, grant_id)
    return _grant(ctx.grant, ctx.team.name, ctx.dataset.title, now, members)


@get(BASE, name="grants:api_list", **API)
async def api_grants(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], now: NamedDependency[dt.datetime]
) -> list[GrantView]:
    """Grants on datasets you steward, of your teams, and of challenges you found."""
    return [_grant(grant, team, dataset, now) for grant, team, dataset in await grants.list_grants(db, actor)]


@get(BASE + "/{grant_id:uuid}", name="grants:api_show", **API)
async def api_grant(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    grant_id: FromPath[uuid.UUID],
) -> GrantView:
    return await _one(db, actor, grant_id, now)


@post(BASE + "/{grant_id:uuid}/revoke", name="grants:api_revoke", status_code=200, **API)
async def api_revoke(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    grant_id: FromPath[uuid.UUID],
    data: JSONBody[ReasonBody],
) -> GrantView:
    """Stewards: end the grant now for the whole team (reason required)."""
    await grants.revoke(db, actor, grant_id, data.reason, now)
    return await _one(db, actor, grant_id, now)


@delete(
    BASE + "/{grant_id:uuid}/members/{user_id:uuid}", name="grants:api_remove_member", status_code=200, **API
)
async def api_remove_member(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    grant_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
    reason: FromQuery[str] = "",
) -> GrantView:
    """Stewards: take one member off the grant now (`?reason=`, required)."""
    await grants.remove_member(db, actor, grant_id, user_id, reason[:2001], now)
    return await _one(db, actor, grant_id, now)


@post("/api/v1/data/files/{file_id:uuid}/link", name="data:api_link", status_code=201, **API)
async def api_link(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    file_id: FromPath[uuid.UUID],
) -> LinkView:
    """A five-minute download link for you alone, after the access rule (every attempt is in the access log)."""
    link = await links.issue(db, actor, get_context(request.scope).settings.secret_key, file_id, now)
    return LinkView(link.url, link.expires_at, link.file.id, link.file.name, link.file.size, link.file.sha256)


@get("/api/v1/access-log", name="data:api_access_log", **API)
async def api_access_log(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    per_page: Annotated[
        int, Parameter(ge=1, le=steward_board.API_LOG_MAX, description="Entries per page.")
    ] = steward_board.API_LOG_PAGE,
    cursor: Annotated[str, Parameter(max_length=60, description="`next_cursor` of the previous page.")] = "",
) -> AccessLogList:
    """The access log of the datasets you steward, newest first (filters: dataset, team, team_name,
    member, since, until, outcome), `per_page` entries at a time: pass the answer's `next_cursor` as `cursor` for the older ones."""
    values = {name: request.query_params.get(name, "")[:200] for name in steward_board.API_FILTERS}
    filters = steward_board.parse_filters(values)
    rows, next_cursor = await steward_board.access_log(
        db, actor, filters, steward_board.parse_cursor(cursor), per_page
    )
    # plain rows, their columns in AccessLogView's order (app.data_sharing.steward_queries.log_statement)
    items = [
        AccessLogView(e["id"], e["at"], e["user_id"], e["person"], e["dataset_id"], e["dataset"], e["team_id"], e["team"],
                      e["file_id"], e["action"], e["outcome"], e["reason"], e["ip"])
        for e in rows
    ]  # fmt: skip
    return AccessLogList(items=items, per_page=per_page, next_cursor=next_cursor)


ROUTES: list[Any] = [api_grants, api_grant, api_revoke, api_remove_member, api_link, api_access_log]
