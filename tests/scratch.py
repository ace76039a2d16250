"""Scratch databases for race tests: migrated once per module, where every session is its own connection
and commits for real, as separate web processes would. The per-test rollback cannot show races."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.db import async_url, make_session_maker
from app.platform.migrations import upgrade
from tests.conftest import _drop_database, _recreate_database, _with_database, run_async, worker_id


@contextlib.contextmanager
def scratch_database(servers: dict[str, str], purpose: str) -> Iterator[str]:
    """A fresh database named after `purpose` and this test worker, at the latest revision; dropped after."""
    name = f"tremplin_{purpose}_{worker_id()}"
    run_async(lambda: _recreate_database(servers["database"], name))
    url = _with_database(servers["database"], name)
    upgrade(url)
    try:
        yield url
    finally:
        run_async(lambda: _drop_database(servers["database"], name))


@contextlib.asynccontextmanager
async def scratch_sessions(
    url: str, **engine_options: Any
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(async_url(url), **engine_options)
    try:
        yield make_session_maker(engine)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def app_on(app: Any, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Any]:
    """The test app answering from the scratch database, restored afterwards for the next tests."""
    services = app.state.services
    previous = services.session_maker
    services.session_maker = sessions
    try:
        yield app
    finally:
        services.session_maker = previous


@contextlib.asynccontextmanager
async def browsers(
    app: Any, sessions: async_sessionmaker[AsyncSession], people: list[Any]
) -> AsyncIterator[list[Any]]:
    """One signed-in test client per person, sessions committed (the same person may appear more than
    once: one tab each). Each client has its CSRF token ready."""
    from tests.conftest import make_client
    from tests.factories import sign_in

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(make_client(app)) for _ in people]
        async with sessions() as session:
            for client, person in zip(clients, people, strict=True):
                await sign_in(client, session, person)
            await session.commit()
        for client in clients:
            await client.csrf()
        yield clients
