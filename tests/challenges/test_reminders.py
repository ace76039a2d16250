"""Deadline reminders: who gets which, 72 h and 24 h ahead, once each even when the job runs twice."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import time_machine
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.accounts.models import User
from app.challenges import jobs
from app.challenges.models import Challenge, Round
from app.notifications.kinds import render
from app.notifications.models import Notification
from app.platform.i18n import in_locale
from app.platform.models import OutboxJob
from app.worker import cron_jobs
from tests.challenges.timelines import DAY, HOUR, T0, make_timeline
from tests.factories import make_founder, make_registration, make_user


@pytest.fixture
def ctx(session_maker):
    return {"session_maker": session_maker, "redis": None}


async def run_at(ctx, instant, times: int = 1) -> int:
    sent = 0
    with time_machine.travel(instant, tick=False):
        for _ in range(times):
            sent += await jobs.send_deadline_reminders(ctx)
    return sent


def plain(text: str) -> str:
    # Babel puts narrow no-break spaces in times ("1:00\u202fAM").
    return " ".join(text.split())


async def reminders_of(db, user) -> list[Notification]:
    return list(
        await db.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.kind == "deadline_reminder")
            .order_by(Notification.created_at)
        )
    )


async def cast(db, challenge):
    """Founder, pending and approved registrants, and someone with nothing to do with the challenge."""
    people = {
        "founder": await make_founder(db, challenge),
        "pending": await make_user(db),
        "approved": await make_user(db),
        "rejected": await make_user(db),
        "outsider": await make_user(db),
    }
    await make_registration(db, challenge, people["pending"], status="pending")
    await make_registration(db, challenge, people["approved"], status="approved")
    await make_registration(db, challenge, people["rejected"], status="rejected")
    return people


async def counts(db, people) -> dict[str, int]:
    return {role: len(await reminders_of(db, user)) for role, user in people.items()}


async def test_registration_closing_reminds_founders_and_pending_registrants_once(db, ctx):
    challenge = await make_timeline(
        db,
        title="Heart AI",
        opens=T0 - 10 * DAY,
        closes=T0 + 60 * HOUR,
        rounds=((T0 - 10 * DAY, T0 + 20 * DAY),),
    )
    people = await cast(db, challenge)
    assert await run_at(ctx, T0, times=2) == 2
    assert await counts(db, people) == {
        "founder": 1,
        "pending": 1,
        "approved": 0,
        "rejected": 0,
        "outsider": 0,
    }
    [reminder] = await reminders_of(db, people["pending"])
    assert reminder.link == f"/challenges/{challenge.slug}"
    assert plain(render(reminder.kind, reminder.params).title) == (
        "Reminder for Heart AI: registration closes on Mar 4, 2030, 1:00 AM (Europe/Paris)"
    )


async def test_round_deadline_reminds_approved_registrants_72_then_24_hours_before(db, ctx):
    deadline = T0 + 70 * HOUR
    challenge = await make_timeline(db, opens=T0 - 10 * DAY, closes=T0 - DAY, rounds=((T0 - DAY, deadline),))
    people = await cast(db, challenge)
    await run_at(ctx, T0, times=2)
    assert await counts(db, people) == {
        "founder": 0,
        "pending": 0,
        "approved": 1,
        "rejected": 0,
        "outsider": 0,
    }
    await run_at(ctx, deadline - 25 * HOUR)
    assert len(await reminders_of(db, people["approved"])) == 1
    await run_at(ctx, deadline - 20 * HOUR, times=2)
    await run_at(ctx, deadline - HOUR)
    await run_at(ctx, deadline)
    reminders = await reminders_of(db, people["approved"])
    assert len(reminders) == 2
    with in_locale("fr"):
        title = render(reminders[1].kind, reminders[1].params).title
    assert plain(title).startswith(
        f"Rappel pour {challenge.title} : date limite de l’étape « Round 1 » le 4 mars 2030"
    )


async def test_a_deadline_first_seen_within_24_hours_gets_the_24_hour_reminder_only(db, ctx):
    challenge = await make_timeline(
        db, opens=T0 - 10 * DAY, closes=T0 - DAY, rounds=((T0 - DAY, T0 + 10 * HOUR),)
    )
    people = await cast(db, challenge)
    await run_at(ctx, T0)
    await run_at(ctx, T0 + 5 * HOUR)
    assert len(await reminders_of(db, people["approved"])) == 1
    [horizon] = await db.scalars(
        select(jobs.DeadlineReminder.horizon_hours).where(jobs.DeadlineReminder.challenge_id == challenge.id)
    )
    assert horizon == 24


async def test_a_deadline_moved_a_week_later_is_reminded_again_before_the_new_date(db, ctx):
    challenge = await make_timeline(
        db, opens=T0 - 10 * DAY, closes=T0 - DAY, rounds=((T0 - DAY, T0 + 20 * HOUR),)
    )
    people = await cast(db, challenge)
    await run_at(ctx, T0)
    assert len(await reminders_of(db, people["approved"])) == 1
    new_deadline = T0 + 7 * DAY
    round_ = await db.scalar(select(Round).where(Round.challenge_id == challenge.id))
    round_.deadline = new_deadline
    await db.flush()
    await run_at(ctx, T0 + HOUR)
    assert len(await reminders_of(db, people["approved"])) == 1, "nothing is due before the new windows"
    await run_at(ctx, new_deadline - 70 * HOUR, times=2)
    await run_at(ctx, new_deadline - 20 * HOUR, times=2)
    assert len(await reminders_of(db, people["approved"])) == 3


async def test_a_deadline_moved_an_hour_later_sends_nothing_more(db, ctx):
    challenge = await make_timeline(
        db, opens=T0 - 10 * DAY, closes=T0 - DAY, rounds=((T0 - DAY, T0 + 20 * HOUR),)
    )
    people = await cast(db, challenge)
    await run_at(ctx, T0)
    round_ = await db.scalar(select(Round).where(Round.challenge_id == challenge.id))
    round_.deadline = T0 + 21 * HOUR
    await db.flush()
    await run_at(ctx, T0 + 2 * HOUR)
    await run_at(ctx, T0 + 20 * HOUR)
    assert len(await reminders_of(db, people["approved"])) == 1


@pytest.mark.parametrize(
    "state",
    [
        {"published": None},
        {"results_published_at": T0 - DAY},
        {"archived_at": T0 - HOUR},
    ],
)
async def test_drafts_and_finished_challenges_remind_nobody(db, ctx, state):
    challenge = await make_timeline(
        db, opens=T0 - 10 * DAY, closes=T0 + 10 * HOUR, rounds=((T0 - DAY, T0 + 20 * HOUR),), **state
    )
    people = await cast(db, challenge)
    assert await run_at(ctx, T0) == 0
    assert set((await counts(db, people)).values()) == {0}


async def test_inactive_accounts_are_not_reminded(db, ctx):
    challenge = await make_timeline(
        db, opens=T0 - 10 * DAY, closes=T0 - DAY, rounds=((T0 - DAY, T0 + 20 * HOUR),)
    )
    people = await cast(db, challenge)
    people["approved"].is_active = False
    await db.flush()
    assert await run_at(ctx, T0) == 0


def test_the_worker_runs_the_reminders_as_a_cron_job():
    assert any(job.coroutine is jobs.send_deadline_reminders and job.unique for job in cron_jobs())


# --- concurrent runs, with real transactions -------------------------------------------------------------


async def test_two_runs_at_once_notify_each_person_once(engine):
    """Two workers racing: the primary key makes the second wait, then find every reminder taken."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as db:
        challenge = await make_timeline(
            db,
            opens=T0 - 10 * DAY,
            closes=T0 - DAY,
            rounds=((T0 - DAY, T0 + 20 * HOUR),),
            title=f"Race {uuid.uuid4().hex[:6]}",
        )
        approved = [await make_user(db) for _ in range(5)]
        for user in approved:
            await make_registration(db, challenge, user, status="approved")
        await db.commit()
    ids = [user.id for user in approved]
    ctx = {"session_maker": sessions, "redis": None}
    try:
        with time_machine.travel(T0, tick=False):
            results = await asyncio.gather(
                jobs.send_deadline_reminders(ctx), jobs.send_deadline_reminders(ctx)
            )
        assert sorted(results) == [0, 5]
        async with sessions() as db:
            per_person = dict(
                (
                    await db.execute(
                        select(Notification.user_id, func.count())
                        .where(Notification.user_id.in_(ids), Notification.kind == "deadline_reminder")
                        .group_by(Notification.user_id)
                    )
                ).all()
            )
        assert per_person == dict.fromkeys(ids, 1)
    finally:
        async with sessions() as db:
            notification_ids = [
                str(n) for n in await db.scalars(select(Notification.id).where(Notification.user_id.in_(ids)))
            ]
            await db.execute(
                delete(OutboxJob).where(OutboxJob.args["notification_id"].astext.in_(notification_ids))
            )
            await db.execute(delete(Challenge).where(Challenge.id == challenge.id))
            await db.execute(delete(User).where(User.id.in_(ids)))
            await db.commit()
