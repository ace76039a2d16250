"""Deadline reminders, 72 h and 24 h before registration closes and before each round's deadline.

Who is reminded of what:
- registration closing: the challenge's founders (pending registrations await their decision before
  it) and the people whose registration is still pending (so they can check it in time);
- a round's deadline: the people whose registration is approved. Once teams and advancement exist
  (issues #4 and #5) this narrows to the members of the teams taking part in that round.

Each person gets each reminder once. The key (challenge, milestone, horizon, person) is the primary
key of `deadline_reminders`; the job inserts with ON CONFLICT and notifies only the people whose row
it wrote, in the same transaction. A second run, or two runs at once, find the rows taken and send
nothing. Only the nearest horizon is sent: someone first reminded 20 h before a deadline gets the
24 h reminder, never a late "72 h" one.

A deadline moved later arms its reminders again when the one already sent would now come too
early: it was sent before the new deadline's window opened (more than 72 h, or 24 h, before the new
deadline). After a week's extension people are reminded again before the new deadline; a deadline
brought forward, or pushed back by less than that, sends nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Integer, String, Uuid, and_, literal, or_, select, union
from sqlalchemy.dialects.postgresql import insert

from app.accounts.models import User
from app.challenges.catalogue import local_time
from app.challenges.lifecycle import registration_open_sql
from app.challenges.models import Challenge, ChallengeOrganizer, DeadlineReminder, Registration, Round
from app.db import utcnow
from app.notifications.services import notify
from app.organizations.models import OrganizationMember
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale
from app.platform.outbox import dispatch_pending
from app.settings import LOCALES

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, CompoundSelect, Select
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("tremplin.challenges")

# Nearest first: a milestone gets the smallest horizon it is within.
HORIZONS = (dt.timedelta(hours=24), dt.timedelta(hours=72))
REGISTRATION_CLOSES = "registration_closes"


@dataclasses.dataclass(frozen=True, slots=True)
class DueMilestone:
    """A closing instant within reach of a horizon, and which reminder it calls for now."""

    challenge_id: uuid.UUID
    key: str  # "registration_closes" or "round:<round id>"
    at: dt.datetime
    horizon: dt.timedelta
    round_name: str | None = None

    @property
    def horizon_hours(self) -> int:
        return int(self.horizon.total_seconds() // 3600)


def horizon_for(at: dt.datetime, now: dt.datetime) -> dt.timedelta | None:
    """The nearest horizon `at` is within, or None when it is past or still too far."""
    if at <= now:
        return None
    return next((horizon for horizon in HORIZONS if at - now <= horizon), None)


async def due_milestones(session: AsyncSession, now: dt.datetime) -> list[DueMilestone]:
    """Registration closings and round deadlines of running challenges within the largest horizon."""
    reach = now + max(HORIZONS)
    closings = await session.execute(
        select(Challenge.id, Challenge.registration_closes_at).where(
            registration_open_sql(now), Challenge.registration_closes_at <= reach
        )
    )
    deadlines = await session.execute(
        select(Round.challenge_id, Round.id, Round.deadline, Round.name)
        .join(Challenge, Challenge.id == Round.challenge_id)
        .where(_running(now), Round.deadline > now, Round.deadline <= reach)
    )
    due = [
        DueMilestone(cid, REGISTRATION_CLOSES, at, _horizon(at, now))
        for cid, at in closings
        if at is not None
    ]
    due += [
        DueMilestone(cid, f"round:{rid}", at, _horizon(at, now), name) for cid, rid, at, name in deadlines
    ]
    return due


def _horizon(at: dt.datetime, now: dt.datetime) -> dt.timedelta:
    horizon = horizon_for(at, now)
    assert horizon is not None, "due_milestones selects only instants within reach"
    return horizon


def _running(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        Challenge.published_at.is_not(None),
        Challenge.results_published_at.is_(None),
        or_(Challenge.archived_at.is_(None), Challenge.archived_at > now),
    )


def recipients(milestone: DueMilestone) -> Select[Any]:
    """Who is reminded of this milestone (see the module's docstring), active accounts only."""
    cid = milestone.challenge_id
    if milestone.key == REGISTRATION_CLOSES:
        founders = (
            select(OrganizationMember.user_id)
            .join(
                ChallengeOrganizer, ChallengeOrganizer.organization_id == OrganizationMember.organization_id
            )
            .where(ChallengeOrganizer.challenge_id == cid)
        )
        pending = select(Registration.user_id).where(
            Registration.challenge_id == cid, Registration.status == "pending"
        )
        people: Select[Any] | CompoundSelect[Any] = union(founders, pending)
    else:
        people = select(Registration.user_id).where(
            Registration.challenge_id == cid, Registration.status == "approved"
        )
    return select(User.id).where(User.id.in_(people), User.is_active.is_(True))


async def claim_reminders(
    session: AsyncSession, milestone: DueMilestone, now: dt.datetime
) -> list[uuid.UUID]:
    """Record this milestone's reminder for each recipient; return the people whose row this call wrote.

    Concurrent calls wait on each other's rows (the primary key) and each person is returned once.
    """
    recipient_ids = recipients(milestone).subquery()
    rows = select(
        literal(milestone.challenge_id, Uuid),
        literal(milestone.key, String),
        literal(milestone.horizon_hours, Integer),
        recipient_ids.c.id,
        literal(milestone.at, DateTime(timezone=True)),
        literal(now, DateTime(timezone=True)),
    )
    statement = insert(DeadlineReminder).from_select(
        ["challenge_id", "milestone", "horizon_hours", "user_id", "due_at", "sent_at"], rows
    )
    statement = statement.on_conflict_do_update(
        index_elements=["challenge_id", "milestone", "horizon_hours", "user_id"],
        set_={"due_at": statement.excluded.due_at, "sent_at": statement.excluded.sent_at},
        # Armed again only when the reminder already sent came before the (moved) deadline's window.
        where=DeadlineReminder.sent_at < statement.excluded.due_at - milestone.horizon,
    )
    return list(await session.scalars(statement.returning(DeadlineReminder.user_id)))


async def send_reminders(session: AsyncSession, milestone: DueMilestone, now: dt.datetime) -> int:
    """Notify everyone due a reminder of `milestone` and not reminded yet; returns how many were."""
    user_ids = await claim_reminders(session, milestone, now)
    if not user_ids:
        return 0
    challenge = (
        await session.execute(
            select(Challenge.slug, Challenge.title, Challenge.timezone).where(
                Challenge.id == milestone.challenge_id
            )
        )
    ).one()
    params = {
        "challenge": challenge.title,
        "milestone": _in_each_locale(lambda: _milestone_label(milestone)),
        "when": _in_each_locale(lambda: local_time(milestone.at, challenge.timezone)),
    }
    for user_id in user_ids:
        await notify(session, user_id, "deadline_reminder", params, link=f"/challenges/{challenge.slug}")
    return len(user_ids)


def _milestone_label(milestone: DueMilestone) -> str:
    if milestone.key == REGISTRATION_CLOSES:
        return _("registration closes")
    return _("deadline of round “%(round)s”", round=milestone.round_name or "")


def _in_each_locale(render: Any) -> dict[str, str]:
    """A parameter written in every language, so the reader's is picked when the notification is shown."""
    values = {}
    for locale in LOCALES:
        with in_locale(locale):
            values[locale] = render()
    return values


async def send_deadline_reminders(ctx: dict[str, Any]) -> int:
    """Cron: send the reminders now due, one transaction per milestone; returns how many were sent.

    Safe to run twice or concurrently; one milestone's failure does not hold back the others.
    """
    session_maker: async_sessionmaker[AsyncSession] = ctx["session_maker"]
    now = utcnow()
    async with session_maker() as session:
        milestones = await due_milestones(session, now)
    sent = 0
    for milestone in milestones:
        try:
            async with session_maker() as session:
                session.info["arq"] = ctx.get("redis")
                sent += await send_reminders(session, milestone, now)
                await session.commit()
                await dispatch_pending(session)
        except Exception:
            log.exception("reminders for %s of challenge %s failed", milestone.key, milestone.challenge_id)
    return sent
