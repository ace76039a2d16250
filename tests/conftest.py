"""Test fixtures: a real PostgreSQL database per test worker built by the migrations, real Redis,
and per test a connection-level transaction rolled back at the end.

With DATABASE_URL / REDIS_URL set (CI: the machine's PostgreSQL 15 and Redis 7) those servers are
used; without them each test worker starts the embedded servers under var/test-<worker>.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db import async_url, engine_options
from app.platform.security import csrf_token
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-" + "x" * 40
ARTIFACTS = ROOT / "test-artifacts"


def run_async(coroutine_factory: Any) -> Any:
    """asyncio.run in a thread of its own: safe from sync fixtures and tests whatever loop is running."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine_factory()))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def worker_id() -> str:
    """Names this test process's database and data folder: per xdist worker and per checkout."""
    checkout = hashlib.sha1(str(ROOT).encode()).hexdigest()[:6]
    # A run without xdist is "solo": never the name of a worker of a full run going on in the same checkout,
    # whose database it would otherwise drop when it starts.
    return f"{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'solo')}"


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, str]]:
    """Admin URL of PostgreSQL and the Redis URL: configured ones, or embedded ones started here."""
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    embedded = None
    if not database_url or not redis_url:
        from app.platform import embedded as embedded_module

        embedded = embedded_module.start(
            ROOT / "var" / f"test-{worker_id()}", postgres=not database_url, redis=not redis_url
        )
        database_url = database_url or embedded.database_url
        redis_url = redis_url or embedded.redis_url
    assert database_url and redis_url
    yield {"database": database_url, "redis": redis_url}
    if embedded is not None:
        embedded.stop()


def _with_database(url: str, name: str) -> str:
    url = async_url(url)
    head, _, rest = url.partition("://")
    before_query, sep, query = rest.partition("?")
    base = before_query.rsplit("/", 1)[0] if "/" in before_query else before_query
    return f"{head}://{base}/{name}{sep}{query}"


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _recreate_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(servers: dict[str, str]) -> Iterator[str]:
    """A fresh database for this test worker, built by `alembic upgrade head`."""
    from app.platform.migrations import upgrade

    name = f"tremplin_test_{worker_id()}"
    admin_url = servers["database"]
    run_async(lambda: _recreate_database(admin_url, name))
    url = _with_database(admin_url, name)
    upgrade(url)
    yield url
    run_async(lambda: _drop_database(admin_url, name))


@pytest.fixture(scope="session")
def settings(database_url: str, servers: dict[str, str]) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=servers["redis"],
        secret_key=SECRET,
        base_url="http://testserver.local",
        data_dir=ROOT / "var" / f"test-{worker_id()}",
        redis_prefix=f"test-{worker_id()}-{secrets.token_hex(4)}",
        worker_in_process=False,
        login_rate_limit=5,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert settings.database_url
    engine = create_async_engine(async_url(settings.database_url), **engine_options(settings))
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection whose outer transaction is rolled back after the test: nothing a test writes stays."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def session_maker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # The app's commits become savepoints inside the test's transaction.
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def db(session_maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_maker() as session:
        yield session


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """One app per test worker; each test hands it its own session maker (see `client`)."""
    from app.main import create_app

    application = create_app(settings, session_maker=_Unset())  # type: ignore[arg-type]
    # The lifespan runs here, in the tests' event loop (Litestar's test client would run it in a thread).
    services = application.state.services
    await services.start()
    yield application
    await services.stop()


class _Unset:
    """Placeholder session maker: a test that forgets the `client` fixture fails loudly."""

    def __call__(self) -> Any:
        raise RuntimeError("use the `client` fixture, which installs the test's session maker")


@pytest.fixture
async def client(
    app: Litestar, session_maker: async_sessionmaker[AsyncSession], redis: Any
) -> AsyncIterator[Client]:
    # Depends on `redis` so that jobs the app sends after its (savepoint) commits are cleared after the test.
    app.state.services.session_maker = session_maker
    async with make_client(app) as test_client:
        yield test_client


def make_client(app: Litestar) -> Client:
    """A fresh browser: its own cookie jar, redirects not followed, server errors seen as responses."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return Client(transport=transport, base_url="http://testserver.local", follow_redirects=False)


class Client(httpx.AsyncClient):
    """The test client plus helpers for CSRF-protected forms."""

    def session_key(self) -> str | None:
        return self.cookies.get("tremplin")

    async def csrf(self) -> str:
        if not self.session_key():
            await self.get("/health")
            await self.get("/")
        key = self.session_key()
        assert key, "no session cookie was set"
        return csrf_token(SECRET, key)

    async def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way a browser does, with the page's CSRF token."""
        payload = dict(data or {})
        payload.setdefault("_csrf", await self.csrf())
        return await self.post(url, data=payload, **kwargs)

    async def htmx(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"HX-Request": "true", "X-CSRF-Token": await self.csrf(), **kwargs.pop("headers", {})}
        return await self.request(method, url, headers=headers, **kwargs)


@pytest.fixture
async def redis(settings: Settings, app: Litestar) -> AsyncIterator[Any]:
    """The app's Redis connection; keys under this run's prefix are removed after each test."""
    redis = app.state.services.arq
    yield redis
    # Queue and job keys all carry the prefix, so parallel workers sharing one Redis never collide.
    keys = [key async for key in redis.scan_iter(match=f"*{settings.redis_prefix}*")]
    if keys:
        await redis.delete(*keys)


def text_of(html: str) -> str:
    """Visible text of a page, whitespace collapsed, for assertions that read like what a person sees."""
    without_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))
    import html as html_module

    return re.sub(r"\s+", " ", html_module.unescape(without_tags)).strip()


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"
