"""The audit log is append-only in the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.platform.audit import record


async def test_audit_entries_cannot_be_updated(db):
    entry = await record(db, None, "test:action", "thing", "42", {"why": "test"})
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin_nested():
            await db.execute(text("UPDATE audit_log SET action = 'forged' WHERE id = :id"), {"id": entry.id})


async def test_audit_entries_cannot_be_deleted(db):
    entry = await record(db, None, "test:action", "thing", "42")
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin_nested():
            await db.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry.id})


async def test_audit_log_cannot_be_truncated(db):
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin_nested():
            await db.execute(text("TRUNCATE audit_log"))


async def test_entry_is_kept_with_its_details(db):
    entry = await record(
        db, None, "organization:verify", "organization", "abc", {"name": "CHU"}, ip="10.0.0.1"
    )
    row = (
        await db.execute(text("SELECT action, details, ip FROM audit_log WHERE id = :id"), {"id": entry.id})
    ).one()
    assert row.action == "organization:verify"
    assert row.details == {"name": "CHU"}
    assert row.ip == "10.0.0.1"


async def test_entries_written_during_a_request_carry_the_client_address(client, db):
    from sqlalchemy import select

    from app.platform.models import AuditEntry
    from tests.factories import make_user, sign_in

    user = await make_user(db)
    await sign_in(client, db, user)
    response = await client.submit(
        "/organizations", {"name": "Audited Org", "kind": "startup", "country": "FR"}
    )
    assert response.status_code == 303
    entry = await db.scalar(
        select(AuditEntry).where(AuditEntry.action == "organization:create").order_by(AuditEntry.id.desc())
    )
    assert entry is not None and entry.ip == "127.0.0.1"
