"""JSON API of accounts: the signed-in person's profile (/api/v1/me) and API tokens (/api/v1/tokens)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_tokens, services
from app.accounts.models import ApiToken, User
from app.accounts.schemas import (
    MembershipView,
    MeUpdate,
    MeView,
    TokenCreate,
    TokenCreated,
    TokenView,
)
from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.web import problem

TAGS = ["accounts"]
# Personal data: never kept by a browser or proxy cache.
API: dict[str, Any] = {"tags": TAGS, "cache_control": CacheControlHeader(no_store=True)}


def _invalid(exc: InvalidInput) -> Response[Any]:
    return problem(422, _("Some fields need your attention."), errors=exc.problem_errors())


async def _me_view(db: AsyncSession, actor: Actor | None, user: User) -> MeView:
    memberships = await services.memberships(db, actor)
    return MeView(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        notify_mode=user.notify_mode,
        email_verified=user.email_verified_at is not None,
        is_admin=user.is_admin,
        created_at=user.created_at,
        organizations=[
            MembershipView(
                organization=m.organization, slug=m.slug, role=m.role, url=f"/organizations/{m.slug}"
            )
            for m in memberships
        ],
    )


def _token_view(token: ApiToken) -> TokenView:
    return TokenView(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )


@get("/api/v1/me", name="accounts:api_show_me", **API)
async def show_me(db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]) -> MeView:
    """The signed-in person's profile and organization memberships."""
    return await _me_view(db, actor, await services.get_account(db, actor))


@patch("/api/v1/me", name="accounts:api_update_me", **API)
async def update_me(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None], data: JSONBody[MeUpdate]
) -> Response[MeView]:
    """Change name, language or notification preference; fields left out stay as they are."""
    changes = {
        field: value for field, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET
    }
    try:
        user = await services.update_profile(db, actor, **changes)
    except InvalidInput as exc:
        return _invalid(exc)
    return Response(await _me_view(db, actor, user))


@get("/api/v1/tokens", name="accounts:api_list_tokens", **API)
async def list_tokens(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> list[TokenView]:
    """The person's active API tokens (never their secrets)."""
    return [_token_view(token) for token in await api_tokens.list_tokens(db, actor)]


@post("/api/v1/tokens", name="accounts:api_create_token", **API)
async def create_token(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    data: JSONBody[TokenCreate],
) -> Response[TokenCreated]:
    """Create a token; the `token` field of this answer is the only time its secret is shown."""
    try:
        token, secret = await api_tokens.create_token(
            db, actor, name=data.name, ip=get_context(request.scope).ip
        )
    except InvalidInput as exc:
        return _invalid(exc)
    created = TokenCreated(
        id=token.id, name=token.name, prefix=token.prefix, created_at=token.created_at, token=secret
    )
    return Response(created, status_code=201)


@delete("/api/v1/tokens/{token_id:uuid}", name="accounts:api_revoke_token", **API)
async def revoke_token(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    token_id: FromPath[uuid.UUID],
) -> None:
    """Revoke a token at once; requests with it are refused from now on."""
    await api_tokens.revoke_token(db, actor, token_id, ip=get_context(request.scope).ip)


API_ROUTES = [show_me, update_me, list_tokens, create_token, revoke_token]
