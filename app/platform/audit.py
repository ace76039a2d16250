"""Writing the audit log: one row per governance action, in the action's own transaction."""

from __future__ import annotations

import contextvars
import uuid
from typing import TYPE_CHECKING, Any

from app.platform.models import AuditEntry

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


# Set by the request context for the duration of a request, so every entry knows where the action came from.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


async def record(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append an entry. It commits or rolls back with the action it describes, never on its own."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details=details or {},
        ip=ip or current_ip.get(),
    )
    session.add(entry)
    await session.flush()
    return entry
