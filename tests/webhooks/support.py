"""What the webhook tests share: a real HTTP receiver on 127.0.0.1, endpoints made directly, running the
delivery job through the outbox, and checking a signature the way a receiver would (without app code)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import select

from app.accounts.sessions import actor_from_user
from app.platform import outbox
from app.platform.models import OutboxJob
from app.webhooks import services
from app.webhooks.models import WebhookDelivery
from app.worker import register_jobs
from tests.factories import make_organization, make_user


@dataclasses.dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A tiny HTTP/1.1 server: records each request and answers with the next status of `statuses` (the last
    one repeats)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.received: list[Received] = []
        self.statuses: list[int] = [200]
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, self.host, 0)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(method, path, headers, body))
        status = self.statuses[min(len(self.received), len(self.statuses)) - 1]
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode())
        await writer.drain()
        writer.close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does, per the Standard Webhooks specification (and the README)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, part.split(",", 1)[1]) for part in headers["webhook-signature"].split()
    )


@dataclasses.dataclass
class Owner:
    user: Any
    organization: Any

    @property
    def actor(self) -> Any:
        return actor_from_user(self.user)


async def make_owner(db: Any, **organization: Any) -> Owner:
    user = await make_user(db, name="Olivia Owner")
    return Owner(user, await make_organization(db, owner=user, **organization))


async def make_webhook(
    db: Any, settings: Any, owner: Owner, url: str, events: tuple[str, ...] = ("results.published",)
) -> tuple[Any, str]:
    """An endpoint made as its owner would (the service), with its secret."""
    return await services.create_webhook(
        db, owner.actor, settings, owner.organization.slug, url=url, description="", events=list(events)
    )


async def outbox_of(db: Any, delivery: WebhookDelivery) -> OutboxJob:
    job = await db.scalar(
        select(OutboxJob)
        .where(
            OutboxJob.function == "deliver_webhook", OutboxJob.args["delivery_id"].astext == str(delivery.id)
        )
        .execution_options(populate_existing=True)
    )
    assert job is not None
    return job


async def run_job(session_maker: Any, settings: Any, job: OutboxJob, job_try: int = 1) -> Any:
    """The outbox's arq entry point, as a worker calls it (the worker itself: tests/webhooks/test_worker.py)."""
    register_jobs()
    ctx = {"session_maker": session_maker, "settings": settings, "job_try": job_try, "redis": None}
    return await outbox.run_outbox_job(ctx, job.id)


async def reload(db: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    fresh = await db.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .execution_options(populate_existing=True)
    )
    assert fresh is not None
    return fresh


async def deliveries_of(db: Any, webhook: Any) -> list[WebhookDelivery]:
    return list(
        await db.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.created_at)
            .execution_options(populate_existing=True)
        )
    )
