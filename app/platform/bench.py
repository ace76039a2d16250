"""Benchmark aids, off unless a setting turns them on (bench/run.py does; production never should).

BENCH_QUERY_COUNT: every response carries `X-Query-Count` (SQL statements the request sent through
SQLAlchemy) and `X-Query-Roundtrips` (those plus the BEGIN and COMMIT/ROLLBACK actually sent, and the pool's pre-ping),
counted by engine events into a per-request box held in a context variable.

BENCH_FLOOR: `/bench/floor`, the TechEmpower "Fortunes" shape served by the same process and
middleware as every page: one raw asyncpg query of the 12 rows of `bench_fortunes` (a table that only
bench/seed.py creates), one row added, sorted in Python, rendered by a Jinja2 template. Each page's
throughput is quoted as a ratio of this floor measured in the same run.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import TYPE_CHECKING, Any

import jinja2
from litestar import Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

# [statements, other round trips] of the request being served, or None outside one.
_box: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("bench_query_box", default=None)
_installed = False


def _statement(*_args: Any) -> None:
    box = _box.get()
    if box is not None:
        box[0] += 1


def _round_trip(*_args: Any) -> None:
    box = _box.get()
    if box is not None:
        box[1] += 1


def _transaction_end(connection: Any) -> None:
    """COMMIT or ROLLBACK: BEGIN and its end cost two round trips only when a statement went through
    SQLAlchemy's cursor (the asyncpg adapter begins lazily there); reads made with app/platform/rows.py
    alone send neither."""
    box = _box.get()
    if box is not None and getattr(connection.connection.dbapi_connection, "_transaction", True) is not None:
        box[1] += 2


def install_query_counter() -> None:
    """Listen on every engine and pool of the process (once)."""
    global _installed
    if _installed:
        return
    event.listen(Engine, "before_cursor_execute", _statement)
    for name in ("commit", "rollback"):
        event.listen(Engine, name, _transaction_end)
    # make_engine() pings every connection it checks out: one round trip.
    event.listen(Pool, "checkout", _round_trip)
    _installed = True


def count_queries(app: ASGIApp) -> ASGIApp:
    """Outermost middleware: the headers are added after the request's commit, so it is counted too."""
    install_query_counter()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        box = [0, 0]
        token = _box.set(box)

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["x-query-count"] = str(box[0])
                headers["x-query-roundtrips"] = str(box[0] + box[1])
            await send(message)

        try:
            await app(scope, receive, counting_send)
        finally:
            _box.reset(token)

    return middleware


FORTUNES = jinja2.Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "{% for id, message in fortunes %}<tr><td>{{ id }}</td><td>{{ message }}</td></tr>{% endfor %}"
    "</table></body></html>"
)
_pool_lock = asyncio.Lock()


async def _floor_pool(request: Request[Any, Any, Any]) -> Any:
    import asyncpg  # type: ignore[import-untyped]

    state = request.app.state
    if getattr(state, "bench_pool", None) is None:
        async with _pool_lock:
            if getattr(state, "bench_pool", None) is None:
                services = state.services
                url = services.settings.database_url or services.embedded.database_url
                url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
                state.bench_pool = await asyncpg.create_pool(url, min_size=4, max_size=10)
    return state.bench_pool


@get("/bench/floor", name="bench:floor", opt={"public": True}, include_in_schema=False)
async def floor(request: Request[Any, Any, Any]) -> Response[str]:
    """The floor page (BENCH_FLOOR only)."""
    pool = await _floor_pool(request)
    rows = await pool.fetch("SELECT id, message FROM bench_fortunes")
    fortunes = [(row[0], row[1]) for row in rows]
    fortunes.append((0, "Additional fortune added at request time."))
    fortunes.sort(key=lambda item: item[1])
    return Response(FORTUNES.render(fortunes=fortunes), media_type="text/html; charset=utf-8")


async def close_floor(app: Any) -> None:
    pool = getattr(app.state, "bench_pool", None)
    if pool is not None:
        await pool.close()


ROUTES = [floor]
