"""Submissions of a team to a round: its form, drafts saved as versions, submitting and withdrawing.

Invariants kept here:
- One submission per team and round (unique constraint). Every change is a new SubmissionVersion
  numbered previous + 1; Submission.version names the latest, and nothing is ever overwritten.
- A change names the version it was based on. The submission row is locked (SELECT ... FOR UPDATE)
  before the comparison, so of two members saving on the same base version exactly one succeeds;
  the other is refused (409) and told who saved and when. Never a silent overwrite.
- Deadlines: a change is accepted only while `lifecycle.round_open(round, now)` holds, `now` being
  the instant the request arrived. The arrival time decides: a save that arrived at 11:59:59 for a
  noon deadline is accepted, one that arrived at 12:00:00 is refused, whatever the page showed. Uploads
  follow the same rule, with one bound on slow bodies (app.teams.uploads).
- Only members of a team of the round's challenge change its submission, and only in a round the
  team may enter (`may_enter_round`: the first round, or a later one the founders advanced it to).
  Founders read.
- Status: a draft until submitted; editing after submitting keeps it submitted (a new version);
  withdrawing is possible until the deadline; saving a withdrawn submission makes it a draft again.
  Founders may return a submitted entry for changes while the round is open (app.judging.screening):
  a new version by them, action "return", and a draft again until the team submits anew.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert

from app import authz
from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.models import Challenge, Round
from app.judging.models import Advancement
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import format_datetime, ngettext
from app.platform.i18n import gettext as _
from app.teams import submission_queries
from app.teams.models import StoredFile, Submission, SubmissionVersion, Team
from app.teams.queries import ChallengeFacts, TeamFacts
from app.teams.receipts import send_receipts
from app.teams.submission_queries import FieldFacts, RoundFacts, VersionFacts
from app.teams.submission_schemas import checked_answers, editable, missing_required
from app.teams.teams import submit_blocker, team_and_relations
from app.webhooks import events as webhook_events

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings


class SubmissionRefused(ClientException):
    """The team may see the round but not change its submission now (closed, not advanced); the detail says why."""

    status_code = 403


class VersionConflict(Conflict):
    """Someone saved since the version the change was based on; carries who and when, for the message."""

    def __init__(self, version: int, by: str | None, at: dt.datetime | None, timezone: str) -> None:
        detail = _(
            "%(name)s saved version %(version)s at %(time)s while you were editing, so your change was not "
            "saved. Reload to see their version; copy your text first if you want to keep it.",
            name=by or _("Someone"),
            version=version,
            time=format_datetime(at, timezone, "short"),
        )
        super().__init__(detail=detail)
        self.version = version
        self.by = by
        self.at = at


@dataclasses.dataclass(slots=True)
class RoundScope:
    """A team and one round of its challenge, as the actor sees them: relations and the round's form."""

    team: TeamFacts
    challenge: ChallengeFacts
    round: RoundFacts
    relations: set[str]
    # Current questions in order, then retired ones.
    fields: list[FieldFacts]

    def can(self, actor: Actor | None, action: str) -> bool:
        return authz.can(actor, action, self.relations)

    def field(self, key: str) -> FieldFacts | None:
        return next((field for field in self.fields if field.key == key), None)

    @property
    def path(self) -> str:
        return f"/teams/{self.team.id}/rounds/{self.round.id}"


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """What a change left: the submission and its latest version; `created` is False when nothing changed."""

    scope: RoundScope
    submission: Submission
    # The new version, or when nothing changed the latest one.
    version: SubmissionVersion | VersionFacts
    created: bool = True
    # The file an upload stored.
    file: StoredFile | None = None


async def may_enter_round(session: AsyncSession, team: Team, round_: Round) -> bool:
    """Whether the team takes part in the round: every team in the first one; in a later one only the teams
    the founders advanced to it (an `advancements` row, app.judging.shortlist)."""
    if round_.position == 1:
        return True
    return bool(
        await session.scalar(
            select(
                select(Advancement.team_id)
                .where(Advancement.round_id == round_.id, Advancement.team_id == team.id)
                .exists()
            )
        )
    )


def not_advanced(round_: Round | RoundFacts) -> SubmissionRefused:
    return SubmissionRefused(detail=_("Your team was not advanced to %(round)s.", round=round_.name))


def closed_message(round_: Round | RoundFacts, now: dt.datetime, timezone: str) -> str | None:
    """Why the round takes no change at `now`, or None while it is open."""
    if lifecycle.round_open(round_, now):
        return None
    if now < round_.opens_at:
        return _(
            "%(round)s opens on %(date)s: nothing can be saved before.",
            round=round_.name,
            date=format_datetime(round_.opens_at, timezone),
        )
    return _(
        "The deadline of %(round)s passed on %(date)s: the submission can no longer change.",
        round=round_.name,
        date=format_datetime(round_.deadline, timezone),
    )


def countdown(round_: Round | RoundFacts, now: dt.datetime, timezone: str) -> str:
    """The deadline in words for the page: when it opens, how long is left, or since when it is closed."""
    if now < round_.opens_at:
        return _("Opens on %(date)s.", date=format_datetime(round_.opens_at, timezone))
    if now >= round_.deadline:
        return _("Closed since %(date)s.", date=format_datetime(round_.deadline, timezone))
    return _(
        "Closes on %(date)s: %(left)s left.",
        date=format_datetime(round_.deadline, timezone),
        left=time_left(round_.deadline - now),
    )


def time_left(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        parts = [
            ngettext("%(num)s day", "%(num)s days", days),
            ngettext("%(num)s hour", "%(num)s hours", hours),
        ]
    elif hours:
        parts = [
            ngettext("%(num)s hour", "%(num)s hours", hours),
            ngettext("%(num)s minute", "%(num)s minutes", minutes),
        ]
    elif minutes:
        parts = [ngettext("%(num)s minute", "%(num)s minutes", minutes)]
    else:
        return _("less than a minute")
    return " ".join(parts)


# --- loading ----------------------------------------------------------------------------------------------


async def _team_for(
    session: AsyncSession, actor: Actor | None, team_id: uuid.UUID
) -> tuple[Team, Challenge, set[str]]:
    """The team, its challenge and the actor's relations, when the actor may see the team's work (404 otherwise)."""
    team, challenge, relations = await team_and_relations(session, actor, team_id)
    authz.require(actor, "submission:view", relations)
    return team, challenge, relations


async def load_scope(
    session: AsyncSession, actor: Actor | None, team_id: uuid.UUID, round_id: uuid.UUID, action: str
) -> RoundScope:
    """The team's round if the actor may do `action` there: 404 when they may not see the team's work
    or the round is not of its challenge, 403 when they see it but may not act or the team has not
    been advanced to the round. One statement (plain rows: every save and upload starts here)."""
    head = await submission_queries.round_head(session, actor.id if actor else None, team_id, round_id)
    if head is None:
        raise NotFoundException()
    authz.require(actor, "submission:view", head.relations)
    if head.round is None:
        raise NotFoundException()
    if not head.may_enter:
        raise not_advanced(head.round)
    authz.require(actor, action, head.relations)
    return RoundScope(head.team, head.challenge, head.round, head.relations, head.fields)


async def latest(
    session: AsyncSession, scope: RoundScope
) -> tuple[Submission | None, SubmissionVersion | None, str | None]:
    """The submission, its latest version and the name of who made it, in one query (Nones before any save)."""
    row = (
        await session.execute(
            select(Submission, SubmissionVersion, User.name)
            .outerjoin(
                SubmissionVersion,
                (SubmissionVersion.submission_id == Submission.id)
                & (SubmissionVersion.number == Submission.version),
            )
            .outerjoin(User, User.id == Submission.updated_by_id)
            .where(Submission.team_id == scope.team.id, Submission.round_id == scope.round.id)
        )
    ).one_or_none()
    if row is None:
        return None, None, None
    return row[0], row[1], row[2]


async def stored_files(session: AsyncSession, files: Mapping[str, Any]) -> dict[str, StoredFile]:
    """The stored files a version points at, by field key, in one query."""
    ids = {uuid.UUID(str(value)) for value in files.values() if value}
    if not ids:
        return {}
    rows = {row.id: row for row in await session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))}
    return {
        key: rows[uuid.UUID(str(value))]
        for key, value in files.items()
        if value and uuid.UUID(str(value)) in rows
    }


# --- changing ---------------------------------------------------------------------------------------------


def require_open(scope: RoundScope, now: dt.datetime) -> None:
    message = closed_message(scope.round, now, scope.challenge.timezone)
    if message:
        raise SubmissionRefused(detail=message)


async def open_for_change(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    now: dt.datetime,
    action: str = "submission:edit",
) -> RoundScope:
    """The scope of a change: allowed for the actor, and the round open at the instant the request arrived."""
    scope = await load_scope(session, actor, team_id, round_id, action)
    require_open(scope, now)
    return scope


@functools.cache
def _locking() -> Select[Submission]:
    # Built once: the statement's construction cost more than its execution on every save.
    return (
        select(Submission)
        .where(Submission.team_id == bindparam("team_id"), Submission.round_id == bindparam("round_id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def locked_submission(
    session: AsyncSession, scope: RoundScope
) -> tuple[Submission, VersionFacts | None]:
    """The submission row, created if needed and locked until the transaction ends, with its latest version
    (read once the row is locked, so it is the latest for as long as the transaction lasts)."""
    ids = {"team_id": scope.team.id, "round_id": scope.round.id}
    submission = await session.scalar(_locking(), ids)
    if submission is None:
        # Two first saves at once: one insert wins, the other waits for it to commit and then finds its row.
        await session.execute(
            insert(Submission)
            .values(id=uuid.uuid4(), team_id=scope.team.id, round_id=scope.round.id)
            .on_conflict_do_nothing(index_elements=["team_id", "round_id"])
        )
        submission = await session.scalar(_locking(), ids)
        assert submission is not None
    current = None
    if submission.version:
        current = await submission_queries.version_of(session, submission.id, submission.version)
    return submission, current


async def require_base(
    session: AsyncSession, scope: RoundScope, submission: Submission, base_version: int | None
) -> None:
    """Refuse (409, saying who saved and when) a change based on another version than the latest."""
    if base_version is None or base_version == submission.version:
        return
    by = await session.scalar(select(User.name).where(User.id == submission.updated_by_id))
    raise VersionConflict(submission.version, by, submission.updated_at, scope.challenge.timezone)


def retired_answers(scope: RoundScope, version: VersionFacts | None) -> dict[str, Any]:
    """Answers to questions the team can no longer change: carried over to every new version."""
    if version is None:
        return {}
    kept = {field.key for field in scope.fields if not editable(field)}
    return {key: value for key, value in version.answers.items() if key in kept}


async def add_version(
    session: AsyncSession,
    actor: Actor,
    submission: Submission,
    *,
    answers: dict[str, Any],
    files: dict[str, Any],
    action: str,
    at: dt.datetime,
    restored_from: int | None = None,
) -> SubmissionVersion:
    """Append version `submission.version + 1` and move the submission to it (its row is locked)."""
    version = SubmissionVersion(
        submission_id=submission.id,
        number=submission.version + 1,
        answers=answers,
        files=files,
        created_by_id=actor.id,
        action=action,
        restored_from=restored_from,
        created_at=at,
    )
    session.add(version)
    submission.version = version.number
    submission.updated_at = at
    submission.updated_by_id = actor.id
    if action == "submit":
        submission.status = "submitted"
        submission.submitted_at = at
    elif action == "withdraw":
        submission.status = "withdrawn"
    elif action == "return" or submission.status == "withdrawn":
        # Returned by the founders for changes, or worked on again after withdrawing: a draft until
        # submitted anew.
        submission.status = "draft"
    await session.flush()
    # What the founders screened is no longer what is there (app.judging.screening).
    from app.judging.screening import forget_decision

    await forget_decision(session, submission.id, action)
    return version


async def save_draft(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    base_version: int,
    answers: Mapping[str, Any],
) -> Change:
    """Save the team's answers as a new version (every editable answer: absent ones are cleared).

    Refused when the round is closed at `now` (403), when `base_version` is not the latest (409), or
    with every invalid answer (422). Saving what the latest version already holds makes no new version
    and is no conflict, whatever the base version (an autosave and a click on "Save" racing each other).
    """
    scope = await open_for_change(session, actor, team_id, round_id, now)
    checked = checked_answers(scope.fields, answers)
    submission, current = await locked_submission(session, scope)
    merged = {**retired_answers(scope, current), **checked}
    if current is not None and merged == current.answers:
        # Already what the latest version holds, whoever saved it: nothing to lose, nothing to add.
        return Change(scope, submission, current, created=False)
    await require_base(session, scope, submission, base_version)
    files = dict(current.files) if current else {}
    version = await add_version(
        session, actor, submission, answers=merged, files=files, action="save", at=now
    )
    return Change(scope, submission, version)


async def submit(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    settings: Settings,
    base_version: int | None = None,
    answers: Mapping[str, Any] | None = None,
) -> Change:
    """Submit the team's work: the given answers (the page's form) or the latest version as it stands.

    Refused when the round is closed (403), the team may not submit (409, e.g. too few members), the
    base version is not the latest while the answers differ from the latest ones (409), or a required
    question is unanswered (422). Each member is sent a receipt. Submitting again (after editing)
    makes a new submitted version and new receipts.
    """
    scope = await open_for_change(session, actor, team_id, round_id, now, "submission:submit")
    blocker = await submit_blocker(session, scope.team, scope.challenge)
    if blocker:
        raise Conflict(detail=blocker)
    checked = checked_answers(scope.fields, answers) if answers is not None else None
    submission, current = await locked_submission(session, scope)
    if checked is None:
        merged = dict(current.answers) if current else {}
    else:
        merged = {**retired_answers(scope, current), **checked}
    if current is None or merged != current.answers:
        await require_base(session, scope, submission, base_version)
    files = dict(current.files) if current else {}
    missing = missing_required(scope.fields, merged, files)
    if missing:
        raise InvalidInput(missing)
    version = await add_version(
        session, actor, submission, answers=merged, files=files, action="submit", at=now
    )
    await send_receipts(session, settings, scope, submission, version)
    await webhook_events.submission_submitted(
        session, scope.challenge, scope.round, scope.team, submission.id, version.number, now
    )
    return Change(scope, submission, version)


async def withdraw(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    base_version: int | None = None,
) -> Change:
    """Withdraw a submitted submission until the deadline (a new version, answers unchanged)."""
    scope = await open_for_change(session, actor, team_id, round_id, now, "submission:submit")
    submission, current = await locked_submission(session, scope)
    await require_base(session, scope, submission, base_version)
    if submission.status != "submitted" or current is None:
        raise Conflict(detail=_("Only a submitted submission can be withdrawn."))
    version = await add_version(
        session,
        actor,
        submission,
        answers=dict(current.answers),
        files=dict(current.files),
        action="withdraw",
        at=now,
    )
    return Change(scope, submission, version)


# --- the team's submissions -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class RoundEntry:
    """A round of the team's challenge and where the team stands in it."""

    round: Round
    may_enter: bool
    submission: Submission | None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission is not None else "draft"

    @property
    def version(self) -> int:
        return self.submission.version if self.submission is not None else 0


async def team_submissions(
    session: AsyncSession, actor: Actor | None, team_id: uuid.UUID
) -> tuple[Team, list[RoundEntry]]:
    """Every round of the team's challenge, in order, with the team's submission to it and whether the team
    takes part in it (two queries: the first round, or advanced to it, as `may_enter_round` says)."""
    team, challenge, _relations = await _team_for(session, actor, team_id)
    advanced = select(Advancement.team_id).where(
        Advancement.round_id == Round.id, Advancement.team_id == team.id
    )
    rows = await session.execute(
        select(Round, Submission, (Round.position == 1) | advanced.exists())
        .outerjoin(Submission, (Submission.round_id == Round.id) & (Submission.team_id == team.id))
        .where(Round.challenge_id == challenge.id)
        .order_by(Round.position)
    )
    return team, [RoundEntry(round_, bool(may_enter), submission) for round_, submission, may_enter in rows]
