"""What the pages of the audit log share: one scope's page with its filters (422 on bad input), the CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from litestar.response import Stream

from app.db import utcnow
from app.platform import audit_log
from app.platform.errors import InvalidInput
from app.web import NO_STORE, render

if TYPE_CHECKING:
    from litestar import Request, Response
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.platform.audit_log import ScopedLog


async def scoped_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    log: ScopedLog,
    values: dict[str, str],
    page: int,
) -> Response[str]:
    """The page of one scope of the log; `values` are the filters as typed (action, since, until)."""
    context: dict[str, Any] = {
        "values": values,
        "errors": {},
        "actions": await audit_log.actions_in(db, log.scope),
        "subject": log.subject,
        "back_url": log.back_url,
        "base_url": log.base_url,
        "intro": log.intro,
    }
    try:
        filters = audit_log.audit_filters(**values)
    except InvalidInput as exc:
        context.update(errors=exc.errors, page=None, params="")
        return render(request, "audit/scoped.html", context, block="audit_results", status_code=422)
    context.update(page=await audit_log.page_of(db, filters, page, log.scope), params=filters.query_string())
    return render(request, "audit/scoped.html", context, block="audit_results")


async def scoped_export(db: AsyncSession, actor: Actor, log: ScopedLog, values: dict[str, str]) -> Stream:
    """The CSV of one scope of the log, without IP addresses; InvalidInput (422) on bad filters."""
    filters = audit_log.audit_filters(**values)
    return csv_response(await audit_log.export(db, actor, filters, log.about, log.scope))


def csv_response(rows: AsyncIterator[bytes]) -> Stream:
    filename = f"tremplin-audit-{utcnow():%Y%m%d-%H%M%S}.csv"
    headers = {**NO_STORE, "content-disposition": f'attachment; filename="{filename}"'}
    return Stream(rows, media_type="text/csv; charset=utf-8", headers=headers)
