"""Clients that hang up mid-request and mid-upload leave nothing behind; then, after every fault of this
folder (this module runs last), every acknowledged write is there exactly once with its audit row."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import asyncpg
import pytest

from tests.faults.support import RowLock, app_backends, query

pytestmark = [pytest.mark.xdist_group("faults"), pytest.mark.timeout(120)]


async def hang_up_after(port: int, head: bytes, body: bytes, wait: float = 0.3) -> None:
    """Send a request's head and part of its body, then close the connection without reading a byte."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + body)
    await writer.drain()
    await asyncio.sleep(wait)
    writer.transport.abort()  # a reset, as when a browser tab is closed or a network drops


def request_head(method: str, path: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"host: 127.0.0.1:{port}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def settled(cluster, seconds: float = 10.0) -> None:
    """Wait until no connection of the app is inside a transaction or waiting on a lock."""
    deadline = time.monotonic() + seconds
    while True:
        busy = [
            row
            for row in await app_backends(cluster)
            if row["state"] in ("idle in transaction", "idle in transaction (aborted)")
            or row["wait_event_type"] == "Lock"
        ]
        if not busy:
            return
        assert time.monotonic() < deadline, f"connections left busy: {busy}"
        await asyncio.sleep(0.1)


async def test_client_hanging_up_mid_request_leaks_no_connection(cluster, traffic, cast):
    writer = cast.writers[0]
    body = json.dumps({"name": f"Hung up {uuid.uuid4().hex}", "kind": "startup", "country": "FR"}).encode()
    for web in cluster.webs:
        head = request_head(
            "POST",
            "/api/v1/organizations",
            web.port,
            {
                "authorization": f"Bearer {writer.api_token}",
                "content-type": "application/json",
                "content-length": str(len(body)),
            },
        )
        # The request waits on a lock held elsewhere while its client goes away.
        async with RowLock(cluster, writer.user_id):
            await hang_up_after(web.port, head, body, wait=0.4)
            await asyncio.sleep(0.2)
        # And a page request cut before its body was read.
        await hang_up_after(
            web.port,
            request_head(
                "POST",
                "/api/v1/organizations",
                web.port,
                {
                    "authorization": f"Bearer {writer.api_token}",
                    "content-type": "application/json",
                    "content-length": "5000",
                },
            ),
            b'{"name": "Half',
        )
    await settled(cluster)
    # No pool grew past its size (5, plus 5 of overflow, in each of the three processes), and they still serve.
    assert len(await app_backends(cluster)) <= 3 * 10
    outcomes = await traffic.burst(40)
    assert all(o.status in (200, 201) for o in outcomes)


async def test_client_hanging_up_mid_upload_leaves_no_file_and_no_row(cluster, traffic, cast):
    # One upload that arrives whole, for the ledger.
    assert (await traffic.upload(b"id,value\n1,2\n", "whole.csv")).status == 201
    boundary = "faults" + uuid.uuid4().hex
    part = (
        f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="cut.csv"\r\n'
        "content-type: text/csv\r\n\r\n"
    ).encode()
    total = 4 * 1024 * 1024
    for web in cluster.webs:
        head = request_head(
            "POST",
            f"/api/v1/datasets/{cast.dataset_slug}/files",
            web.port,
            {
                "authorization": f"Bearer {cast.steward.api_token}",
                "content-type": f"multipart/form-data; boundary={boundary}",
                "content-length": str(total),
            },
        )
        await hang_up_after(web.port, head, part + b"id,value\n" + b"1,2\n" * 200_000, wait=0.5)
    await asyncio.sleep(1.0)
    await settled(cluster)
    rows = await query(cluster, "SELECT id::text, name, storage_key FROM dataset_files")
    assert sorted(row["name"] for row in rows) == ["whole.csv"] * len(traffic.ledger.uploads)
    stored = [p for p in cluster.files.rglob("*") if p.is_file()]
    # Every stored file belongs to a row, none is a leftover of a cut upload (".part" or otherwise).
    assert len(stored) == len(rows), stored


AUDITED = (
    "SELECT details->>'{key}', count(*) FROM audit_log WHERE action = '{action}' "
    "AND details->>'{key}' = ANY($1) GROUP BY 1"
)


async def not_once(conn: asyncpg.Connection, values: list[str], query: str) -> list[str]:
    """The values that `query` (value, count) does not find exactly once."""
    counts = dict(await conn.fetch(query, values))
    return [value for value in values if counts.get(value) != 1]


async def test_after_all_faults_every_acknowledged_write_is_there_exactly_once(cluster, traffic):
    ledger = traffic.ledger
    conn = await asyncpg.connect(cluster.postgres.url)
    try:
        # Jobs still in flight (a late reconciliation) get a moment to finish.
        deadline = time.monotonic() + 30
        while pending := await conn.fetchval("SELECT count(*) FROM outbox WHERE done_at IS NULL"):
            assert time.monotonic() < deadline, f"{pending} jobs never ran\n{cluster.logs()}"
            await asyncio.sleep(0.2)

        names = [name for _user, name in ledger.organizations]
        assert len(names) > 150
        assert (
            await not_once(
                conn, names, "SELECT name, count(*) FROM organizations WHERE name = ANY($1) GROUP BY 1"
            )
            == []
        )
        assert await not_once(conn, names, AUDITED.format(action="organization:create", key="name")) == []
        # A write answered 503 left nothing behind.
        assert not await conn.fetchval(
            "SELECT count(*) FROM organizations WHERE name = ANY($1)", ledger.refused
        )

        addresses = ledger.invitations
        assert len(addresses) >= 5
        invited = "SELECT email, count(*) FROM organization_invitations WHERE email = ANY($1) GROUP BY 1"
        assert await not_once(conn, addresses, invited) == []
        assert (
            await not_once(conn, addresses, AUDITED.format(action="organization:invite", key="email")) == []
        )
        mails = await conn.fetch(
            "SELECT id, to_address, sent_at, attempts FROM mail_messages WHERE to_address = ANY($1)",
            addresses,
        )
        assert sorted(m["to_address"] for m in mails) == sorted(addresses)
        assert all(m["sent_at"] is not None and m["attempts"] == 1 for m in mails)
        assert [m["to_address"] for m in mails if cluster.smtp.count(f"<{m['id']}@tremplin>") != 1] == []

        files = await conn.fetch(
            "SELECT id::text, storage_key FROM dataset_files WHERE id::text = ANY($1)", ledger.uploads
        )
        assert len(files) == len(ledger.uploads) >= 1
        assert all((cluster.files / f["storage_key"]).is_file() for f in files)
    finally:
        await conn.close()
