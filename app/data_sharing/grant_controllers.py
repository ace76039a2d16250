"""The grant page (its team, the challenge's founders, the dataset's stewards) and the stewards' forms that
end access early: revoking the grant, removing one member. Both need a reason. The team's captain asks
there to add a member (a small amended request, then accepted by the member and decided by a steward)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app import authz
from app.accounts.sessions import Actor
from app.challenges.pages import Failed, failed_form, state_of, text
from app.data_sharing import approvals, grants, requests
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.web import flash, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/grants/{grant_id:uuid}"


async def grant_page(
    request: Request[Any, Any, Any], db: AsyncSession, actor: Actor, now: dt.datetime, grant_id: uuid.UUID,
    failed: Failed | None = None,
) -> Response[str]:  # fmt: skip
    ctx, members = await grants.grant_page(db, actor, grant_id)
    context = {
        "ctx": ctx, "grant": ctx.grant, "members": members, "status": grants.status_of(ctx.grant, now),
        "can_manage": authz.can(actor, "grant:manage", ctx.relations), "state": state_of(failed),
        "amendments": await approvals.amendments(db, actor, ctx, now),
        "can_view_requests": authz.can(actor, "access_request:view", ctx.relations),
        "request_label": requests.state_label,
    }  # fmt: skip
    return render(request, "data_sharing/grant.html", context, status_code=failed.status if failed else 200)


@get(BASE, name="grants:show", **PAGE)
async def show_grant(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    grant_id: FromPath[uuid.UUID],
) -> Response[str]:
    return await grant_page(request, db, actor, now, grant_id)


@post(f"{BASE}/revoke", name="grants:revoke", **PAGE)
async def revoke_grant(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    grant_id: FromPath[uuid.UUID],
) -> Response[Any]:
    data = dict(await request.form())
    try:
        await grants.revoke(db, actor, grant_id, text(data, "reason"), now)
    except (InvalidInput, Conflict) as exc:
        return await grant_page(request, db, actor, now, grant_id, failed_form("revoke", data, exc))
    flash(request, "success", _("The grant is revoked: the team has lost access."))
    return redirect(request, f"/grants/{grant_id}")


@post(f"{BASE}/members/{{user_id:uuid}}/remove", name="grants:remove_member", **PAGE)
async def remove_member(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], now: NamedDependency[dt.datetime], grant_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:  # fmt: skip
    data = dict(await request.form())
    try:
        await grants.remove_member(db, actor, grant_id, user_id, text(data, "reason"), now)
    except (InvalidInput, Conflict) as exc:
        return await grant_page(
            request, db, actor, now, grant_id, failed_form("remove", data, exc, key=user_id)
        )
    flash(request, "success", _("The member is removed from the grant and has lost access."))
    return redirect(request, f"/grants/{grant_id}")


@post(f"{BASE}/members", name="grants:ask_member", **PAGE)
async def ask_member(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    grant_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The captain asks to add a member: a draft amended request, which the member accepts on its page."""
    data = dict(await request.form())
    values = {"members": text(data, "members"), "purpose": text(data, "purpose")}
    try:
        created = await approvals.ask_to_add_member(
            db, actor, grant_id, values["members"], values["purpose"], now
        )
    except (InvalidInput, Conflict) as exc:
        return await grant_page(request, db, actor, now, grant_id, failed_form("add", values, exc))
    flash(
        request,
        "success",
        _(
            "The request to add a member is saved as a draft. The member accepts the agreement on it, then you submit it to the stewards."
        ),
    )
    return redirect(request, f"/data-requests/{created.id}")


ROUTES: list[Any] = [show_grant, revoke_grant, remove_member, ask_member]
