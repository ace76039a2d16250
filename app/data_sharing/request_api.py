"""JSON API of access requests under /api/v1/data-requests: the same services and permissions as the pages.

Refusals are problem+json: 422 with `errors` by field, 409 with the request's current `state`.
Internal comments appear in `events` for the dataset's stewards only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.data_sharing import approvals, history, requests
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.web import problem

PRIVATE = CacheControlHeader(no_store=True)
BASE = "/api/v1/data-requests/{request_id:uuid}"
API: dict[str, Any] = {"cache_control": PRIVATE, "tags": ["data requests"]}


class RequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    offering_id: uuid.UUID
    purpose: str
    members: list[uuid.UUID]
    # Set to ask that the one member in `members` be added to this active grant of the team.
    amends_grant_id: uuid.UUID | None = None


class RequestUpdate(msgspec.Struct, forbid_unknown_fields=True):
    purpose: str
    members: list[uuid.UUID]


class Approval(msgspec.Struct, forbid_unknown_fields=True):
    expires_at: dt.datetime | None = None
    starts_at: dt.datetime | None = None
    comment: str = ""


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    comment: str = ""
    reason: str = ""


class CommentIn(msgspec.Struct, forbid_unknown_fields=True):
    comment: str
    internal: bool = False


def _refused(exc: InvalidInput | Conflict) -> Response[Any]:
    if isinstance(exc, InvalidInput):
        return problem(422, str(exc.detail), errors=exc.problem_errors())
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    return problem(409, str(exc.detail), **extra)


def _summary(request: Any, team_name: str) -> dict[str, Any]:
    return {
        "id": str(request.id), "state": request.state, "team": {"id": str(request.team_id), "name": team_name},
        "dataset_id": str(request.dataset_id), "offering_id": str(request.offering_id),
        "challenge_id": str(request.challenge_id), "purpose": request.purpose,
        "amends_grant_id": str(request.amends_grant_id) if request.amends_grant_id else None,
        "created_at": request.created_at.isoformat() if request.created_at else None,
    }  # fmt: skip


async def _view(db: AsyncSession, actor: Actor, request_id: uuid.UUID, status: int = 200) -> Response[Any]:
    page = await history.request_page(db, actor, request_id)
    body = _summary(page.ctx.request, page.ctx.team.name) | {
        "agreement_version": page.version,
        "members": [
            {
                "id": str(m.user_id),
                "name": m.name,
                "accepted_version": m.accepted_version,
                "in_team": m.in_team,
            }
            for m in page.members
        ],
        "events": [history.event_dict(row) for row in page.events],
    }
    return Response(body, status_code=status, headers={"cache-control": "no-store"})


async def _run(db: AsyncSession, actor: Actor, request_id: uuid.UUID, action: Any) -> Response[Any]:
    try:
        await action()
    except (InvalidInput, Conflict) as exc:
        return _refused(exc)
    return await _view(db, actor, request_id)


@get("/api/v1/data-requests", name="data_sharing:api_list", **API)
async def api_list(db: NamedDependency[AsyncSession], actor: NamedDependency[Actor]) -> list[dict[str, Any]]:
    """The requests the actor may see: their teams' and those on the datasets they steward."""
    return [_summary(request, name) for request, name in await history.visible_requests(db, actor)]


@post("/api/v1/data-requests", name="data_sharing:api_create", status_code=201, **API)
async def api_create(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    data: JSONBody[RequestCreate],
) -> Response[Any]:
    """The captain drafts a request for an offering of the team's challenge, or (with `amends_grant_id`) one
    asking to add one member to an active grant."""
    form = await history.new_request(db, actor, data.offering_id)
    try:
        if data.amends_grant_id is not None:
            if len(data.members) != 1:
                raise InvalidInput({"members": _("A request to add a member names exactly one new member.")})
            created = await approvals.ask_to_add_member(
                db, actor, data.amends_grant_id, data.members[0], data.purpose, now
            )
        else:
            created = await requests.create(
                db, actor, form.team.id, data.offering_id, data.purpose, data.members, now
            )
    except (InvalidInput, Conflict) as exc:
        return _refused(exc)
    return await _view(db, actor, created.id, status=201)


@get(BASE, name="data_sharing:api_show", **API)
async def api_show(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], request_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """The request, its named members and its history (internal comments for stewards only)."""
    return await _view(db, actor, request_id)


@patch(BASE, name="data_sharing:api_update", **API)
async def api_update(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: JSONBody[RequestUpdate],
) -> Response[Any]:
    """The captain changes a draft or returned request."""
    return await _run(
        db, actor, request_id, lambda: requests.edit(db, actor, request_id, data.purpose, data.members, now)
    )


@post(BASE + "/submit", name="data_sharing:api_submit", status_code=200, **API)
async def api_submit(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _run(db, actor, request_id, lambda: requests.submit(db, actor, request_id, now))


@post(BASE + "/withdraw", name="data_sharing:api_withdraw", status_code=200, **API)
async def api_withdraw(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _run(db, actor, request_id, lambda: requests.withdraw(db, actor, request_id, now))


@post(BASE + "/accept-agreement", name="data_sharing:api_accept", status_code=200, **API)
async def api_accept(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The calling named member accepts the agreement version in force."""
    return await _run(db, actor, request_id, lambda: requests.accept_agreement(db, actor, request_id, now))


@post(BASE + "/approve", name="data_sharing:api_approve", status_code=200, **API)
async def api_approve(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], now: NamedDependency[dt.datetime], request_id: FromPath[uuid.UUID],
    data: JSONBody[Approval],
) -> Response[Any]:  # fmt: skip
    """A steward approves a submitted request; the grant is made in the same transaction."""
    grace = get_context(request.scope).settings.grant_grace_days
    return await _run(db, actor, request_id, lambda: approvals.approve(
        db, actor, request_id, data.expires_at, now, grace_days=grace, starts_at=data.starts_at, comment=data.comment
    ))  # fmt: skip


@post(BASE + "/reject", name="data_sharing:api_reject", status_code=200, **API)
async def api_reject(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: JSONBody[Decision],
) -> Response[Any]:
    return await _run(
        db,
        actor,
        request_id,
        lambda: requests.reject(db, actor, request_id, data.reason or data.comment, now),
    )


@post(BASE + "/return", name="data_sharing:api_return", status_code=200, **API)
async def api_return(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: JSONBody[Decision],
) -> Response[Any]:
    return await _run(
        db,
        actor,
        request_id,
        lambda: requests.return_for_changes(db, actor, request_id, data.comment or data.reason, now),
    )


@post(BASE + "/comments", name="data_sharing:api_comment", status_code=200, **API)
async def api_comment(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: JSONBody[CommentIn],
) -> Response[Any]:
    """A visible comment, or (stewards only) an internal one the team never sees."""
    return await _run(
        db,
        actor,
        request_id,
        lambda: requests.add_comment(db, actor, request_id, data.comment, data.internal, now),
    )


API_ROUTES: list[Any] = [api_list, api_create, api_show, api_update, api_submit, api_withdraw, api_accept,
                         api_approve, api_reject, api_return, api_comment]  # fmt: skip
