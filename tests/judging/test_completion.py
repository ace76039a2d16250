"""Judges' progress and reminders to late judges: who is late, once every 12 hours, notified and audited,
and two founders pressing the button at the same moment remind each judge once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.judging.completion import judge_progress
from app.judging.models import Conflict, Judge
from app.notifications.models import Notification
from app.platform.models import AuditEntry
from tests.conftest import make_client, text_of
from tests.factories import make_founder, make_judged_round, sign_in
from tests.judging.ranking_support import give_review, score_all
from tests.scratch import app_on, scratch_database, scratch_sessions


def remind_url(judged) -> str:
    return f"/challenges/{judged.challenge.slug}/rounds/{judged.round.id}/judging/ranking/remind"


async def judge_row(db, judged, user) -> Judge:
    return await db.scalar(
        select(Judge)
        .where(Judge.round_id == judged.round.id, Judge.user_id == user.id)
        .execution_options(populate_existing=True)
    )


async def test_progress_counts_finalized_drafts_and_conflicts(db):
    judged = await make_judged_round(db, teams=3, judges=3)
    first, second, third = judged.judges
    await score_all(db, judged, {0: [(5, 5)] * 3})
    await give_review(db, judged, second, judged.entries[0], (4, 4))
    await give_review(db, judged, second, judged.entries[1], (4, 4), final=False)
    # A conflicted entry is nobody's work: the third judge has two entries to do, not three.
    db.add(Conflict(challenge_id=judged.challenge.id, user_id=third.id, team_id=judged.teams[2].id))
    pending = Judge(round_id=judged.round.id, challenge_id=judged.challenge.id, email="invited@example.org")
    db.add(pending)
    await db.flush()
    rows = {row.name: row for row in await judge_progress(db, judged.round.id)}
    assert (rows[first.name].assigned, rows[first.name].finalized, rows[first.name].late) == (3, 3, False)
    assert (rows[second.name].finalized, rows[second.name].drafts, rows[second.name].not_started) == (1, 1, 1)
    assert rows[second.name].late and rows[second.name].last_activity is not None
    assert (rows[third.name].assigned, rows[third.name].finalized, rows[third.name].late) == (2, 0, True)
    assert not rows["invited@example.org"].accepted and not rows["invited@example.org"].late


async def test_reminder_notifies_late_judges_once_and_is_audited(client, db):
    judged = await make_judged_round(db, teams=2, judges=3)
    done, late, also_late = judged.judges
    await score_all(db, judged, {0: [(5, 5), (6, 6)]})
    await give_review(db, judged, late, judged.entries[0], (5, 5))
    await sign_in(client, db, judged.founder)

    response = await client.submit(remind_url(judged))
    assert response.status_code == 303
    notified = list(
        await db.scalars(select(Notification.user_id).where(Notification.kind == "judging_reminder"))
    )
    assert sorted(notified) == sorted([late.id, also_late.id])
    assert (await judge_row(db, judged, late)).reminded_at is not None
    assert (await judge_row(db, judged, done)).reminded_at is None
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "judging.judges_reminded"))
    assert entry.object_id == str(judged.round.id) and len(entry.details["judges"]) == 2

    # A second reminder within 12 hours is refused with a message, and nobody is notified again.
    again = await client.submit(remind_url(judged))
    assert again.status_code == 409
    assert "reminded less than 12 hours ago" in text_of(again.text)
    htmx = await client.htmx("POST", remind_url(judged))
    assert htmx.status_code == 200 and htmx.text.lstrip().startswith('<section id="judge_progress"')
    assert "You can remind them again from" in text_of(htmx.text)
    count = await db.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "judging_reminder")
    )
    assert count == 2


async def test_reminder_goes_again_after_12_hours_only_to_those_due(client, db):
    judged = await make_judged_round(db, teams=1, judges=2)
    first, second = judged.judges
    (await judge_row(db, judged, first)).reminded_at = judged.now - dt.timedelta(hours=13)
    (await judge_row(db, judged, second)).reminded_at = judged.now - dt.timedelta(hours=2)
    await db.flush()
    await sign_in(client, db, judged.founder)
    response = await client.htmx("POST", remind_url(judged))
    text = text_of(response.text)
    assert "1 judge reminded." in text and "1 judge was reminded less than 12 hours ago" in text
    notified = list(
        await db.scalars(select(Notification.user_id).where(Notification.kind == "judging_reminder"))
    )
    assert notified == [first.id]


async def test_nobody_to_remind_when_every_review_is_final(client, db):
    judged = await make_judged_round(db, teams=1, judges=1)
    await score_all(db, judged, {0: [(5, 5)]})
    await sign_in(client, db, judged.founder)
    response = await client.submit(remind_url(judged))
    assert response.status_code == 409 and "No judge is late" in text_of(response.text)


async def test_reminder_text_reads_well_in_french(db):
    from app.notifications.services import view_of
    from app.platform.i18n import in_locale

    judged = await make_judged_round(db, teams=1, judges=1)
    notification = Notification(
        user_id=judged.judges[0].id,
        kind="judging_reminder",
        params={
            "challenge": "Défi",
            "round": "Tour 1",
            "closing": {"en": "Judging closes soon.", "fr": "Le jugement se termine bientôt."},
        },
    )
    with in_locale("fr"):
        view = view_of(notification)
    assert "Tour 1" in view.title and "Le jugement se termine bientôt." in view.body


@pytest.fixture(scope="module")
def race_database(servers):
    with scratch_database(servers, "remind_race") as url:
        yield url


async def test_two_founders_pressing_at_once_remind_each_judge_once(app, race_database):
    async with scratch_sessions(race_database) as sessions:
        async with sessions() as db:
            judged = await make_judged_round(db, teams=2, judges=4)
            second_founder = await make_founder(db, judged.challenge, name="Second Founder")
            await db.commit()
        clients = [make_client(app), make_client(app)]
        async with app_on(app, sessions), clients[0], clients[1]:
            async with sessions() as db:
                await sign_in(clients[0], db, judged.founder)
                await sign_in(clients[1], db, second_founder)
                await db.commit()
            responses = await asyncio.gather(*(client.submit(remind_url(judged)) for client in clients))
        async with sessions() as db:
            per_judge = dict(
                (
                    await db.execute(
                        select(Notification.user_id, func.count())
                        .where(Notification.kind == "judging_reminder")
                        .group_by(Notification.user_id)
                    )
                ).all()
            )
    assert per_judge == {judge.id: 1 for judge in judged.judges}
    assert sorted(response.status_code for response in responses) in ([303, 409], [303, 303])
