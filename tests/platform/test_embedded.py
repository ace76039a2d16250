"""The embedded default, as a newcomer meets it: `tremplin run` on an empty folder, stop, start again.

Runs the real command in a subprocess with DATABASE_URL and REDIS_URL removed from its environment.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from redis import Redis

from app.demo import PEOPLE
from app.platform import embedded
from tests.conftest import ROOT

pytestmark = [pytest.mark.embedded, pytest.mark.timeout(120)]

READY_TIMEOUT = 90
# Variables that would point the command at configured servers or change its defaults.
CONFIGURED = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "BASE_URL",
    "PORT",
    "REDIS_PREFIX",
    "WORKER_IN_PROCESS",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A folder outside pytest's temporary root: as root, pgserver opens the path to its user, and
    another test process starting would close /tmp/pytest-of-root again under the running server."""
    folder = Path(tempfile.mkdtemp(prefix="tremplin-embedded-")) / "var"
    yield folder
    # Whatever a failed test left running is stopped here, so it cannot disturb the next tests.
    for process in processes_using(folder):
        process.kill()
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in CONFIGURED}
    environment.update(DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    return environment


def processes_using(data_dir: Path) -> list[psutil.Process]:
    """redis-server and postgres processes whose command line names this data folder."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if str(data_dir) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


class Tremplin:
    """`tremplin run` in a subprocess, its output kept in files (a full pipe would block it)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.port = free_port()
        self.stdout = logs / f"run-{self.port}.out"
        self.stderr = logs / f"run-{self.port}.err"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "run", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"tremplin run exited early:\n{self.output()}"
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"not ready after {READY_TIMEOUT} s:\n{self.output()}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def server_pids(data_dir: Path) -> set[int]:
    postmaster = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    redis = int((data_dir / "redis" / "redis.pid").read_text().strip())
    return {postmaster, redis}


def count_users(data_dir: Path) -> dict[str, int]:
    """Read the embedded database directly, through the socket named in postmaster.pid."""
    socket_dir = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[4]

    async def query() -> dict[str, int]:
        conn = await asyncpg.connect(user="postgres", database="tremplin", host=socket_dir)
        try:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE email LIKE '%@demo.tremplin.local') AS demo,"
                " count(*) FILTER (WHERE email = 'ops@example.org' AND is_admin) AS ops FROM users"
            )
            return dict(row)
        finally:
            await conn.close()

    return asyncio.run(query())


def assert_nothing_left(data_dir: Path, pids: set[int]) -> None:
    alive = [
        pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == [], f"processes still running: {alive}"
    assert processes_using(data_dir) == []


def test_run_on_empty_folder_serves_stops_cleanly_and_keeps_data_across_restarts(data_dir, env, tmp_path):
    first = Tremplin(env, tmp_path)
    first.wait_ready()
    page = httpx.get(first.url + "/", timeout=5)
    assert page.status_code == 200 and "Tremplin" in page.text
    pids = server_pids(data_dir) | {
        child.pid for child in psutil.Process(first.process.pid).children(recursive=True)
    }

    # A second command joins the running servers and must not stop them when it exits.
    created = cli(
        env,
        "create-admin",
        "--email",
        "ops@example.org",
        "--name",
        "Ops",
        "--password-stdin",
        stdin="a long operator passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    assert httpx.get(first.url + "/ready", timeout=5).status_code == 200

    assert first.stop() == 0, first.output()
    assert "Demo data loaded." in first.output() and "admin@demo.tremplin.local" in first.output()
    assert_nothing_left(data_dir, pids)

    second = Tremplin(env, tmp_path)
    second.wait_ready()
    pids = server_pids(data_dir)
    assert count_users(data_dir) == {"demo": len(PEOPLE), "ops": 1}
    assert "Demo data loaded." not in second.output()
    assert second.stop() == 0, second.output()
    assert_nothing_left(data_dir, pids)


def test_stopped_redis_leaves_no_process_and_keeps_its_data(data_dir):
    redis = embedded.start_redis(data_dir)
    client = Redis(unix_socket_path=str(redis.socket_path))
    client.set("kept", "yes")
    client.close()
    redis.stop()
    assert not psutil.pid_exists(redis.process.pid)

    again = embedded.start_redis(data_dir)
    try:
        client = Redis(unix_socket_path=str(again.socket_path))
        assert client.get("kept") == b"yes"
        client.close()
    finally:
        again.stop()


def test_a_second_owner_cannot_take_over_a_running_embedded_redis(data_dir):
    redis = embedded.start_redis(data_dir)
    try:
        with pytest.raises(embedded.EmbeddedError, match="another Tremplin process"):
            embedded.start_redis(data_dir)
        assert redis.process.poll() is None
    finally:
        redis.stop()


def test_redis_left_behind_by_a_killed_owner_is_stopped_at_the_next_start(data_dir):
    orphan = embedded.start_redis(data_dir)
    # What the system does when the owner is killed with SIGKILL: the lock goes, redis-server stays.
    orphan.lock.close()
    successor = embedded.start_redis(data_dir)
    try:
        orphan.process.wait(timeout=5)
        assert processes_using(data_dir) == [psutil.Process(successor.process.pid)]
    finally:
        successor.stop()


def test_postgres_stops_even_when_a_killed_process_is_still_listed_as_using_it(data_dir):
    postgres = embedded.start_postgres(data_dir)
    postmaster = postgres.server.get_postmaster_info().pid
    dead_pid = max(psutil.pids()) + 100_000
    postgres.server.global_process_id_list.get_and_add(dead_pid)
    postgres.stop()
    process = psutil.Process(postmaster) if psutil.pid_exists(postmaster) else None
    assert process is None or process.status() == psutil.STATUS_ZOMBIE
