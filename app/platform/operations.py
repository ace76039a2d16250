"""The plumbing of the `tremplin` command: signals, the servers a command uses, its database sessions.

A command gets its servers from `services()`: the configured ones, or embedded ones started for it
and stopped on the way out, also on SIGTERM and Ctrl-C (`Stopped` unwinds through every `finally`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from app.settings import Settings

T = TypeVar("T")


class CommandError(Exception):
    """A failure explained to the operator in one message, without a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Stopped(Exception):
    """SIGTERM or Ctrl-C: unwind through every `finally` so embedded servers are stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """Turns SIGTERM and SIGINT into `Stopped`, except while a server starts or stops (then it waits)."""

    def __init__(self) -> None:
        self.deferring = False
        self.pending: int | None = None

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: object) -> None:
        if self.deferring:
            self.pending = self.pending or signum
            return
        raise Stopped(signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Interrupting pgserver or redis-server half-way could leave a process nobody knows about."""
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending is not None:
            raise Stopped(self.pending)


SIGNALS = Signals()


@contextlib.contextmanager
def services(settings: Settings, *, redis: bool) -> Iterator[Settings]:
    """Settings whose URLs point at running servers: the configured ones, or embedded ones started here
    and stopped on the way out (including on SIGTERM and Ctrl-C)."""
    from app.platform import embedded

    postgres_needed = settings.database_url is None
    redis_needed = redis and settings.redis_url is None
    if not (postgres_needed or redis_needed):
        yield settings
        return
    with SIGNALS.deferred():
        try:
            running = embedded.start(settings.data_dir, postgres=postgres_needed, redis=redis_needed)
        except Exception as exc:
            raise CommandError(
                f"The embedded services could not start in {settings.data_dir}: {exc}"
            ) from exc
    try:
        yield settings.replace(
            database_url=settings.database_url or running.database_url,
            redis_url=settings.redis_url or running.redis_url,
        )
    finally:
        with SIGNALS.deferred():
            running.stop()


def require_external(settings: Settings, command: str) -> None:
    missing = [
        name
        for name, value in (("DATABASE_URL", settings.database_url), ("REDIS_URL", settings.redis_url))
        if not value
    ]
    if missing:
        raise CommandError(
            f"`tremplin {command}` uses external servers: set {' and '.join(missing)}. "
            "On a single machine, `tremplin run` starts embedded ones and the worker for you.",
            code=2,
        )


def migrate(settings: Settings, revision: str) -> str | None:
    """Upgrade the database to `revision`; the revision it is at afterwards."""
    from sqlalchemy.exc import DBAPIError

    from app.platform.migrations import upgrade

    assert settings.database_url
    try:
        upgrade(settings.database_url, revision)
    except (OSError, DBAPIError) as exc:
        raise CommandError(f"Cannot reach the database at {safe_url(settings.database_url)}: {exc}") from exc
    return asyncio.run(database_revision(settings))


async def with_session(settings: Settings, work: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run `work(session, *args)` in one transaction, committed when it returns."""
    from app.db import make_engine, make_session_maker

    assert settings.database_url
    engine = make_engine(settings, settings.database_url)
    try:
        async with make_session_maker(engine)() as session:
            result = await work(session, *args)
            await session.commit()
            return result
    except OSError as exc:
        raise CommandError(f"Cannot reach the database at {safe_url(settings.database_url)}: {exc}") from exc
    finally:
        await engine.dispose()


async def database_revision(settings: Settings) -> str | None:
    from app.platform.migrations import current_revision

    return await with_engine(settings, current_revision)


async def require_migrated(settings: Settings) -> None:
    from app.platform.migrations import NotMigrated, check_migrated

    try:
        await with_engine(settings, check_migrated)
    except NotMigrated as exc:
        raise CommandError(str(exc), code=2) from None


async def with_engine(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from sqlalchemy.exc import DBAPIError

    from app.db import make_engine

    assert settings.database_url
    engine = make_engine(settings, settings.database_url)
    try:
        return await work(engine)
    except (OSError, DBAPIError) as exc:
        raise CommandError(f"Cannot reach the database at {safe_url(settings.database_url)}: {exc}") from exc
    finally:
        await engine.dispose()


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
