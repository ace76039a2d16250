"""Data sharing's arq jobs (outbox job name -> async def fn(ctx, session, **args)) and cron jobs, registered by
app.worker.

The grant cron job expires grants whose time has come and warns teams and stewards a week before. It is
bookkeeping and telling people only: access is refused at `expires_at` by the access rule whether or not
the job has run. The requests under way to add a member to an expired grant close with it. Each grant is
handled once (`warned_at`, `expired_at` set in the same transaction as its notifications, its audit entry
and the closing of those requests, rows claimed with SKIP LOCKED), so running it twice, or two workers at
once, tells nobody twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from arq import cron
from sqlalchemy import select

from app.challenges.models import Challenge
from app.data_sharing.grants import params_of, team_and_stewards
from app.data_sharing.models import Dataset, Grant
from app.data_sharing.requests import close_amendments
from app.db import utcnow
from app.notifications.services import notify
from app.platform import audit
from app.platform.outbox import dispatch_pending
from app.teams.models import Team
from app.webhooks import events as webhook_events

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("tremplin.data_sharing")

JOBS: dict[str, Any] = {}
WARN_BEFORE = dt.timedelta(days=7)
BATCH = 200


class _Names:
    """What notifications name: the dataset, the team and the challenge of a grant."""

    def __init__(self, dataset: Dataset, team: Team, challenge: Challenge) -> None:
        self.dataset, self.team, self.challenge = dataset, team, challenge


def _due(condition: Any):
    return (
        select(Grant, Dataset, Team, Challenge)
        .join(Dataset, Dataset.id == Grant.dataset_id)
        .join(Team, Team.id == Grant.team_id)
        .join(Challenge, Challenge.id == Grant.challenge_id)
        .where(Grant.revoked_at.is_(None), condition)
        .order_by(Grant.expires_at)
        .limit(BATCH)
        .with_for_update(of=Grant, skip_locked=True)
    )


async def expire_grants(session: AsyncSession, now: dt.datetime) -> int:
    """Mark the grants whose expiry passed as expired, audit it and tell their team and stewards."""
    rows = (await session.execute(_due((Grant.expires_at <= now) & Grant.expired_at.is_(None)))).all()
    for grant, dataset, team, challenge in rows:
        grant.expired_at = now
        await audit.record(
            session, None, "grant:expire", "grant", grant.id, {"expires_at": grant.expires_at.isoformat()}
        )
        await close_amendments(session, None, grant.id, "grant_expired", "", now)
        await webhook_events.grant_ended(session, "grant.expired", grant, dataset, challenge, team)
        params = params_of(_Names(dataset, team, challenge))
        for user_id in await team_and_stewards(session, grant):
            await notify(session, user_id, "grant_expired", params, link=f"/grants/{grant.id}")
    await session.flush()
    return len(rows)


async def warn_expiring(session: AsyncSession, now: dt.datetime) -> int:
    """Tell team and stewards, once, that a grant ends within a week (grants shorter than that included)."""
    condition = (Grant.expires_at > now) & (Grant.expires_at <= now + WARN_BEFORE) & Grant.warned_at.is_(None)
    rows = (await session.execute(_due(condition & (Grant.starts_at <= now)))).all()
    for grant, dataset, team, challenge in rows:
        grant.warned_at = now
        params = {
            **params_of(_Names(dataset, team, challenge)),
            "expires_at": grant.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
        for user_id in await team_and_stewards(session, grant):
            await notify(session, user_id, "grant_expiring", params, link=f"/grants/{grant.id}")
    await session.flush()
    return len(rows)


async def run_grant_expiry(session: AsyncSession, now: dt.datetime) -> tuple[int, int]:
    return await expire_grants(session, now), await warn_expiring(session, now)


async def grant_expiry(ctx: dict[str, Any]) -> int:
    """Cron: one transaction; what is left beyond a batch is taken at the next run."""
    session_maker: async_sessionmaker[AsyncSession] = ctx["session_maker"]
    async with session_maker() as session:
        session.info["arq"] = ctx.get("redis")
        expired, warned = await run_grant_expiry(session, utcnow())
        await session.commit()
        await dispatch_pending(session)
    log.info("grants expired: %d, warned: %d", expired, warned)
    return expired + warned


def cron_jobs() -> list[Any]:
    """Every five minutes: expiry and its warnings (access itself never waits for this)."""
    return [cron(grant_expiry, minute=set(range(0, 60, 5)), second={20}, unique=True, timeout=300)]
