"""What the benchmark scripts share: database names per scale, URLs, the known accounts, the servers."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "tremplin-bench-2026"
DOMAIN = "bench.tremplin.local"
# The accounts the load run signs in as; seed.py makes them, run.py reads their objects from the database.
ACCOUNTS = ("admin", "founder", "judge", "captain", "steward")


def email(role: str) -> str:
    return f"{role}@{DOMAIN}"


def database_name(scale: float) -> str:
    """tremplin_bench for the full platform, tremplin_bench_0_1 for --scale 0.1, and so on."""
    if scale == 1:
        return "tremplin_bench"
    return "tremplin_bench_" + f"{scale:g}".replace(".", "_").replace("-", "m")


def with_database(url: str, name: str) -> str:
    head, _, rest = url.partition("://")
    before_query, sep, query = rest.partition("?")
    base = before_query.rsplit("/", 1)[0] if "/" in before_query else before_query
    return f"{head}://{base}/{name}{sep}{query}"


def plain(url: str) -> str:
    """The URL asyncpg and libpq understand."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


@contextlib.contextmanager
def servers(data_dir: Path | None = None) -> Iterator[tuple[str, str]]:
    """(PostgreSQL admin URL, Redis URL): DATABASE_URL / REDIS_URL when set, else embedded servers
    under DATA_DIR/bench (started here, stopped on exit)."""
    database_url = os.environ.get("DATABASE_URL", "").strip()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if database_url and redis_url:
        yield plain(database_url), redis_url
        return
    from app.platform import embedded

    folder = data_dir or Path(os.environ.get("DATA_DIR", "var")) / "bench"
    running = embedded.start(folder, postgres=not database_url, redis=not redis_url)
    try:
        yield plain(database_url or running.database_url), redis_url or running.redis_url
    finally:
        running.stop()
