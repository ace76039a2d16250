"""Founders review registrations: the list with answers and organizations, and decisions one by one or in bulk.

A decision applies to a pending registration only, under a row lock: two founders deciding the same
registration at the same moment are serialized, the second finds it decided and changes nothing
(no second notification, no flip). Deciding what already is (approving an approved registration) is
a quiet no-op. Each decision is audited with who and why, and the person is notified.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from app import authz
from app.accounts.models import User
from app.challenges.models import REGISTRATION_STATUSES, Registration
from app.challenges.queries import Visible, load_challenge
from app.challenges.registration_schemas import Decision, Question, decisions_input, questions_of
from app.notifications.services import notify
from app.organizations.models import Organization
from app.platform import audit
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import Page, paginate
from app.webhooks import events as webhook_events

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.challenges.models import Challenge

PAGE_SIZE = 50


@dataclasses.dataclass(frozen=True, slots=True)
class ReviewRow:
    registration: Registration
    person: User
    organization: Organization | None


@dataclasses.dataclass(frozen=True, slots=True)
class Review:
    visible: Visible
    questions: list[Question]
    rows: Page[ReviewRow]
    # status -> how many, for the filter's labels.
    counts: dict[str, int]
    status: str


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    registration_id: uuid.UUID
    # approved / rejected: decided now; unchanged: it already was; conflict: decided otherwise or withdrawn.
    result: str
    status: str


async def review_registrations(
    session: AsyncSession, actor: Actor, slug: str, *, status: str = "", page: int = 1
) -> Review:
    """Registrations of a challenge, pending first, for its founders (admins read). Five queries, whatever the count."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "challenge:view_registrations", visible.relations)
    if status and status not in REGISTRATION_STATUSES:
        raise InvalidInput({"status": _("Choose a status from the list.")})
    challenge_id = visible.challenge.id
    statement = (
        select(Registration, User, Organization)
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organization, Organization.id == Registration.organization_id)
        .where(Registration.challenge_id == challenge_id)
        .order_by(
            case((Registration.status == "pending", 0), else_=1), Registration.created_at, Registration.id
        )
    )
    if status:
        statement = statement.where(Registration.status == status)
    result = await paginate(session, statement, page, PAGE_SIZE)
    rows = Page(
        items=[ReviewRow(*row) for row in result.items],
        number=result.number,
        size=result.size,
        total=result.total,
    )
    counts = dict.fromkeys(REGISTRATION_STATUSES, 0)
    counted = await session.execute(
        select(Registration.status, func.count())
        .where(Registration.challenge_id == challenge_id)
        .group_by(Registration.status)
    )
    counts.update(dict(counted.all()))
    return Review(visible, questions_of(visible.challenge), rows, counts, status)


async def decide_registrations(
    session: AsyncSession, actor: Actor, slug: str, items: Sequence[tuple[Any, Any, Any]], now: dt.datetime
) -> list[Outcome]:
    """Approve or reject registrations of one challenge: `items` are (registration id, "approve" | "reject",
    reason) as sent. Bad items and ids of other challenges are refused (422) before anything changes."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "challenge:decide_registrations", visible.relations)
    challenge = visible.challenge
    decisions = decisions_input(items)
    wanted = {decision.registration_id: decision for decision in decisions}
    registrations = {
        registration.id: registration
        for registration in await session.scalars(
            select(Registration)
            .where(Registration.challenge_id == challenge.id, Registration.id.in_(wanted))
            # In id order, so that two bulk decisions lock rows in the same order and never deadlock.
            .order_by(Registration.id)
            .with_for_update()
        )
    }
    unknown = [str(key) for key in wanted if key not in registrations]
    if unknown:
        raise InvalidInput(
            {
                "registrations": _(
                    "These registrations are not part of this challenge: %(ids)s.", ids=", ".join(unknown)
                )
            }
        )
    outcomes = []
    for registration_id, decision in wanted.items():
        outcomes.append(
            await _apply(session, actor, challenge, registrations[registration_id], decision, now)
        )
    return outcomes


async def _apply(
    session: AsyncSession,
    actor: Actor,
    challenge: Challenge,
    registration: Registration,
    decision: Decision,
    now: dt.datetime,
) -> Outcome:
    if registration.status == decision.status:
        return Outcome(registration.id, "unchanged", registration.status)
    if registration.status != "pending":
        return Outcome(registration.id, "conflict", registration.status)
    registration.status = decision.status
    registration.decided_by_id = actor.id
    registration.decided_at = now
    registration.reason = decision.reason or None
    await session.flush()
    action = "registration:approve" if decision.status == "approved" else "registration:reject"
    await audit.record(
        session,
        actor,
        action,
        "registration",
        registration.id,
        {
            "challenge": challenge.slug,
            "person_id": str(registration.user_id),
            "reason": decision.reason or None,
        },
    )
    await webhook_events.registration_decided(session, challenge, registration)
    params = {"challenge": challenge.title}
    if decision.status == "rejected":
        params["reason"] = decision.reason
    kind = "registration_approved" if decision.status == "approved" else "registration_rejected"
    await notify(
        session, registration.user_id, kind, params, link=f"/challenges/{challenge.slug}/registration"
    )
    return Outcome(registration.id, decision.status, registration.status)


def summary(outcomes: list[Outcome]) -> str:
    """One sentence telling founders what their action did."""
    approved = sum(1 for outcome in outcomes if outcome.result == "approved")
    rejected = sum(1 for outcome in outcomes if outcome.result == "rejected")
    skipped = sum(1 for outcome in outcomes if outcome.result in ("unchanged", "conflict"))
    parts = []
    if approved:
        parts.append(_("Approved: %(num)s.", num=approved))
    if rejected:
        parts.append(_("Rejected: %(num)s.", num=rejected))
    if skipped:
        parts.append(_("Left as they were, already decided or withdrawn: %(num)s.", num=skipped))
    return " ".join(parts)
