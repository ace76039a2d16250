"""The mail log: every e-mail the platform wrote, read by admins; SMTP-less installs and the demo need it."""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app import authz
from app.notifications.models import MailMessage
from app.platform import audit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PER_PAGE = 50


@dataclasses.dataclass(frozen=True, slots=True)
class MailPage:
    items: list[MailMessage]
    query: str
    page: int
    has_next: bool


@dataclasses.dataclass(frozen=True, slots=True)
class BodyPart:
    """A piece of a message body: plain text, or a link into this site made clickable."""

    text: str
    href: str | None = None


async def list_mail(
    session: AsyncSession, actor: Actor | None, *, query: str = "", page: int = 1
) -> MailPage:
    """Messages newest first, optionally those whose recipient contains `query`. Admins only (others: 404)."""
    authz.require(actor, "mail_log:view")
    query = query.strip()
    statement = select(MailMessage).order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    if query:
        statement = statement.where(MailMessage.to_address.ilike(f"%{_escape_like(query)}%", escape="\\"))
    rows = list(await session.scalars(statement.offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)))
    return MailPage(items=rows[:PER_PAGE], query=query, page=page, has_next=len(rows) > PER_PAGE)


async def show_mail(
    session: AsyncSession, actor: Actor | None, mail_id: uuid.UUID, *, ip: str | None = None
) -> MailMessage:
    """One message with its body. Bodies hold sign-in and reset links, so each reading is in the audit log."""
    authz.require(actor, "mail_log:view")
    message = await session.get(MailMessage, mail_id)
    if message is None:
        raise NotFoundException()
    await audit.record(
        session, actor, "mail_log:read_message", "mail_message", message.id, {"to": message.to_address}, ip=ip
    )
    return message


def body_parts(body: str, base_url: str) -> list[BodyPart]:
    """Split a body so that links to this site can be clicked; any other address stays plain text."""
    pattern = re.compile(re.escape(base_url) + r"/[^\s<>\"']*")
    parts: list[BodyPart] = []
    position = 0
    for match in pattern.finditer(body):
        if match.start() > position:
            parts.append(BodyPart(body[position : match.start()]))
        parts.append(BodyPart(match.group(), href=match.group()))
        position = match.end()
    if position < len(body):
        parts.append(BodyPart(body[position:]))
    return parts


def _escape_like(text: str) -> str:
    # NUL is refused by PostgreSQL in text: dropped, as a search never means it.
    return text.replace("\x00", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
