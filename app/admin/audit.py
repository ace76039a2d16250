"""The whole audit log for operators: its pages, filter menus and export (reading: app.platform.audit_log)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from app import authz
from app.platform import audit_log
from app.platform.audit_log import AuditFilters, AuditRow
from app.platform.models import AuditEntry
from app.platform.pagination import Page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def search_audit(
    session: AsyncSession, actor: Actor, filters: AuditFilters, page: int = 1
) -> Page[AuditRow]:
    """A page of entries matching the filters, newest first."""
    authz.require(actor, "audit:view_all")
    return await audit_log.page_of(session, filters, page)


async def latest_entries(session: AsyncSession, actor: Actor, limit: int = 10) -> list[AuditRow]:
    authz.require(actor, "audit:view_all")
    statement = audit_log.entries(AuditFilters()).order_by(AuditEntry.id.desc()).limit(limit)
    return [AuditRow(*row) for row in await session.execute(statement)]


async def filter_choices(session: AsyncSession, actor: Actor) -> tuple[list[str], list[str]]:
    """The actions and object types present in the log, for the filter menus."""
    authz.require(actor, "audit:view_all")
    types = await session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    return await audit_log.actions_in(session), list(types)


async def export_audit(session: AsyncSession, actor: Actor, filters: AuditFilters) -> AsyncIterator[bytes]:
    """The matching entries as CSV, IP addresses included; the export is audited before the first byte."""
    authz.require(actor, "audit:view_all")
    return await audit_log.export(session, actor, filters, ("audit_log", None))
