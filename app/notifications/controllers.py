"""Pages and API of notifications, and the admins' mail log."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.notifications import mail_log, services
from app.notifications.schemas import MarkedRead, NotificationList, NotificationOut
from app.platform.context import get_context
from app.platform.i18n import ngettext
from app.web import flash, is_htmx, redirect, render

# Deep offsets cost the database more than anyone reads; nobody pages this far by hand.
MAX_PAGE = 1000


def _list_url(page: int) -> str:
    return "/notifications" if page == 1 else f"/notifications?page={page}"


# --- pages -------------------------------------------------------------------------------------------


@get("/notifications", name="notifications:list", include_in_schema=False)
async def list_notifications(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    page: FromQuery[int] = Parameter(ge=1, le=MAX_PAGE, default=1),
) -> Response[str]:
    result = await services.list_notifications(db, actor, page=page)
    return render(request, "notifications/list.html", {"result": result}, block="notification_page")


@post("/notifications/{notification_id:uuid}/read", name="notifications:read", include_in_schema=False)
async def mark_read(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    notification_id: FromPath[uuid.UUID],
    page: FromQuery[int] = Parameter(ge=1, le=MAX_PAGE, default=1),
) -> Response[Any]:
    view, was_unread = await services.mark_read(db, actor, notification_id)
    if not is_htmx(request):
        return redirect(request, _list_url(page))
    # The header's count was read with the session; one fewer if this one was unread until now.
    ctx = get_context(request.scope)
    ctx.unread_count = max(0, ctx.unread_count - int(was_unread))
    return render(request, "notifications/_marked_read.html", {"item": view, "page_number": page})


@post("/notifications/read-all", name="notifications:read_all", include_in_schema=False)
async def mark_all_read(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[Any]:
    marked = await services.mark_all_read(db, actor)
    flash(
        request,
        "success",
        ngettext("%(num)s notification marked as read.", "%(num)s notifications marked as read.", marked),
    )
    return redirect(request, "/notifications")


@get("/admin/mail", name="mail_log:list", include_in_schema=False)
async def list_mail(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    q: FromQuery[str] = Parameter(default="", max_length=254),
    page: FromQuery[int] = Parameter(ge=1, le=MAX_PAGE, default=1),
) -> Response[str]:
    result = await mail_log.list_mail(db, actor, query=q, page=page)
    return render(request, "notifications/mail_log.html", {"result": result}, block="mail_log_results")


@get("/admin/mail/{mail_id:uuid}", name="mail_log:show", include_in_schema=False)
async def show_mail(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    mail_id: FromPath[uuid.UUID],
) -> Response[str]:
    ctx = get_context(request.scope)
    message = await mail_log.show_mail(db, actor, mail_id, ip=ctx.ip)
    parts = mail_log.body_parts(message.body_text, ctx.settings.base_url)
    return render(request, "notifications/mail_message.html", {"message": message, "parts": parts})


# --- JSON API ----------------------------------------------------------------------------------------


@get("/api/v1/notifications", name="notifications:api_list", tags=["notifications"])
async def api_list_notifications(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    page: FromQuery[int] = Parameter(ge=1, le=MAX_PAGE, default=1),
    per_page: FromQuery[int] = Parameter(ge=1, le=100, default=services.PER_PAGE),
) -> NotificationList:
    """Your notifications, newest first, in your language."""
    result = await services.list_notifications(db, actor, page=page, per_page=per_page)
    unread = await services.count_unread(db, actor)
    return NotificationList.of(result, unread, get_context(request.scope).settings.base_url)


@post(
    "/api/v1/notifications/{notification_id:uuid}/read",
    name="notifications:api_read",
    status_code=200,
    tags=["notifications"],
)
async def api_mark_read(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    notification_id: FromPath[uuid.UUID],
) -> NotificationOut:
    """Mark one of your notifications read (another person's is not found)."""
    view, _was_unread = await services.mark_read(db, actor, notification_id)
    return NotificationOut.of(view, get_context(request.scope).settings.base_url)


@post(
    "/api/v1/notifications/read-all",
    name="notifications:api_read_all",
    status_code=200,
    tags=["notifications"],
)
async def api_mark_all_read(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> MarkedRead:
    """Mark all your notifications read."""
    return MarkedRead(marked=await services.mark_all_read(db, actor))


ROUTES = [
    list_notifications,
    mark_read,
    mark_all_read,
    list_mail,
    show_mail,
    api_list_notifications,
    api_mark_read,
    api_mark_all_read,
]
