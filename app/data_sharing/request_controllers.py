"""Access requests: drafting, naming members, accepting the agreement, submitting; the stewards' decisions; the history.

Pages: `/data-requests/new?offering=...` (the captain's form), `/data-requests/{id}` (the request with its
whole history and the forms the reader may use). Each form posts to its own route; a refusal shows the
page again with the message beside the form (422/409), a success redirects back to the page (303).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.choices import when
from app.challenges.inputs import parse_local
from app.challenges.pages import PAGE, Failed, Form, failed_form, many, state_of, text
from app.data_sharing import approvals, history, requests
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy
from app.web import flash, redirect, render

BASE = "/data-requests/{request_id:uuid}"
DONE = {
    "edit": lazy("The request was saved."),
    "submit": lazy("The request was submitted to the dataset’s stewards."),
    "withdraw": lazy("The request was withdrawn."),
    "accept": lazy("You accepted the agreement."),
    "approve": lazy("The request was approved and the grant made."),
    "reject": lazy("The request was rejected; the team was told why."),
    "return": lazy("The request was returned to the team for changes."),
    "comment": lazy("Your comment was added."),
}


async def _page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    failed: Failed | None = None,
) -> Response[Any]:
    page = await history.request_page(db, actor, request_id)
    context = {
        "page": page,
        "ctx": page.ctx,
        "req": page.ctx.request,
        "tz": page.ctx.challenge.timezone,
        "state": state_of(failed),
        "state_label": requests.state_label,
        "when": when,
        "me": actor.id,
    }
    return render(request, "data_sharing/request.html", context, status_code=failed.status if failed else 200)


@get(BASE, name="data_sharing:request", **PAGE)
async def show_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _page(request, db, actor, request_id)


@get("/data-requests/new", name="data_sharing:new_request", **PAGE)
async def new_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    offering: FromQuery[uuid.UUID],
) -> Response[Any]:
    form = await history.new_request(db, actor, offering)
    # Like the pages creating a team or registering: the page explains the refusal, with its status (409).
    status = form.refusal.status_code if form.refusal else 200
    return render(
        request, "data_sharing/request_new.html", {"form": form, "state": state_of(None)}, status_code=status
    )


@post("/data-requests", name="data_sharing:create_request", **PAGE)
async def create_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    data: Form,
) -> Response[Any]:
    try:
        offering_id = uuid.UUID(text(data, "offering"))
    except ValueError:
        return render(
            request,
            "errors/error.html",
            {"status": 400, "message": _("Choose a dataset offered to your challenge.")},
            status_code=400,
        )
    form = await history.new_request(db, actor, offering_id)
    try:
        created = await requests.create(
            db, actor, form.team.id, offering_id, text(data, "purpose"), many(data, "members"), now
        )
    except (InvalidInput, Conflict) as exc:
        values = {"purpose": text(data, "purpose"), "members": many(data, "members")}
        failed = failed_form("request", values, exc)
        context = {"form": form, "state": state_of(failed)}
        return render(request, "data_sharing/request_new.html", context, status_code=failed.status)
    flash(
        request,
        "success",
        _("The request was saved as a draft. Each named member now accepts the agreement on this page."),
    )
    return redirect(request, f"/data-requests/{created.id}")


async def _act(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    form: str,
    values: dict[str, Any],
    action: Any,
) -> Response[Any]:
    """Run one action of the page: redirect with a message, or show the page again with the refusal."""
    try:
        await action()
    except (InvalidInput, Conflict) as exc:
        return await _page(request, db, actor, request_id, failed_form(form, values, exc))
    flash(request, "success", _(DONE[form]))
    return redirect(request, f"/data-requests/{request_id}")


@post(BASE + "/edit", name="data_sharing:edit_request", **PAGE)
async def edit_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    purpose, members = text(data, "purpose"), many(data, "members")
    values = {"purpose": purpose, "members": members}
    return await _act(request, db, actor, request_id, "edit", values,
                      lambda: requests.edit(db, actor, request_id, purpose, members, now))  # fmt: skip


@post(BASE + "/submit", name="data_sharing:submit_request", **PAGE)
async def submit_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _act(
        request, db, actor, request_id, "submit", {}, lambda: requests.submit(db, actor, request_id, now)
    )


@post(BASE + "/withdraw", name="data_sharing:withdraw_request", **PAGE)
async def withdraw_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _act(
        request, db, actor, request_id, "withdraw", {}, lambda: requests.withdraw(db, actor, request_id, now)
    )


@post(BASE + "/accept-agreement", name="data_sharing:accept_agreement", **PAGE)
async def accept_agreement(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _act(request, db, actor, request_id, "accept", {},
                      lambda: requests.accept_agreement(db, actor, request_id, now))  # fmt: skip


@post(BASE + "/approve", name="data_sharing:approve_request", **PAGE)
async def approve_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = {"expires_at": text(data, "expires_at"), "comment": text(data, "comment")}
    grace = get_context(request.scope).settings.grant_grace_days

    async def approve() -> Any:
        ctx = await requests.load(db, actor, request_id, "access_request:decide")
        expires_at = None
        if values["expires_at"]:
            try:
                expires_at = parse_local(values["expires_at"], ctx.challenge.timezone)
            except ValueError as exc:
                raise InvalidInput({"expires_at": str(exc)}) from None
        return await approvals.approve(
            db, actor, request_id, expires_at, now, grace_days=grace, comment=values["comment"]
        )

    return await _act(request, db, actor, request_id, "approve", values, approve)


@post(BASE + "/reject", name="data_sharing:reject_request", **PAGE)
async def reject_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = {"reason": text(data, "reason")}
    return await _act(request, db, actor, request_id, "reject", values,
                      lambda: requests.reject(db, actor, request_id, values["reason"], now))  # fmt: skip


@post(BASE + "/return", name="data_sharing:return_request", **PAGE)
async def return_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = {"comment": text(data, "comment")}
    return await _act(request, db, actor, request_id, "return", values,
                      lambda: requests.return_for_changes(db, actor, request_id, values["comment"], now))  # fmt: skip


@post(BASE + "/comments", name="data_sharing:comment_request", **PAGE)
async def comment_request(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    request_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = {"comment": text(data, "comment"), "internal": text(data, "internal")}
    internal = values["internal"] in ("1", "true", "on")
    return await _act(request, db, actor, request_id, "comment", values,
                      lambda: requests.add_comment(db, actor, request_id, values["comment"], internal, now))  # fmt: skip


def _routes() -> list[Any]:
    from app.data_sharing.request_api import API_ROUTES

    return [show_request, new_request, create_request, edit_request, submit_request, withdraw_request,
            accept_agreement, approve_request, reject_request, return_request, comment_request, *API_ROUTES]  # fmt: skip


ROUTES: list[Any] = _routes()
