"""Load run of the main pages on the seeded platform, against the targets of issue #7; writes bench/RESULTS.md.

    python bench/run.py [--duration 5] [--runs 3] [--quick] [--no-compare] [--out bench/RESULTS.md]

Needs the databases made by bench/seed.py (scale 1, and scale 0.1 for the query-count comparison;
`make bench` seeds them when missing), wrk, and taskset. One web process (`tremplin serve --workers 1`,
production settings, LOG_LEVEL=WARNING so the access log is off, BENCH_FLOOR=1 for the floor page) is
pinned to core 0, wrk to core 1. Each URL is loaded `--runs` times for `--duration` seconds at 64
connections, the URLs interleaved run by run, then again at 8 connections for the p99 target; medians
are quoted. Each person signs in through /login (CSRF token and cookie handled) and wrk sends the
cookie; POSTs (htmx autosaves) go through a small wrk Lua script with the CSRF header.

Then, with BENCH_QUERY_COUNT=1, every URL once at scale 1 and at scale 0.1 (SQL statements and round
trips per request, which must not grow with the data); compute_ranking of the big round timed in
process; and a few pages under granian for the choice of production server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
from common import PASSWORD, ROOT, database_name, email, plain, servers, with_database

SECRET = "bench-secret-" + "k" * 40
PORT = 8765
PYTHON = sys.executable
# Targets of issue #7, as ratios of the floor's requests/s measured in the same run.
PAGE_TARGET, FRAGMENT_TARGET = 0.15, 0.30
P99_TARGET_MS, RANKING_TARGET_MS, RSS_TARGET_MB = 50.0, 100.0, 200.0
ANALYSIS_MARK = "<!-- analysis: kept when bench/run.py rewrites this file -->"


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    kind: str  # floor, page, api, fragment
    role: str | None
    path: str
    method: str = "GET"
    form: dict[str, str] | None = None
    htmx: bool = False


def targets(known: dict[str, Any]) -> list[Target]:
    challenge, big_round = "big-challenge", known["big_round"]
    entry, criterion = known["judge_entry"], known["judge_criterion"]
    draft = {f"answer.{key}": value for key, value in known["draft_answers"].items()}
    catalogue = "/challenges?kind=technology&q=cardiac"
    return [
        Target("floor (fortunes)", "floor", None, "/bench/floor"),
        Target("catalogue, filter + search", "page", "captain", catalogue),
        Target("challenge page", "page", "captain", f"/challenges/{challenge}"),
        Target("team page", "page", "captain", f"/teams/{known['captain_team']}"),
        Target("judge queue (big round)", "page", "judge", f"/judge/rounds/{big_round}"),
        Target("ranking (big round)", "page", "founder", f"/challenges/{challenge}/rounds/{big_round}/judging/ranking"),
        Target("steward board", "page", "steward", "/steward"),
        Target("API challenges?q=", "api", "captain", "/api/v1/challenges?q=cardiac"),
        Target("API challenge teams", "api", "founder", f"/api/v1/challenges/{challenge}/teams"),
        Target("API judge queue", "api", "judge", f"/api/v1/judge/rounds/{big_round}/queue"),
        Target("API datasets", "api", "steward", "/api/v1/datasets"),
        Target("API access log", "api", "steward", "/api/v1/access-log"),
        Target("htmx catalogue filter", "fragment", "captain", catalogue, htmx=True),
        Target("htmx score autosave", "fragment", "judge", f"/judge/entries/{entry}/scores/{criterion}", "POST",
               {"value": "7", "comment": "Clear plan, thin evidence."}, htmx=True),
        Target("htmx draft autosave", "fragment", "captain", f"/teams/{known['draft_team']}/rounds/{known['draft_round']}/save",
               "POST", {"base_version": "1", **draft}, htmx=True),
    ]  # fmt: skip


# --- HTTP: signing in, checking a URL -----------------------------------------------------------------


@dataclasses.dataclass
class Session:
    cookie: str
    csrf: str


def request(method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        cookies = "; ".join(v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie")
        found = {k.lower(): v for k, v in response.getheaders()}
        if cookies:
            found["set-cookie"] = cookies
        return response.status, found, data
    finally:
        conn.close()


def csrf_of(html: bytes) -> str:
    found = re.search(rb'"X-CSRF-Token": "([^"]+)"', html) or re.search(rb'name="_csrf" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1).decode()


def sign_in(role: str) -> Session:
    """Through the login form, as a browser does: GET (anonymous cookie + token), POST, then a page for the new token."""
    status, headers, body = request("GET", "/login")
    cookie = headers["set-cookie"]
    form = urllib.parse.urlencode({"email": email(role), "password": PASSWORD, "_csrf": csrf_of(body), "next": "/"})
    status, headers, body = request(
        "POST", "/login", {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form
    )
    if status != 303 or "set-cookie" not in headers:
        raise RuntimeError(f"signing in as {role} answered {status}: {body[:300]!r}")
    cookie = next(part for part in headers["set-cookie"].split("; ") if "=s_" in part)
    status, _headers, body = request("GET", "/account", {"Cookie": cookie})
    if status != 200:
        raise RuntimeError(f"/account as {role} answered {status}")
    return Session(cookie, csrf_of(body))


def headers_for(target: Target, sessions: dict[str, Session]) -> dict[str, str]:
    headers: dict[str, str] = {}
    if target.role:
        session = sessions[target.role]
        headers["Cookie"] = session.cookie
        if target.method != "GET":
            headers["X-CSRF-Token"] = session.csrf
    if target.htmx:
        headers["HX-Request"] = "true"
    if target.form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers


def check(target: Target, sessions: dict[str, Session]) -> tuple[int, dict[str, str], int]:
    body = urllib.parse.urlencode(target.form) if target.form is not None else None
    status, headers, data = request(target.method, target.path, headers_for(target, sessions), body)
    if status != 200:
        raise RuntimeError(f"{target.name}: {target.method} {target.path} answered {status}: {data[:400]!r}")
    return status, headers, len(data)


# --- the web process ------------------------------------------------------------------------------------


def server_env(database_url: str, redis_url: str, count_queries: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "GRANIAN_"))}
    env.update(
        DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=SECRET, BASE_URL=f"http://127.0.0.1:{PORT}",
        REDIS_PREFIX="tremplin-bench", LOG_LEVEL="WARNING", BENCH_FLOOR="1", WEB_CONCURRENCY="1",
        DATA_DIR=str(Path(tempfile.gettempdir()) / "tremplin-bench"), PYTHONPATH=str(ROOT),
        # Signing in five people several times in a few minutes is no attack.
        LOGIN_RATE_LIMIT="1000",
    )  # fmt: skip
    if count_queries:
        env["BENCH_QUERY_COUNT"] = "1"
    return env


def server_command(kind: str) -> list[str]:
    if kind == "uvicorn":
        return [PYTHON, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(PORT), "--workers", "1"]
    return [
        str(Path(PYTHON).parent / "granian"), "--interface", "asgi", "--factory", "app.main:create_app",
        "--host", "127.0.0.1", "--port", str(PORT), "--workers", "1", "--runtime-threads", "1",
        "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


@contextlib.contextmanager
def web_process(kind: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    # One log per process started (numbered in turn), kept after the run for its errors.
    number = len(list(Path(tempfile.gettempdir()).glob(f"tremplin-bench-{os.getpid()}-*.log"))) + 1
    log = open(Path(tempfile.gettempdir()) / f"tremplin-bench-{os.getpid()}-{number}-{kind}.log", "wb")
    process = subprocess.Popen(["taskset", "-c", "0", *server_command(kind)], env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the {kind} process stopped; see {log.name}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", PORT), timeout=1):
                if request("GET", "/health")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} process did not answer within 60 s; see {log.name}")
            time.sleep(0.3)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def tree(pid: int) -> list[int]:
    pids = [pid]
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            pids.extend(tree(int(child)))
    return pids


def peak_rss_mb(pid: int) -> float:
    """The largest VmHWM (peak resident set) among the process and its children (granian's worker)."""
    peak = 0
    for each in tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak / 1024


# --- wrk ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    connections: int = 0


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> Sample:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(g) for g in found.groups())
    return Sample(rps, p50, p99, errors, total)


def lua_script(target: Target, sessions: dict[str, Session], folder: Path) -> Path | None:
    if target.method == "GET":
        return None
    headers = headers_for(target, sessions)
    lines = [f'wrk.method = "{target.method}"', f"wrk.body = {json.dumps(urllib.parse.urlencode(target.form or {}))}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path = folder / f"{abs(hash(target.name))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(target: Target, sessions: dict[str, Session], connections: int, seconds: float, folder: Path) -> Sample:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "--latency"]
    script = lua_script(target, sessions, folder)
    if script is not None:
        command += ["-s", str(script)]
    else:
        command += [arg for k, v in headers_for(target, sessions).items() for arg in ("-H", f"{k}: {v}")]
    command.append(f"http://127.0.0.1:{PORT}{target.path}")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {target.name}: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


def wait_idle(pid: int, limit: float = 120.0) -> None:
    """Until the web process stops using CPU: requests wrk abandoned at the end of a run are still being
    served, and would slow the next run down."""
    pids = tree(pid)
    deadline = time.monotonic() + limit
    last, quiet = cpu_ticks(pids), 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_ticks(pids)
        quiet = quiet + 1 if now - last <= 1 else 0
        last = now


def solo_ms(target: Target, sessions: dict[str, Session], times: int = 5) -> float:
    """Median milliseconds of one request alone (after a warm-up request)."""
    check(target, sessions)
    durations = []
    for _ in range(times):
        start = time.perf_counter()
        check(target, sessions)
        durations.append((time.perf_counter() - start) * 1000)
    return statistics.median(durations)


MAX_RUN_SECONDS = 12


def plan(solo: float, connections: int, floor_seconds: float) -> tuple[int, int]:
    """(connections, seconds) of one run. A single process serves one request's worth of CPU at a time, so at
    N connections each request waits about N times its time alone; a run lasts long enough for every
    connection to see about three answers, at most MAX_RUN_SECONDS. A page too slow for that at the asked
    concurrency is loaded with fewer connections (its req/s, bound by CPU, barely changes; its latency does,
    and the report says so): otherwise no request would finish, and the requests wrk abandons would keep
    the process busy long after the run."""
    fitting = max(1, int(MAX_RUN_SECONDS * 1000 / (3 * max(solo, 0.1))))
    used = min(connections, fitting)
    return used, int(min(MAX_RUN_SECONDS, max(floor_seconds, 3 * used * solo / 1000 + 1)))


def load(
    pages: list[Target], sessions: dict[str, Session], connections: int, seconds: float, runs: int, pid: int,
    solo: dict[str, float],
) -> dict[str, list[Sample]]:
    """Every URL `runs` times, interleaved (URL order within a run, runs one after the other), the process
    left to go idle between runs."""
    samples: dict[str, list[Sample]] = {t.name: [] for t in pages}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            for target in pages:
                used, duration = plan(solo[target.name], connections, seconds)
                sample = wrk(target, sessions, used, duration, Path(folder))
                samples[target.name].append(dataclasses.replace(sample, connections=used))
                wait_idle(pid)
            print(f"  {connections} connections: run {run + 1} of {runs} done", flush=True)
    return samples


def median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


# --- queries per request, ranking -----------------------------------------------------------------------


async def known_objects(url: str) -> tuple[dict[str, Any], dict[str, int], float]:
    conn = await asyncpg.connect(plain(url))
    try:
        row = await conn.fetchrow("SELECT known, counts, scale FROM bench_meta")
    finally:
        await conn.close()
    return json.loads(row["known"]), json.loads(row["counts"]), row["scale"]


def query_counts(pages: list[Target], sessions: dict[str, Session]) -> dict[str, tuple[int, int, int]]:
    """(statements, round trips, response bytes) of each URL, after one warm-up request."""
    counts = {}
    for target in pages:
        check(target, sessions)
        _status, headers, size = check(target, sessions)
        counts[target.name] = (int(headers.get("x-query-count", -1)), int(headers.get("x-query-roundtrips", -1)), size)
    return counts


async def time_ranking(url: str, round_id: str, runs: int = 9) -> tuple[float, float]:
    """Median and max milliseconds of compute_ranking (method auto) on the big round, after a warm-up."""
    import uuid

    from sqlalchemy.ext.asyncio import create_async_engine

    from app.db import async_url, engine_options, make_session_maker
    from app.judging.ranking import compute_ranking
    from app.settings import Settings

    engine = create_async_engine(async_url(url), **engine_options(Settings(database_url=url)))
    sessions = make_session_maker(engine)
    try:
        async with sessions() as session:
            await compute_ranking(session, uuid.UUID(round_id))
        durations = []
        # A fresh session each time, as each request has (the pooled connection is reused, so from the sixth run
        # on PostgreSQL may pick a generic plan unless plan_cache_mode says otherwise — as the app's engine does).
        for _ in range(runs):
            async with sessions() as session:
                start = time.perf_counter()
                await compute_ranking(session, uuid.UUID(round_id))
                durations.append((time.perf_counter() - start) * 1000)
    finally:
        await engine.dispose()
    return statistics.median(durations), max(durations)


# --- the report ---------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    mem = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / 1024 / 1024  # type: ignore[union-attr]

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0].strip()
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "CPU": f"{model.group(1).strip() if model else platform.processor()} ({os.cpu_count()} cores visible)",
        "memory": f"{mem:.0f} GiB",
        "kernel": platform.release(),
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "Python": platform.python_version(),
        "packages": ", ".join(
            f"{p} {version(p)}" for p in ("litestar", "sqlalchemy", "asyncpg", "jinja2", "uvicorn", "uvloop", "httptools", "granian")
        ),
        "PostgreSQL": postgres or "?",
        "load generator": wrk_version or "wrk",
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "**missed**"


def report(data: dict[str, Any], out: Path) -> str:
    pages: list[Target] = data["pages"]
    main, low = data["main"], data["low"]
    floor = median(main["floor (fortunes)"], "rps")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run.py) on {data['date']}. Seeded platform: "
        + ", ".join(f"{k} {v:,}" for k, v in data["counts"].items() if k in ("users", "challenges", "teams", "submissions", "scores", "grants", "access_log", "audit_log"))
        + ".",
        "",
        (("**These figures were taken on a loaded machine** (load average above 1 at the start): absolute numbers "
          "are low and noisy; the ratios to the floor, measured in the same run, are what to compare.")
         if float(data["machine"]["load average at start"].split()[0]) > 1.0 else
         ("Taken on a quiet machine (load average at the start below 1). Runs of the same URL still differ by "
          "10-50 % here: the ratios to the floor, measured in the same run, are what to compare.")),
        "",
        "## Machine and versions",
        "",
        *[f"- {k}: {v}" for k, v in data["machine"].items()],
        (f"- method: one `tremplin serve --workers 1` process (uvicorn, uvloop, httptools; LOG_LEVEL=WARNING so no access "
        f"log) pinned to core 0 with taskset, `wrk -t1` pinned to core 1; {data['runs']} interleaved runs of "
        f"{data['duration']:g} s per URL at 64 connections, then at 8 connections; medians."),
        "",
        f"## Throughput and latency (floor: {floor:,.0f} requests/s at 64 connections)",
        "",
        "| page | role | req/s (64c) | × floor | target | ms alone | p50 ms (64c) | p99 ms (64c) | p99 ms (8c) | errors | SQL statements | round trips | bytes |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    missed: list[str] = []
    for target in pages:
        samples, small = main[target.name], low[target.name]
        rps = median(samples, "rps")
        ratio = rps / floor if floor else 0
        used = min(s.connections for s in samples)
        used_low = min(s.connections for s in small)
        shown = f"{rps:,.1f}" + ("" if used == 64 else f" ({used}c)")
        errors = sum(s.errors for s in samples) + sum(s.errors for s in small)
        p99_low = median(small, "p99_ms")
        statements, trips, size = data["queries"][target.name]
        goal = {"page": PAGE_TARGET, "api": PAGE_TARGET, "fragment": FRAGMENT_TARGET}.get(target.kind)
        status = "" if goal is None else f"≥ {goal:.2f}× {verdict(ratio >= goal)}"
        if goal is not None and ratio < goal:
            missed.append(f"{target.name}: {ratio:.2f}× the floor (target {goal:.2f}×)")
        if errors:
            missed.append(f"{target.name}: {errors} errors")
        if p99_low >= P99_TARGET_MS:
            missed.append(f"{target.name}: p99 {p99_low:.0f} ms at 8 connections (target < {P99_TARGET_MS:.0f} ms)")
        lines.append(
            f"| {target.name} | {target.role or '-'} | {shown} | {ratio:.2f} | {status} | {data['solo'][target.name]:.1f} | {median(samples, 'p50_ms'):.1f} | "
            f"{median(samples, 'p99_ms'):.1f} | {p99_low:.1f}{'' if used_low == 8 else f' ({used_low}c)'} | {errors} | {statements} | {trips} | {size:,} |"
        )
    lines += [
        "",
        (f"req/s (Nc): a page too slow to answer every one of 64 connections a few times within {MAX_RUN_SECONDS} s "
        "was loaded with N connections (see `plan()` in bench/run.py); its req/s is still what one process "
        "gives, its latencies are those at N connections. ms alone: median of 5 requests one at a time. "
        "Errors are non-2xx/3xx responses plus socket errors over every run (each URL was also checked to answer 200 "
        "before loading it; the web process's logs are the tremplin-bench-*.log files of the temporary folder). "
        "SQL statements and round trips (statements + the BEGIN and COMMIT/ROLLBACK actually sent + the one-statement "
        "ping of each connection checkout) "
        "come from the X-Query-Count / X-Query-Roundtrips headers (BENCH_QUERY_COUNT=1) at scale 1."),
        "",
        "## SQL per request as the data grows (scale 0.1 → 1)",
        "",
        "| page | statements at 0.1 | at 1 | round trips at 0.1 | at 1 | constant |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for target in pages:
        small_q, big_q = data["queries_small"][target.name], data["queries"][target.name]
        same = small_q[0] == big_q[0] and small_q[1] == big_q[1]
        if not same:
            missed.append(f"{target.name}: SQL statements {small_q[0]} at 0.1, {big_q[0]} at 1")
        lines.append(f"| {target.name} | {small_q[0]} | {big_q[0]} | {small_q[1]} | {big_q[1]} | {verdict(same)} |")
    ranking_ms, ranking_max = data["ranking"]
    rss = data["rss"]
    if ranking_ms >= RANKING_TARGET_MS:
        missed.append(f"compute_ranking of the big round: {ranking_ms:.0f} ms (target < {RANKING_TARGET_MS:.0f} ms)")
    if rss >= RSS_TARGET_MB:
        missed.append(f"peak RSS of the web process: {rss:.0f} MB (target < {RSS_TARGET_MB:.0f} MB)")
    lines += [
        "",
        "## Other targets",
        "",
        (f"- compute_ranking of the big round ({data['counts']['screenings']:,} entries, "
        f"{data['counts']['scores']:,} scores), method auto, in process: median {ranking_ms:.0f} ms, max {ranking_max:.0f} ms "
        f"(target < {RANKING_TARGET_MS:.0f} ms): {verdict(ranking_ms < RANKING_TARGET_MS)}"),
        (f"- peak RSS (VmHWM) of the web process after every run above: {rss:.0f} MB (target < {RSS_TARGET_MB:.0f} MB): "
        f"{verdict(rss < RSS_TARGET_MB)}"),
        "",
    ]
    if data.get("compare"):
        lines += [
            "## Production server: uvicorn (uvloop + httptools) or granian",
            "",
            (f"Same pages, same process pinning, 64 connections, {data['runs']} interleaved runs of {data['duration']:g} s; "
            "each server's ratio is to its own floor."),
            "",
            "| page | uvicorn req/s | granian req/s | uvicorn × floor | granian × floor | uvicorn p99 ms | granian p99 ms | granian peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        uvi, gra = data["compare"]["uvicorn"], data["compare"]["granian"]
        uvi_floor, gra_floor = median(uvi["floor (fortunes)"], "rps"), median(gra["floor (fortunes)"], "rps")
        for name in uvi:
            lines.append(
                f"| {name} | {median(uvi[name], 'rps'):,.0f} | {median(gra[name], 'rps'):,.0f} | "
                f"{median(uvi[name], 'rps') / uvi_floor:.2f} | {median(gra[name], 'rps') / gra_floor:.2f} | "
                f"{median(uvi[name], 'p99_ms'):.1f} | {median(gra[name], 'p99_ms'):.1f} |"
            )
        lines += ["", (f"Peak RSS after these pages: uvicorn {data['compare']['uvicorn_rss']:.0f} MB, granian "
                  f"{data['compare']['granian_rss']:.0f} MB (granian's worker process)."), ""]
    lines += ["## Targets missed", ""]
    lines += [f"- {item}" for item in missed] or ["- none"]
    lines.append("")
    previous = out.read_text() if out.exists() else ""
    analysis = previous.split(ANALYSIS_MARK, 1)[1] if ANALYSIS_MARK in previous else "\n## Analysis\n\n(to be written)\n"
    return "\n".join(lines) + "\n" + ANALYSIS_MARK + analysis


# --- main -----------------------------------------------------------------------------------------------


def measure_server(kind: str, env: dict[str, str], pages: list[Target], sessions: dict[str, Session], options: Any, low: bool) -> dict[str, Any]:
    with web_process(kind, env) as process:
        solo = {t.name: solo_ms(t, sessions) for t in pages}
        print(f"{kind}: ms alone: " + ", ".join(f"{name} {ms:.0f}" for name, ms in solo.items()), flush=True)
        print(f"{kind}: every URL answers 200; loading at 64 connections", flush=True)
        result: dict[str, Any] = {"solo": solo, "main": load(pages, sessions, 64, options.duration, options.runs, process.pid, solo)}
        if low:
            print(f"{kind}: loading at 8 connections", flush=True)
            result["low"] = load(pages, sessions, 8, max(2, round(options.duration * 0.6)), options.runs, process.pid, solo)
        result["rss"] = peak_rss_mb(process.pid)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per URL (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 run of 2 s per URL: to check the harness")
    parser.add_argument("--no-compare", action="store_true", help="skip the granian comparison")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    options = parser.parse_args()
    # Stopped from outside: leave through the context managers, which stop the web process.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    if options.quick:
        options.duration, options.runs = 2.0, 1
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing (make bench installs wrk with apt).", file=sys.stderr)
            return 2
    data: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                            "runs": options.runs, "duration": options.duration}  # fmt: skip
    with servers() as (admin_url, redis_url):
        url, small_url = with_database(admin_url, database_name(1)), with_database(admin_url, database_name(0.1))
        known, data["counts"], _scale = asyncio.run(known_objects(url))
        small_known, _counts, _scale = asyncio.run(known_objects(small_url))
        pages = data["pages"] = targets(known)
        roles = sorted({t.role for t in pages if t.role})

        print("SQL per request at scale 0.1 and 1 (BENCH_QUERY_COUNT=1)", flush=True)
        with web_process("uvicorn", server_env(small_url, redis_url, count_queries=True)):
            small_sessions = {role: sign_in(role) for role in roles}
            data["queries_small"] = query_counts(targets(small_known), small_sessions)
            data["queries_small"] = dict(zip([t.name for t in pages], data["queries_small"].values(), strict=True))
        with web_process("uvicorn", server_env(url, redis_url, count_queries=True)):
            sessions = {role: sign_in(role) for role in roles}
            data["queries"] = query_counts(pages, sessions)

        env = server_env(url, redis_url, count_queries=False)
        result = measure_server("uvicorn", env, pages, sessions, options, low=True)
        data.update(main=result["main"], low=result["low"], rss=result["rss"], solo=result["solo"])

        print("compute_ranking of the big round", flush=True)
        data["ranking"] = asyncio.run(time_ranking(url, known["big_round"]))

        if not options.no_compare and shutil.which(server_command("granian")[0]) is None:
            print("granian is not installed: no comparison (make bench installs it)", file=sys.stderr)
        elif not options.no_compare:
            few = [t for t in pages if t.name in ("floor (fortunes)", "catalogue, filter + search", "challenge page", "API challenges?q=", "htmx score autosave")]
            granian = measure_server("granian", env, few, sessions, options, low=False)
            uvicorn = measure_server("uvicorn", env, few, sessions, options, low=False)
            data["compare"] = {
                "uvicorn": uvicorn["main"], "granian": granian["main"], "granian_rss": granian["rss"], "uvicorn_rss": uvicorn["rss"],
            }

    text = report(data, options.out)
    options.out.write_text(text)
    print(text.split(ANALYSIS_MARK)[0])
    print(f"written to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
