"""The worker inside the web process outlives Redis: when Redis goes away it waits and starts again,
jobs asked for meanwhile run once Redis is back (even empty), and the app still stops at once.

Against a private redis-server (tests/faults/harness.py) that these tests stop and start again, and
the test database for real: the worker reads through its own connections, so rows are committed and
removed at the end instead of rolled back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.worker import Worker
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app import worker as worker_module
from app.db import make_session_maker
from app.main import Services, create_app
from app.notifications.models import MailMessage
from app.notifications.services import queue_mail
from app.platform import outbox
from app.platform.models import OutboxJob
from app.settings import Settings
from app.worker import worker_options
from tests.faults.harness import Redis

pytestmark = pytest.mark.timeout(60)


class Records(logging.Handler):
    """What the worker's logger says (the app's logging set-up replaces the root handlers, caplog's too)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def said(self, fragment: str) -> list[logging.LogRecord]:
        return [record for record in self.records if fragment in record.getMessage()]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_log() -> Iterator[Records]:
    records = Records()
    logger = logging.getLogger("tremplin.worker")
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)


@pytest.fixture
async def mail_keys(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """Keys of the e-mails a test asks for; they and their outbox rows are removed after it."""
    keys: list[str] = []
    yield keys
    async with make_session_maker(engine)() as session:
        ids = [
            str(i)
            for i in await session.scalars(
                select(MailMessage.id).where(MailMessage.idempotency_key.in_(keys))
            )
        ]
        await session.execute(delete(OutboxJob).where(OutboxJob.args["mail_id"].astext.in_(ids)))
        await session.execute(delete(MailMessage).where(MailMessage.idempotency_key.in_(keys)))
        await session.commit()


async def start_app(settings: Settings, redis: Redis) -> Services:
    """The app as `tremplin run` starts it, with the worker in the process, on the private Redis."""
    app = create_app(dataclasses.replace(settings, redis_url=redis.url, worker_in_process=True))
    services: Services = app.state.services
    await services.start()
    return services


async def ask_for_mail(services: Services, keys: list[str]) -> str:
    """A committed action that asks for an e-mail, its job sent to Redis (or left in the outbox)."""
    key = f"test-{uuid.uuid4()}"
    keys.append(key)
    async with services.open_session() as session:
        await queue_mail(session, to="someone@example.org", subject="Hello", body="Body", key=key)
        await session.commit()
        await outbox.dispatch_pending(session)
    return key


async def sent(services: Services, key: str, timeout: float) -> MailMessage:  # noqa: ASYNC109 (a polling deadline)
    assert services.session_maker is not None
    deadline = time.monotonic() + timeout
    while True:
        async with services.session_maker() as session:
            message = await session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))
        if message is not None and message.sent_at is not None:
            return message
        assert time.monotonic() < deadline, f"the e-mail {key} was not sent within {timeout} s"
        await asyncio.sleep(0.1)


async def test_after_redis_restarts_empty_the_in_process_worker_runs_jobs_again(
    settings, private_redis, worker_log, mail_keys, monkeypatch
):
    monkeypatch.setattr(worker_module, "RECONNECT_DELAYS", (0.1, 0.4))
    services = await start_app(settings, private_redis)
    try:
        await sent(services, await ask_for_mail(services, mail_keys), timeout=10)

        private_redis.stop()
        await asyncio.sleep(1.0)  # the worker polls Redis every half second: it has seen the outage
        during = await ask_for_mail(services, mail_keys)  # cannot reach Redis: waits in the outbox
        await asyncio.to_thread(private_redis.start)  # empty: nothing of the queue survived
        after = await ask_for_mail(services, mail_keys)

        for key in (during, after):
            message = await sent(services, key, timeout=15)
            assert message.attempts == 1
        assert worker_log.said("Redis is unavailable")
        assert services.worker_task is not None and not services.worker_task.done()
    finally:
        await services.stop()


async def test_the_app_stops_at_once_while_its_worker_waits_for_redis(
    settings, private_redis, worker_log, mail_keys, monkeypatch
):
    monkeypatch.setattr(worker_module, "RECONNECT_DELAYS", (30.0, 30.0))
    services = await start_app(settings, private_redis)
    stopped = False
    try:
        await sent(services, await ask_for_mail(services, mail_keys), timeout=10)
        private_redis.stop()
        deadline = time.monotonic() + 10
        while not worker_log.said("tries again in 30 s"):
            assert time.monotonic() < deadline, "the worker never started waiting for Redis"
            await asyncio.sleep(0.05)

        started = time.monotonic()
        await asyncio.wait_for(services.stop(), 10)
        stopped = True
        assert time.monotonic() - started < 2
        assert services.worker_task is not None and services.worker_task.cancelled()
    finally:
        if not stopped:
            await services.stop()


async def test_an_unexpected_error_is_logged_and_a_new_worker_started(
    settings, private_redis, worker_log, monkeypatch
):
    monkeypatch.setattr(worker_module, "RECONNECT_DELAYS", (0.1, 0.4))
    attempts: list[float] = []

    def new_worker() -> Worker:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RuntimeError("a bug in starting the worker")
        options = worker_options(settings, private_redis.url) | {"cron_jobs": [], "on_startup": None}
        return Worker(**options, ctx={"settings": settings}, burst=True, poll_delay=0.05)

    # A burst worker stops by itself once the queue is empty: the supervisor then returns.
    await asyncio.wait_for(worker_module.supervise(new_worker), 10)
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 0.1
    [failure] = worker_log.said("The worker failed")
    assert failure.exc_info is not None and "a bug in starting the worker" in str(failure.exc_info[1])
