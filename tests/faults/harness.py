"""Private servers for the fault-injection tests: PostgreSQL, Redis, a fake SMTP server, two web
processes and one arq worker, all on free ports under one temporary folder, all stopped at the end.

The machine's shared PostgreSQL (5432) and Redis (6379) are never touched: these tests kill and
restart servers, so they start their own. PostgreSQL comes from Debian's binaries and runs as the
`postgres` system user when the tests run as root (initdb and postgres refuse root).
"""

from __future__ import annotations

import contextlib
import email
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SECRET = "fault-secret-" + "y" * 40
DATABASE = "tremplin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll `check()` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Postgres:
    """A private PostgreSQL 15 cluster that the tests may stop, restart and crash at will."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "postgres"
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, timeout=timeout, check=True
        )

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        self.start()
        self.run(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE
        )

    def _options(self) -> str:
        # fsync off only skips flushing the OS's cache to disk, which a crash of PostgreSQL alone (not of the
        # machine) never loses. synchronous_commit stays on: without it an immediate shutdown loses commits
        # the app already acknowledged, and the ledger test rightly fails.
        return (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=120"
        )

    def pg_ctl(self, action: str, *extra: str) -> None:
        self.run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "30",
            "-o",
            self._options(),
            action,
            *extra,
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self, mode: str) -> None:
        self.pg_ctl("restart", "-m", mode)

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(Exception):
            self.pg_ctl("stop", "-m", mode)
        # pg_ctl stop could fail if the server is already down; a postmaster left alive is killed.
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(Exception):
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)


class Redis:
    """A private redis-server keeping nothing on disk: stopping it loses every key."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "redis"
        self.folder.mkdir(parents=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: _ping_redis(self.port), 10, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


def _ping_redis(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


class FakeSmtp:
    """Just enough SMTP to receive the app's e-mails, counting each by Message-ID.

    While `stall` is set, a connection gets no greeting: the job sending the mail hangs mid-way.
    """

    def __init__(self) -> None:
        self.received: list[str] = []
        self.connections = 0
        self.stall = threading.Event()
        self.lock = threading.Lock()
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with owner.lock:
                    owner.connections += 1
                while owner.stall.is_set():
                    time.sleep(0.05)
                owner.converse(self.rfile, self.wfile)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def converse(self, rfile: Any, wfile: Any) -> None:
        try:
            wfile.write(b"220 fake ESMTP\r\n")
            while line := rfile.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    wfile.write(b"354 go on\r\n")
                    body = []
                    while (data := rfile.readline()) not in (b".\r\n", b""):
                        body.append(data)
                    message = email.message_from_bytes(b"".join(body))
                    with self.lock:
                        self.received.append(str(message["Message-ID"]))
                    wfile.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    wfile.write(b"221 bye\r\n")
                    return
                else:
                    wfile.write(b"250 ok\r\n")
        except OSError:
            return

    def count(self, message_id: str) -> int:
        with self.lock:
            return self.received.count(message_id)

    def close(self) -> None:
        self.stall.clear()
        self.server.shutdown()
        self.server.server_close()


class AppProcess:
    """`tremplin serve` (one uvicorn process) or `tremplin worker`, as a subprocess of its own session."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], folder: Path, port: int | None = None
    ):
        self.name = name
        self.args = args
        self.env = env
        self.port = port
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_offset = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        if self.port is not None:
            wait_for(self._healthy, 60, f"{self.name} to serve /health")
        else:
            # The worker is up once it has connected to Redis and logged its start-up line.
            wait_for(lambda: self.alive() and "Starting worker" in self.output(), 60, f"{self.name} to start")

    def output(self) -> str:
        """What this run of the process has logged."""
        with self.log.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.tail()}")
        return httpx.get(self.base_url + "/health", timeout=1).status_code == 200

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, signum: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Cluster:
    """Everything one fault run needs, started in order and stopped in reverse, even after a failure."""

    def __init__(self) -> None:
        # Outside pytest's tmp root; readable by the postgres user, which must reach its own folder.
        self.root = Path(tempfile.mkdtemp(prefix="tremplin-faults-"))
        self.root.chmod(0o755)
        self.postgres = Postgres(self.root)
        self.redis = Redis(self.root)
        self.smtp = FakeSmtp()
        self.files = self.root / "files"
        self.webs: list[AppProcess] = []
        self.worker: AppProcess | None = None

    def env(self) -> dict[str, str]:
        ports = [free_port(), free_port()]
        self._web_ports = ports
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL", "COV_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url,
            REDIS_PREFIX="faults",
            SECRET_KEY=SECRET,
            BASE_URL=f"http://127.0.0.1:{ports[0]}",
            ALLOWED_HOSTS=f"127.0.0.1:{ports[1]}",
            DATA_DIR=str(self.root / "data"),
            STORAGE_URL=f"file://{self.files}",
            SMTP_URL=self.smtp.url,
            DB_POOL_SIZE="5",
            # Short, so that a held lock or a hung query answers within the tests' patience.
            DB_STATEMENT_TIMEOUT_MS="2500",
            DB_LOCK_TIMEOUT_MS="1500",
            DB_IDLE_IN_TRANSACTION_TIMEOUT_MS="5000",
            LOG_LEVEL="WARNING",
            WORKER_IN_PROCESS="false",
        )
        return env

    def start(self) -> None:
        from app.platform.migrations import upgrade

        self.postgres.init()
        self.redis.start()
        upgrade(self.postgres.url)
        env = self.env()
        self.webs = [
            AppProcess(
                f"web{i}",
                ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env,
                self.root,
                port,
            )
            for i, port in enumerate(self._web_ports)
        ]
        # The worker logs at INFO: its "Starting worker" line says it is connected and polling.
        self.worker = AppProcess("worker", ["worker"], env | {"LOG_LEVEL": "INFO"}, self.root)
        # Started together: each spends seconds importing the app, and the machine has cores to spare.
        for process in [*self.webs, self.worker]:
            process.start(wait=False)
        for process in [*self.webs, self.worker]:
            process.wait_ready()

    def new_worker(self) -> AppProcess:
        assert self.worker is not None
        self.worker = AppProcess("worker", ["worker"], self.worker.env, self.root)
        self.worker.start()
        return self.worker

    def stop(self) -> None:
        for process in [*self.webs, self.worker]:
            if process is not None:
                with contextlib.suppress(Exception):
                    process.kill()
        with contextlib.suppress(Exception):
            self.redis.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop("immediate")
        with contextlib.suppress(Exception):
            self.smtp.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in [*self.webs, self.worker] if p is not None)
