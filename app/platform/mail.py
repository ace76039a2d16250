"""Delivering e-mail: through SMTP when SMTP_URL is set, otherwise into the mail log only."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from app.notifications.models import MailMessage
    from app.settings import Settings


async def deliver(settings: Settings, message: MailMessage) -> str:
    """Send and return the transport used. The row itself is the log entry."""
    if not settings.smtp_url:
        return "log"
    import aiosmtplib

    parts = urlsplit(settings.smtp_url)
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = f"<{message.id}@tremplin>"
    email.set_content(message.body_text)
    await aiosmtplib.send(
        email,
        hostname=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=parts.scheme == "smtps",
        start_tls=None if parts.scheme == "smtps" else True if parts.username else None,
        timeout=30,
    )
    return "smtp"
