"""The access rule, the one place that decides whether a person may reach a dataset's content now, and the
access log that records every answer.

A member may access a dataset's content at `now` only while all hold (DESIGN.md, "Access grant"): a grant
of their team on the dataset is active (`starts_at <= now < expires_at`, not revoked), they are named on
it (and not removed from it), they are still a member of the team, and they accepted the dataset's
agreement version in force (the highest version). One SQL query reads, for every grant that could
concern the person, each of these conditions; the answer is the first grant meeting them all, or the
refusal reason of the grant that came closest, so the person and the steward learn precisely why.

Time is `now`, the request's arrival: a grant is refused at its expiry instant even if the expiry job has
not run yet (`expired_at` is bookkeeping only).

A decision and a steward's revocation (or removal of a member) never overlap: the rule first takes a key-share
lock on the grants that concern the person, which the steward's `FOR UPDATE` conflicts with, then reads
the conditions in a fresh statement. So a decision made while a revocation is being committed waits for
it and is refused, and a revocation waits for the decisions under way, whose log rows commit first: once
a revocation is committed, no further access to the grant is ever allowed or logged as allowed.

Every access and every refused attempt goes to the append-only access log. A refusal answers with 403,
and the request middleware rolls back everything of a request answered with a status of 400 or more; so
`refuse()` commits the log row before raising. Nothing else is written on those paths before the rule
runs (the rule is the first thing a content route checks), so that commit carries only the trace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, NoReturn

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import and_, exists, func, select

from app.data_sharing.models import AccessLogEntry, AgreementAcceptance, AgreementVersion, Grant, GrantMember
from app.platform import audit
from app.platform.i18n import gettext, lazy
from app.teams.models import TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

# Refusal reasons, most fundamental first: the closest grant is the one whose first failing condition
# comes last in this order. The codes go to the access log; the messages to the person.
REASONS = {
    "no_grant": lazy("Your team holds no grant on this dataset."),
    "revoked": lazy("The grant on this dataset was revoked."),
    "not_started": lazy("The grant on this dataset has not started yet."),
    "expired": lazy("The grant on this dataset has expired."),
    "not_named": lazy("You are not named on your team's grant for this dataset."),
    "member_removed": lazy("A steward removed you from the grant on this dataset."),
    "left_team": lazy("You are no longer a member of the team that holds the grant."),
    "agreement_not_accepted": lazy("Accept the current version of the dataset's data use agreement first."),
    "other_user": lazy("This download link was issued to someone else."),
    "link_expired": lazy("This download link has expired. Ask for a new one."),
}
ORDER = (
    "no_grant",
    "revoked",
    "not_started",
    "expired",
    "not_named",
    "member_removed",
    "left_team",
    "agreement_not_accepted",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str  # "" when allowed, else a key of REASONS
    grant_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    expires_at: dt.datetime | None = None

    @property
    def message(self) -> str:
        return gettext(REASONS[self.reason]) if self.reason in REASONS else ""


def _first_failure(row: object, now: dt.datetime) -> str:
    """The first condition the grant of `row` fails at `now`, in ORDER, or "" when it meets them all."""
    checks = (
        ("revoked", row.revoked_at is None),  # type: ignore[attr-defined]
        ("not_started", row.starts_at <= now),  # type: ignore[attr-defined]
        ("expired", now < row.expires_at),  # type: ignore[attr-defined]
        ("not_named", row.named),  # type: ignore[attr-defined]
        ("member_removed", not row.removed),  # type: ignore[attr-defined]
        ("left_team", row.in_team),  # type: ignore[attr-defined]
        ("agreement_not_accepted", row.accepted),  # type: ignore[attr-defined]
    )
    return next((reason for reason, holds in checks if not holds), "")


def _candidates(user_id: uuid.UUID, dataset_id: uuid.UUID):
    """Every grant on the dataset that names the person or belongs to a team they are in, with each
    condition of the rule as a column (one query, whatever the number of grants)."""
    in_force = (
        select(func.max(AgreementVersion.version))
        .where(AgreementVersion.dataset_id == dataset_id)
        .scalar_subquery()
    )
    in_team = exists().where(TeamMember.team_id == Grant.team_id, TeamMember.user_id == user_id)
    accepted = exists().where(
        AgreementAcceptance.dataset_id == dataset_id,
        AgreementAcceptance.user_id == user_id,
        AgreementAcceptance.version >= in_force,
    )
    return (
        select(
            Grant.id,
            Grant.team_id,
            Grant.starts_at,
            Grant.expires_at,
            Grant.revoked_at,
            (GrantMember.user_id.is_not(None)).label("named"),
            (GrantMember.removed_at.is_not(None)).label("removed"),
            in_team.label("in_team"),
            accepted.label("accepted"),
        )
        .outerjoin(GrantMember, and_(GrantMember.grant_id == Grant.id, GrantMember.user_id == user_id))
        .where(Grant.dataset_id == dataset_id, GrantMember.user_id.is_not(None) | in_team)
        .order_by(Grant.expires_at.desc())
    )


async def _lock_grants(session: AsyncSession, user_id: uuid.UUID, dataset_id: uuid.UUID) -> None:
    """Key-share locks on the dataset's grants naming the person or held by their teams, until the request
    commits: a revocation or member removal under way is waited for, and waits for this decision."""
    named = select(GrantMember.grant_id).where(GrantMember.user_id == user_id)
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
    await session.execute(
        select(Grant.id)
        .where(Grant.dataset_id == dataset_id, Grant.id.in_(named) | Grant.team_id.in_(teams))
        .with_for_update(read=True, key_share=True)
    )


async def decide(
    session: AsyncSession, user_id: uuid.UUID, dataset_id: uuid.UUID, now: dt.datetime, *, lock: bool = False
) -> Decision:
    """Whether the person may access the dataset's content at `now`, and if not, precisely why. With `lock`
    (an access about to happen), serialized with revocations and member removals of the grants concerned."""
    if lock:
        await _lock_grants(session, user_id, dataset_id)
    rows = (await session.execute(_candidates(user_id, dataset_id))).all()
    closest: tuple[int, Decision] | None = None
    for row in rows:
        reason = _first_failure(row, now)
        decision = Decision(not reason, reason, row.id, row.team_id, row.expires_at)
        if not reason:
            return decision
        rank = ORDER.index(reason)
        if closest is None or rank > closest[0]:
            closest = (rank, decision)
    return closest[1] if closest else Decision(False, "no_grant")


def _entry(
    actor: Actor,
    dataset_id: uuid.UUID,
    decision: Decision,
    action: str,
    now: dt.datetime,
    file_id: uuid.UUID | None,
) -> AccessLogEntry:
    return AccessLogEntry(
        at=now, user_id=actor.id, dataset_id=dataset_id, file_id=file_id, grant_id=decision.grant_id,
        team_id=decision.team_id, action=action, outcome="allowed" if decision.allowed else "refused",
        reason=decision.reason, ip=audit.current_ip.get(),
    )  # fmt: skip


async def log_allowed(
    session: AsyncSession, actor: Actor, dataset_id: uuid.UUID, decision: Decision, action: str, now: dt.datetime,
    file_id: uuid.UUID | None = None,
) -> None:  # fmt: skip
    """Record an access in the request's transaction: it commits with the response that gives the content."""
    session.add(_entry(actor, dataset_id, decision, action, now, file_id))
    await session.flush()


async def refuse(
    session: AsyncSession, actor: Actor, dataset_id: uuid.UUID, decision: Decision, action: str, now: dt.datetime,
    file_id: uuid.UUID | None = None,
) -> NoReturn:  # fmt: skip
    """Record a refused attempt and answer 403. The row is committed first, so the 403's rollback keeps it."""
    session.add(_entry(actor, dataset_id, decision, action, now, file_id))
    await session.commit()
    raise PermissionDeniedException(decision.message)


async def require_access(
    session: AsyncSession, actor: Actor, dataset_id: uuid.UUID, action: str, now: dt.datetime,
    file_id: uuid.UUID | None = None,
) -> Decision:  # fmt: skip
    """The rule, logged either way: the decision when allowed, 403 (logged as refused) otherwise."""
    decision = await decide(session, actor.id, dataset_id, now, lock=True)
    if not decision.allowed:
        await refuse(session, actor, dataset_id, decision, action, now, file_id)
    await log_allowed(session, actor, dataset_id, decision, action, now, file_id)
    return decision
