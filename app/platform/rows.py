"""Hot reads as plain rows: a Core statement compiled once, run with asyncpg on the request's connection.

The benchmark (bench/RESULTS.md) showed SQLAlchemy's per-execution work — building the statement,
its cache key, the ORM's loading context, result processing — as the largest CPU cost of a light
page, several times the query's own. A `Query` keeps SQLAlchemy for what it is good at (writing the
statement once, at import time, with `bindparam()` for what varies) and hands the compiled SQL to
asyncpg on the connection the request's session already holds:

- rows are asyncpg Records (by name `row["title"]` or position; Jinja's `row.title` works too),
  values as asyncpg decodes them (no SQLAlchemy result processing: a native enum column comes back as
  its text, which the app's `StrEnum`s compare equal to);
- a read that runs before anything else of the request touched the database runs outside a
  transaction (no BEGIN/COMMIT round trips); one after a write sees that write (same connection,
  same transaction; the session's pending changes are flushed first, as its autoflush would);
- asyncpg's errors are raised as SQLAlchemy's `DBAPIError` (a broken connection invalidates the
  pooled one), so timeouts and outages answer 503 like every other statement;
- each execution fires SQLAlchemy's `before_cursor_execute` event, so the benchmark's `X-Query-Count`
  and the tests' statement counters see it.

For reads only: writes and row locks stay with the session, so the unit of work, the audit and the
row-level rules keep one path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql import Executable

_DIALECT = asyncpg_dialect()
# A connection that asyncpg reports as gone: the pooled connection must be thrown away, not reused.
_DISCONNECTS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)
# The server ended the session (administrator command, crash, shutdown).
_ENDED = ("57P01", "57P02", "57P03")


class Query:
    """One read statement, compiled once; parameters by name, as its `bindparam()`s are named."""

    __slots__ = ("_constants", "_names", "_processors", "sql")

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding IN is not supported here: use = ANY(:array) instead")
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values written into the statement itself (`column == 3`) travel as parameters too.
        self._constants: dict[str, Any] = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        self._processors = {
            name: processor for name, processor in compiled._bind_processors.items() if name in self._names
        }

    def _arguments(self, params: dict[str, Any]) -> list[Any]:
        values = []
        for name in self._names:
            value = params[name] if name in params else self._constants.get(name)
            processor = self._processors.get(name)
            values.append(processor(value) if processor is not None and value is not None else value)
        return values

    async def all(self, session: AsyncSession, **params: Any) -> list[asyncpg.Record]:
        return await self._run(session, "fetch", params)

    async def one_or_none(self, session: AsyncSession, **params: Any) -> asyncpg.Record | None:
        return await self._run(session, "fetchrow", params)

    async def scalar(self, session: AsyncSession, **params: Any) -> Any:
        return await self._run(session, "fetchval", params)

    async def _run(self, session: AsyncSession, method: str, params: dict[str, Any]) -> Any:
        # As the session's own statements would: what its unit of work holds reaches the database first, so a
        # read after a change (a page shown again after a refused edit, the API's answer to a write) sees it.
        if session.autoflush and (session.new or session.dirty or session.deleted):
            await session.flush()
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None  # a checked-out connection always has its driver's
        arguments = self._arguments(params)
        # Listeners of SQLAlchemy's own statement event see it too: the benchmark's and the tests' counters.
        sync = connection.sync_connection
        sync.dispatch.before_cursor_execute(sync, None, self.sql, arguments, None, False)  # type: ignore[union-attr]
        try:
            return await getattr(raw, method)(self.sql, *arguments)
        except (asyncpg.PostgresError, *_DISCONNECTS) as error:
            gone = (
                raw.is_closed()
                or isinstance(error, _DISCONNECTS)
                or getattr(error, "sqlstate", None) in _ENDED
            )
            if gone:
                await connection.invalidate()
            raise DBAPIError(self.sql, None, error, connection_invalidated=gone) from error
