"""Versions of a submission: the latest with its history (the submission page), an earlier one, restoring one.

Version numbers are dense (1, 2, 3...), so a page of the history is a range of numbers: one query,
whatever the number of versions, plus the version just before the page to tell what its oldest
entry changed.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app.accounts.models import User
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.platform.pagination import Page
from app.teams.models import StoredFile, Submission, SubmissionVersion
from app.teams.submission_schemas import action_label, editable
from app.teams.submissions import (
    Change,
    RoundScope,
    add_version,
    closed_message,
    countdown,
    latest,
    load_scope,
    locked_submission,
    open_for_change,
    require_base,
    stored_files,
)
from app.teams.teams import submit_blocker

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.teams.submission_queries import FieldFacts

HISTORY_PAGE = 20
# Version numbers are PostgreSQL integers: a larger number in a URL names no version.
NUMBER_MAX = 2**31 - 1


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryEntry:
    number: int
    action: str
    restored_from: int | None
    created_at: dt.datetime
    author: str | None
    author_id: uuid.UUID | None
    # Labels of the questions whose answer or file differs from the version before, in the form's order.
    changed: list[str]

    @property
    def label(self) -> str:
        return action_label(self.action, self.restored_from)


@dataclasses.dataclass(frozen=True, slots=True)
class VersionDetail:
    scope: RoundScope
    submission: Submission
    version: SubmissionVersion
    author: str | None
    files: dict[str, StoredFile]
    # A member of the team, while the round is open, looking at another version than the latest.
    can_restore: bool

    @property
    def fields(self) -> list[FieldFacts]:
        """The current questions, and retired ones this version answered."""
        version = self.version
        return [
            f for f in self.scope.fields if editable(f) or f.key in version.answers or f.key in version.files
        ]


@dataclasses.dataclass(frozen=True, slots=True)
class SubmissionPage:
    """The submission page: the round's form with the latest answers and files, its state and history."""

    scope: RoundScope
    submission: Submission | None
    current: SubmissionVersion | None
    updated_by: str | None
    files: dict[str, StoredFile]
    history: Page[HistoryEntry]
    # Why nothing can change now (before the opening, after the deadline), or None while open.
    closed: str | None
    countdown: str
    # A member of the team, while the round is open.
    can_edit: bool
    blocker: str | None
    # The founders' screening when it concerns the team: ("returned" | "ineligible", their words), or None.
    screening: tuple[str, str] | None = None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission is not None else "draft"

    @property
    def version(self) -> int:
        return self.submission.version if self.submission is not None else 0

    @property
    def answers(self) -> dict[str, Any]:
        return self.current.answers if self.current is not None else {}

    @property
    def fields(self) -> list[FieldFacts]:
        """The questions to show: current ones, then retired ones that still hold an answer or a file."""
        return [
            field
            for field in self.scope.fields
            if editable(field) or field.key in self.answers or field.key in self.files
        ]


async def submission_page(
    session: AsyncSession,
    actor: Actor | None,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    now: dt.datetime,
    history_page: int = 1,
) -> SubmissionPage:
    """Everything the submission page shows, in a bounded number of queries whatever the versions."""
    from app.judging.screening import word_to_team

    scope = await load_scope(session, actor, team_id, round_id, "submission:view")
    submission, current, updated_by = await latest(session, scope)
    timezone = scope.challenge.timezone
    closed = closed_message(scope.round, now, timezone)
    return SubmissionPage(
        scope=scope,
        submission=submission,
        current=current,
        updated_by=updated_by,
        files=await stored_files(session, current.files) if current is not None else {},
        history=await history(session, scope, submission, history_page),
        closed=closed,
        countdown=countdown(scope.round, now, timezone),
        can_edit=closed is None and scope.can(actor, "submission:edit"),
        blocker=await submit_blocker(session, scope.team, scope.challenge),
        screening=await word_to_team(session, submission.id) if submission is not None else None,
    )


async def history(
    session: AsyncSession,
    scope: RoundScope,
    submission: Submission | None,
    page: int = 1,
    per_page: int = HISTORY_PAGE,
) -> Page[HistoryEntry]:
    """One page of the versions, newest first, each with its author and what it changed."""
    total = submission.version if submission is not None else 0
    if submission is None or total == 0:
        return Page(items=[], number=1, size=per_page, total=0)
    page = min(max(page, 1), math.ceil(total / per_page))
    high = total - (page - 1) * per_page
    low = max(1, high - per_page + 1)
    rows = await session.execute(
        select(SubmissionVersion, User.name)
        .outerjoin(User, User.id == SubmissionVersion.created_by_id)
        .where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number.between(low - 1, high)
        )
        .order_by(SubmissionVersion.number.desc())
    )
    found = {version.number: (version, name) for version, name in rows}
    entries = []
    for number in range(high, low - 1, -1):
        if number not in found:
            continue
        version, name = found[number]
        before = found.get(number - 1, (None, None))[0]
        entries.append(
            HistoryEntry(
                number=number,
                action=version.action,
                restored_from=version.restored_from,
                created_at=version.created_at,
                author=name,
                author_id=version.created_by_id,
                changed=changed_labels(scope, before, version),
            )
        )
    return Page(items=entries, number=page, size=per_page, total=total)


def changed_labels(
    scope: RoundScope, before: SubmissionVersion | None, after: SubmissionVersion
) -> list[str]:
    """What `after` changed compared with `before`: the labels of the questions concerned, in form order."""
    old_answers: dict[str, Any] = before.answers if before is not None else {}
    old_files: dict[str, Any] = before.files if before is not None else {}
    keys = {
        key
        for key in {*old_answers, *after.answers, *old_files, *after.files}
        if old_answers.get(key) != after.answers.get(key) or old_files.get(key) != after.files.get(key)
    }
    labels = [field.label for field in scope.fields if field.key in keys]
    # Answers to questions the founders have since deleted still count, under their key.
    known = {field.key for field in scope.fields}
    return labels + sorted(keys - known)


async def show_version(
    session: AsyncSession,
    actor: Actor | None,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    number: int,
    now: dt.datetime,
) -> VersionDetail:
    """Version `number` of the team's submission to the round, with its files; 404 when there is none."""
    scope = await load_scope(session, actor, team_id, round_id, "submission:view")
    if not 1 <= number <= NUMBER_MAX:
        raise NotFoundException()
    row = (
        await session.execute(
            select(Submission, SubmissionVersion, User.name)
            .join(SubmissionVersion, SubmissionVersion.submission_id == Submission.id)
            .outerjoin(User, User.id == SubmissionVersion.created_by_id)
            .where(
                Submission.team_id == scope.team.id,
                Submission.round_id == scope.round.id,
                SubmissionVersion.number == number,
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    submission, version, author = row
    can_restore = (
        number != submission.version
        and scope.can(actor, "submission:edit")
        and closed_message(scope.round, now, scope.challenge.timezone) is None
    )
    files = await stored_files(session, version.files)
    return VersionDetail(scope, submission, version, author, files, can_restore)


async def restore_version(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    number: int,
    now: dt.datetime,
    *,
    base_version: int | None = None,
) -> Change:
    """Bring back version `number`: a new version with exactly its answers and files (action "restore").

    Same rules as saving: open round, latest base version, the team's members only.
    """
    scope = await open_for_change(session, actor, team_id, round_id, now)
    if not 1 <= number <= NUMBER_MAX:
        raise NotFoundException()
    submission, _current = await locked_submission(session, scope)
    await require_base(session, scope, submission, base_version)
    earlier = await session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number == number
        )
    )
    if earlier is None:
        raise NotFoundException()
    if number == submission.version:
        raise Conflict(detail=_("Version %(number)s is already the current one.", number=number))
    version = await add_version(
        session,
        actor,
        submission,
        answers=dict(earlier.answers),
        files=dict(earlier.files),
        action="restore",
        at=now,
        restored_from=number,
    )
    return Change(scope, submission, version)
