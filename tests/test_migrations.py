"""One Alembic history: upgrade from empty, downgrade to base, and no drift from the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import Base
from app.models import import_all_models
from app.platform.migrations import downgrade, head_revision, upgrade
from tests.conftest import _drop_database, _recreate_database, _with_database, run_async, worker_id


@pytest.fixture
def scratch_url(servers):
    name = f"tremplin_migrations_{worker_id()}"
    run_async(lambda: _recreate_database(servers["database"], name))
    yield _with_database(servers["database"], name)
    run_async(lambda: _drop_database(servers["database"], name))


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            names = {r[0] for r in rows}
        await engine.dispose()
        return names

    return run_async(read)


def test_upgrade_from_empty_then_downgrade_to_base(scratch_url):
    upgrade(scratch_url)
    import_all_models()
    assert set(Base.metadata.tables) <= _tables(scratch_url)
    downgrade(scratch_url, "base")
    assert _tables(scratch_url) == {"alembic_version"}
    # And back up again: the downgrade left nothing that blocks a new upgrade.
    upgrade(scratch_url)
    assert set(Base.metadata.tables) <= _tables(scratch_url)


def test_models_match_migrations(database_url):
    import_all_models()

    async def diff() -> list:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            result = await conn.run_sync(
                lambda sync_conn: compare_metadata(
                    MigrationContext.configure(sync_conn, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return result

    assert run_async(diff) == []


def test_single_head():
    assert head_revision() is not None
