"""Receipts of a submission: a notification and an e-mail to every member, naming the version and each file's checksum.

Each e-mail is keyed by the submitted version and its recipient, so asking twice sends it once.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.accounts.models import User
from app.notifications.services import notify, queue_mail
from app.platform.i18n import format_datetime, format_number, in_locale
from app.platform.i18n import gettext as _
from app.teams.models import StoredFile, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.settings import Settings
    from app.teams.models import Submission, SubmissionVersion
    from app.teams.submissions import RoundScope


async def send_receipts(
    session: AsyncSession,
    settings: Settings,
    scope: RoundScope,
    submission: Submission,
    version: SubmissionVersion,
) -> None:
    """Tell every member of the team that `version` was submitted: in the app, and by an e-mail receipt
    (to verified, active addresses) listing the version and each file's name and SHA-256."""
    members = list(
        await session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == scope.team.id)
            .order_by(User.id)
        )
    )
    files = await _files(session, scope, version)
    params = {
        "team": scope.team.name,
        "round": scope.round.name,
        "challenge": scope.challenge.title,
        "version": version.number,
    }
    for member in members:
        await notify(session, member.id, "submission_received", params, link=scope.path)
        if member.is_active and member.email_verified_at is not None:
            with in_locale(member.locale):
                await queue_mail(
                    session,
                    to=member.email,
                    subject=_(
                        "Receipt: %(team)s submitted %(round)s", team=scope.team.name, round=scope.round.name
                    ),
                    body=_receipt_body(settings, scope, version, member, files),
                    key=f"submission_receipt:{version.id}:{member.id}",
                )


async def _files(
    session: AsyncSession, scope: RoundScope, version: SubmissionVersion
) -> list[tuple[str, StoredFile]]:
    """(question label, stored file) in the form's order."""
    ids = [uuid.UUID(str(value)) for value in version.files.values() if value]
    rows = (
        {row.id: row for row in await session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))}
        if ids
        else {}
    )
    found = []
    for field in scope.fields:
        value = version.files.get(field.key)
        stored = rows.get(uuid.UUID(str(value))) if value else None
        if stored is not None:
            found.append((field.label, stored))
    return found


def _receipt_body(
    settings: Settings,
    scope: RoundScope,
    version: SubmissionVersion,
    member: User,
    files: list[tuple[str, StoredFile]],
) -> str:
    lines = [
        _("Hello %(name)s,", name=member.name),
        "",
        _(
            "Your team %(team)s submitted %(round)s of %(challenge)s on %(date)s. This is version %(version)s.",
            team=scope.team.name,
            round=scope.round.name,
            challenge=scope.challenge.title,
            date=format_datetime(version.created_at, scope.challenge.timezone),
            version=version.number,
        ),
        "",
    ]
    if files:
        lines.append(_("Files received:"))
        for label, stored in files:
            lines.append(
                _(
                    "- %(label)s: %(name)s (%(size)s bytes)",
                    label=label,
                    name=stored.original_name,
                    size=format_number(stored.size),
                )
            )
            lines.append(_("  SHA-256: %(checksum)s", checksum=stored.sha256))
    else:
        lines.append(_("No files were attached."))
    lines += [
        "",
        _("See the submission: %(url)s", url=settings.base_url + scope.path),
        "",
        "-- ",
        _("You receive this receipt because you are a member of the team %(team)s.", team=scope.team.name),
    ]
    return "\n".join(lines)
