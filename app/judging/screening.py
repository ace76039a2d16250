"""Screening: before judging, founders decide for each submitted entry whether it is eligible.

Decisions: eligible; ineligible (with a reason the team is told); returned for changes (with a comment the
team is told), only while the round takes submissions: the submission goes back to draft through a new
version (action "return", app.teams.submissions.add_version), so the team changes it and submits again.

Invariants kept here:
- Only the latest content is screened: any change of the entry by its team (a save, an upload, submitting
  again, withdrawing) clears the decision (`forget_decision`, called by add_version), so a resubmitted
  entry needs screening again. A returned entry keeps "returned" while its team works on it, until it is
  submitted again. The assignment of judges relies on `decision == 'eligible'` alone, which this makes safe.
- A decision locks the submission row first, like a team's save does: a decision and a resubmission of
  the same entry never interleave.
- Every decision is in the audit log, in the decision's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.choices import when
from app.judging.models import Screening
from app.judging.setup import setup_round
from app.notifications.services import notify
from app.organizations.models import Organization
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale, lazy
from app.platform.models import AuditEntry
from app.platform.pagination import Page, paginate
from app.teams.models import Submission, SubmissionVersion, Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.judging.rounds import RoundContext

PAGE_SIZE = 50
REASON_MAX = 2_000
DECISIONS = ("eligible", "ineligible", "returned")
FILTERS = ("unscreened", *DECISIONS)
DECISION_LABELS = {
    "unscreened": lazy("To screen"),
    "eligible": lazy("Eligible"),
    "ineligible": lazy("Ineligible"),
    "returned": lazy("Returned for changes"),
}


def decision_label(decision: str) -> str:
    return _(DECISION_LABELS.get(decision, decision))


@dataclasses.dataclass(frozen=True, slots=True)
class EntryRow:
    submission: Submission
    team: Team
    organization_name: str | None
    screening: Screening | None
    decided_by: str | None
    # The entry was returned for changes before (it has a version made by a "return").
    was_returned: bool

    @property
    def decision(self) -> str:
        return self.screening.decision if self.screening is not None else "unscreened"


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    screening: Screening
    team_name: str


@dataclasses.dataclass(frozen=True, slots=True)
class ScreeningList:
    ctx: RoundContext
    rows: Page[EntryRow]
    # decision (unscreened included) -> number of entries, whatever the filter.
    counts: dict[str, int]
    decision: str
    # Entries may be returned for changes now (the round takes submissions).
    can_return: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def decision_filter(value: str) -> str:
    if value and value not in FILTERS:
        raise InvalidInput({"decision": _("Choose a decision from the list.")})
    return value


def _screened_entries(round_id: uuid.UUID) -> Any:
    """The round's entries founders screen: submitted ones, and returned ones their teams are changing."""
    return and_(
        Submission.round_id == round_id,
        or_(Submission.status == "submitted", Screening.decision == "returned"),
    )


def _listing(round_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    returned_before = (
        select(SubmissionVersion.id)
        .where(SubmissionVersion.submission_id == Submission.id, SubmissionVersion.action == "return")
        .exists()
    )
    return (
        select(Submission, Team, Organization.name, Screening, User.name, returned_before)
        .join(Team, Team.id == Submission.team_id)
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .outerjoin(Screening, Screening.submission_id == Submission.id)
        .outerjoin(User, User.id == Screening.decided_by_id)
        .where(_screened_entries(round_id))
    )


async def screening_list(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    slug: str | None = None,
    decision: str = "",
    page: int = 1,
) -> ScreeningList:
    """The round's entries by team name with their decision, filtered, in pages: four queries after the
    round's, whatever the number of entries."""
    ctx = await setup_round(session, actor, round_id, "judging:manage", slug=slug)
    decision = decision_filter(decision)
    statement = _listing(round_id)
    if decision == "unscreened":
        statement = statement.where(Screening.submission_id.is_(None))
    elif decision:
        statement = statement.where(Screening.decision == decision)
    statement = statement.order_by(func.lower(Team.name), Team.id)
    result = await paginate(session, statement, page, PAGE_SIZE)
    rows = Page(
        items=[EntryRow(*row) for row in result.items],
        number=result.number,
        size=result.size,
        total=result.total,
    )
    label = func.coalesce(Screening.decision, "unscreened")
    counted = await session.execute(
        select(label, func.count())
        .select_from(Submission)
        .outerjoin(Screening, Screening.submission_id == Submission.id)
        .where(_screened_entries(round_id))
        .group_by(label)
    )
    counts = dict.fromkeys(FILTERS, 0) | dict(counted.all())
    return ScreeningList(ctx, rows, counts, decision, lifecycle.round_open(ctx.round, now))


async def entry(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, submission_id: uuid.UUID
) -> EntryRow:
    """One entry of the list, as the list shows it (404 when it is not one the founders screen)."""
    await setup_round(session, actor, round_id, "judging:manage")
    row = (await session.execute(_listing(round_id).where(Submission.id == submission_id))).one_or_none()
    if row is None:
        raise NotFoundException()
    return EntryRow(*row)


# --- deciding -------------------------------------------------------------------------------------------


def _reason(decision: str, reason: str) -> str:
    text = reason.replace("\x00", "").replace("\r\n", "\n").strip()
    if decision == "ineligible" and not text:
        raise InvalidInput({"reason": _("Give the reason: the team will read it.")})
    if decision == "returned" and not text:
        raise InvalidInput({"reason": _("Say what the team should change: they will read it.")})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": _("Use at most %(num)s characters.", num=REASON_MAX)})
    return text


async def decide(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    submission_id: uuid.UUID,
    decision: str,
    reason: str,
    now: dt.datetime,
    *,
    slug: str | None = None,
) -> Decision:
    """Record the founders' decision on a submitted entry of the round (a decision may be changed).

    Ineligible needs a reason, returned a comment; the team's members are notified of both. Returning is
    refused (409) once the round no longer takes submissions."""
    ctx = await setup_round(session, actor, round_id, "judging:manage", slug=slug)
    if decision not in DECISIONS:
        raise InvalidInput({"decision": _("Choose a decision from the list.")})
    text = _reason(decision, reason)
    row = (
        await session.execute(
            select(Submission, Team.name)
            .join(Team, Team.id == Submission.team_id)
            .where(Submission.id == submission_id, Submission.round_id == round_id)
            .with_for_update(of=Submission)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    submission, team_name = row
    if submission.status != "submitted":
        raise Conflict(
            detail=_("Only a submitted entry can be screened: this one is not submitted (any more).")
        )
    if decision == "returned":
        await _return_for_changes(session, actor, ctx, submission, now)
    screening = await _record(session, actor, submission, decision, text, now)
    await audit.record(
        session,
        actor,
        f"screening:{decision}",
        "submission",
        submission.id,
        {
            "challenge": ctx.challenge.slug,
            "round": str(round_id),
            "team": str(submission.team_id),
            "reason": text,
        },
    )
    if decision != "eligible":
        await _tell_team(session, ctx, submission, team_name, decision, text)
    return Decision(screening, team_name)


async def _record(
    session: AsyncSession, actor: Actor, submission: Submission, decision: str, reason: str, now: dt.datetime
) -> Screening:
    values = {"decision": decision, "reason": reason, "decided_by_id": actor.id, "decided_at": now}
    statement = (
        pg_insert(Screening)
        .values(submission_id=submission.id, round_id=submission.round_id, **values)
        .on_conflict_do_update(index_elements=["submission_id"], set_=values)
        .returning(Screening)
        .execution_options(populate_existing=True)
    )
    screening = await session.scalar(statement)
    assert screening is not None
    return screening


async def _return_for_changes(
    session: AsyncSession, actor: Actor, ctx: RoundContext, submission: Submission, now: dt.datetime
) -> None:
    """Back to draft through a new version with the same answers and files (the team's history shows it)."""
    from app.teams.submissions import add_version

    if not lifecycle.round_open(ctx.round, now):
        raise Conflict(
            detail=_(
                "An entry can be returned for changes only while %(round)s takes submissions, and its deadline "
                "passed on %(date)s. Mark it eligible or ineligible instead.",
                round=ctx.round.name,
                date=when(ctx.round.deadline, ctx.challenge.timezone),
            )
        )
    current = await session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number == submission.version
        )
    )
    answers = dict(current.answers) if current is not None else {}
    files = dict(current.files) if current is not None else {}
    await add_version(session, actor, submission, answers=answers, files=files, action="return", at=now)


async def _tell_team(
    session: AsyncSession,
    ctx: RoundContext,
    submission: Submission,
    team_name: str,
    decision: str,
    reason: str,
) -> None:
    params: dict[str, Any] = {
        "team": team_name,
        "round": ctx.round.name,
        "challenge": ctx.challenge.title,
        "reason": reason,
    }
    if decision == "returned":
        deadline: dict[str, str] = {}
        for locale in ("en", "fr"):
            with in_locale(locale):
                deadline[locale] = when(ctx.round.deadline, ctx.challenge.timezone)
        params["deadline"] = deadline
    kind = "entry_returned" if decision == "returned" else "entry_ineligible"
    link = f"/teams/{submission.team_id}/rounds/{submission.round_id}"
    members = await session.scalars(
        select(TeamMember.user_id).where(TeamMember.team_id == submission.team_id)
    )
    for user_id in members.all():
        await notify(session, user_id, kind, params, link=link)


async def mark_unscreened_eligible(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, now: dt.datetime, *, slug: str | None = None
) -> int:
    """Mark every submitted entry without a decision eligible, in three statements whatever their number;
    returns how many. Each gets its audit entry; one decided meanwhile by someone else is left alone."""
    ctx = await setup_round(session, actor, round_id, "judging:manage", slug=slug)
    # Locked like a single decision, so that no team resubmits between this and the decisions below.
    unscreened = list(
        await session.scalars(
            select(Submission.id)
            .outerjoin(Screening, Screening.submission_id == Submission.id)
            .where(
                Submission.round_id == round_id,
                Submission.status == "submitted",
                Screening.submission_id.is_(None),
            )
            .order_by(Submission.id)
            .with_for_update(of=Submission)
        )
    )
    if not unscreened:
        return 0
    values = {
        "round_id": round_id,
        "decision": "eligible",
        "reason": "",
        "decided_by_id": actor.id,
        "decided_at": now,
    }
    # RETURNING names only the rows this statement inserted: a concurrent bulk or single decision that
    # got there first keeps its own (and its own audit entry).
    inserted = list(
        await session.scalars(
            pg_insert(Screening)
            .values([{"submission_id": submission_id, **values} for submission_id in unscreened])
            .on_conflict_do_nothing(index_elements=["submission_id"])
            .returning(Screening.submission_id)
        )
    )
    if inserted:
        details = {"challenge": ctx.challenge.slug, "round": str(round_id), "reason": "", "bulk": True}
        ip = audit.current_ip.get()
        await session.execute(
            insert(AuditEntry),
            [
                {
                    "actor_id": actor.id,
                    "action": "screening:eligible",
                    "object_type": "submission",
                    "object_id": str(submission_id),
                    "details": details,
                    "ip": ip,
                }
                for submission_id in inserted
            ],
        )
    return len(inserted)


async def forget_decision(session: AsyncSession, submission_id: uuid.UUID, action: str) -> None:
    """The team changed its entry (a new version by `action`): what was screened is no longer what is there.

    Submitting again or withdrawing clears any decision; a save or an upload clears it too, except
    "returned", which stays while the team works on its changes. A "return" is the screening itself."""
    if action == "return":
        return
    statement = delete(Screening).where(Screening.submission_id == submission_id)
    if action not in ("submit", "withdraw"):
        statement = statement.where(Screening.decision != "returned")
    await session.execute(statement)


async def word_to_team(session: AsyncSession, submission_id: uuid.UUID) -> tuple[str, str] | None:
    """(decision, reason) when the founders screened the entry out or returned it for changes: what the team's
    submission page says, besides the notification. None for an eligible or unscreened entry."""
    row = (
        await session.execute(
            select(Screening.decision, Screening.reason).where(
                Screening.submission_id == submission_id, Screening.decision.in_(("ineligible", "returned"))
            )
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None
