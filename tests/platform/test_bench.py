"""The benchmark's seeder keeps working as the schema evolves, and its app aids (query counter, floor) work.

bench/seed.py is run at a tiny scale into a scratch database; the counts and relations the load run
relies on are checked, then the app is started on that database with BENCH_QUERY_COUNT and BENCH_FLOOR.
"""

from __future__ import annotations

import concurrent.futures
import re
import sys
import uuid
from typing import Any

import asyncpg
import pytest

from tests.conftest import ROOT, SECRET, _drop_database, _with_database, make_client, run_async, worker_id

sys.path.insert(0, str(ROOT / "bench"))

import seed as bench_seed
from common import PASSWORD, email

SCALE = 0.002


@pytest.fixture(scope="module")
def seeded(servers: dict[str, str]) -> Any:
    name = f"tremplin_bench_test_{worker_id()}"
    admin_url = bench_seed.plain(servers["database"])
    # seed() runs its own event loops: in a thread of its own, away from the tests' loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        counts = pool.submit(bench_seed.seed, admin_url, SCALE, name, True, True).result()
    url = _with_database(servers["database"], name).replace("postgresql+asyncpg://", "postgresql://", 1)
    yield url, counts
    run_async(lambda: _drop_database(servers["database"], name))


async def fetch(url: str, query: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def test_seed_writes_the_scaled_volumes(seeded):
    url, counts = seeded
    wanted = bench_seed.scaled(SCALE)
    for table in (
        "users",
        "organizations",
        "programs",
        "challenges",
        "teams",
        "grants",
        "access_log",
        "audit_log",
    ):
        assert counts[table] == wanted[table], table
    assert counts["screenings"] == wanted["entries"]
    assert counts["reviews"] == wanted["entries"] * bench_seed.JUDGES
    assert counts["scores"] == wanted["entries"] * bench_seed.JUDGES * bench_seed.CRITERIA
    assert wanted["entries"] < counts["submissions"] <= wanted["submissions"]
    real = run_async(
        lambda: fetch(
            url, "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM scores) AS scores"
        )
    )
    assert (real[0]["users"], real[0]["scores"]) == (counts["users"], counts["scores"])


def test_seed_relations_hold(seeded):
    url, _counts = seeded
    checks = {
        "team members without an approved registration": """
            SELECT count(*) FROM team_members m LEFT JOIN registrations r
              ON r.challenge_id = m.challenge_id AND r.user_id = m.user_id AND r.status = 'approved'
             WHERE r.id IS NULL""",
        "grant members outside their team": """
            SELECT count(*) FROM grant_members gm JOIN grants g ON g.id = gm.grant_id
             WHERE NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = g.team_id AND m.user_id = gm.user_id)""",
        "requests whose state does not follow their history": """
            SELECT count(*) FROM access_requests r
             WHERE r.state <> (SELECT e.to_state FROM access_request_events e WHERE e.request_id = r.id
                                ORDER BY e.seq DESC LIMIT 1)""",
        "finalized reviews without a total": "SELECT count(*) FROM reviews WHERE finalized_at IS NOT NULL AND total IS NULL",
        "entries not assigned to every judge": """
            SELECT count(*) FROM screenings s
             WHERE (SELECT count(*) FROM assignments a WHERE a.submission_id = s.submission_id) <> 5""",
    }
    for label, query in checks.items():
        assert run_async(lambda q=query: fetch(url, q))[0][0] == 0, label
    meta = run_async(lambda: fetch(url, "SELECT known FROM bench_meta"))[0]["known"]
    assert '"draft_answers"' in meta


def test_known_accounts_sign_in_with_the_bench_password(seeded):
    from app.accounts.passwords import verify_password

    url, _counts = seeded
    for role in ("admin", "founder", "judge", "captain", "steward"):
        rows = run_async(
            lambda r=role: fetch(url, "SELECT password_hash, is_admin FROM users WHERE email = $1", email(r))
        )
        assert rows and verify_password(rows[0]["password_hash"], PASSWORD), role
        assert rows[0]["is_admin"] == (role == "admin")


async def test_ranking_of_the_big_round_computes(seeded):
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.db import async_url, make_session_maker
    from app.judging.ranking import compute_ranking

    url, counts = seeded
    round_id = (await fetch(url, "SELECT round_id FROM judging_rounds"))[0]["round_id"]
    engine = create_async_engine(async_url(url))
    try:
        async with make_session_maker(engine)() as session:
            ranking = await compute_ranking(session, uuid.UUID(str(round_id)))
    finally:
        await engine.dispose()
    assert len(ranking.entries) == counts["screenings"]


async def test_query_counter_and_floor_only_when_enabled(seeded, servers):
    from app.main import create_app
    from app.platform.bench import close_floor
    from app.settings import Settings

    url, _counts = seeded
    base = Settings(database_url=url, redis_url=servers["redis"], secret_key=SECRET, base_url="http://testserver.local",
                    redis_prefix=f"test-bench-{worker_id()}")  # fmt: skip
    for enabled in (True, False):
        app = create_app(base.replace(bench_query_count=enabled, bench_floor=enabled))
        await app.state.services.start()
        try:
            async with make_client(app) as client:
                page = await client.get("/challenges")
                floor = await client.get("/bench/floor")
                login = await client.get("/login")
                token = re.search(r'name="_csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
                signed = await client.post(
                    "/login", data={"email": email("captain"), "password": PASSWORD, "_csrf": token}
                )
                assert signed.status_code == 303
                floor_signed_in = await client.get("/bench/floor")
        finally:
            await close_floor(app)
            await app.state.services.stop()
        assert page.status_code == 200
        if enabled:
            assert int(page.headers["x-query-count"]) >= 1
            assert int(page.headers["x-query-roundtrips"]) > int(page.headers["x-query-count"])
            assert floor.status_code == 200
            assert floor.text.count("<tr>") == 14  # header, 12 fortunes, the one added at request time
            assert "&lt;script&gt;" in floor.text
            # Signed in: the session lookup (a plain-row read, no BEGIN/COMMIT sent) and the pool's pre-ping.
            assert (
                floor_signed_in.headers["x-query-count"],
                floor_signed_in.headers["x-query-roundtrips"],
            ) == ("1", "2")
        else:
            assert "x-query-count" not in page.headers
            assert floor.status_code == 404


def test_report_compares_with_the_floor_and_lists_missed_targets(tmp_path):
    import run as bench_run

    known = {"big_round": str(uuid.uuid4()), "judge_entry": str(uuid.uuid4()), "judge_criterion": str(uuid.uuid4()),
             "captain_team": str(uuid.uuid4()), "draft_team": str(uuid.uuid4()), "draft_round": str(uuid.uuid4()),
             "draft_answers": {"summary": "x"}}  # fmt: skip
    pages = bench_run.targets(known)
    fast = {
        t.name: [bench_run.Sample(1000.0 if t.kind == "floor" else 400.0, 2.0, 9.0, 0, 5000, 64)] * 3
        for t in pages
    }
    slow_page = "ranking (big round)"
    fast[slow_page] = [bench_run.Sample(50.0, 900.0, 1500.0, 2, 250, 64)] * 3
    counts = {"users": 1, "challenges": 1, "teams": 1, "submissions": 1, "scores": 80, "grants": 1, "access_log": 1,
              "audit_log": 1, "screenings": 2}  # fmt: skip
    queries = {t.name: (3, 6, 100) for t in pages}
    data = {
        "date": "today", "machine": {"CPU": "test", "load average at start": "0.18 1.39 2.88"}, "runs": 3, "duration": 5.0, "pages": pages, "main": fast, "low": fast,
        "solo": {t.name: 1.0 for t in pages}, "queries": queries, "queries_small": {**queries, slow_page: (2, 5, 90)},
        "ranking": (40.0, 60.0), "rss": 150.0, "counts": counts,
        "compare": {"uvicorn": fast, "granian": fast, "uvicorn_rss": 150.0, "granian_rss": 140.0},
    }  # fmt: skip
    out = tmp_path / "RESULTS.md"
    out.write_text("old table\n" + bench_run.ANALYSIS_MARK + "\n## Analysis\n\nhand-written\n")
    text = bench_run.report(data, out)
    missed = text.split("## Targets missed")[1]
    assert f"{slow_page}: 0.05× the floor (target 0.15×)" in missed
    assert f"{slow_page}: 12 errors" in missed
    assert f"{slow_page}: p99 1500 ms at 8 connections" in missed
    assert f"{slow_page}: SQL statements 2 at 0.1, 3 at 1" in missed
    assert "catalogue, filter + search" not in missed  # 0.40× the floor, no errors, p99 9 ms
    assert "compute_ranking" not in missed and "peak RSS" not in missed
    assert text.endswith("hand-written\n") and "old table" not in text
    assert "Taken on a quiet machine" in text
    data["machine"]["load average at start"] = "6.50 5.00 4.00"
    assert "**These figures were taken on a loaded machine**" in bench_run.report(data, out)
