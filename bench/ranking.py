"""Benchmark of a large round's ranking: 2,000 entries x 5 judges x 8 criteria (80,000 scores).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/ranking.py [--runs 15] [--keep]

Creates a scratch database next to DATABASE_URL's (tremplin_bench_ranking), migrates it, seeds one round
with COPY (teams with a member each, organizations, a few declared conflicts so the conflict checks
have work to do), then times compute_ranking for every method and the alpha query over several runs,
printing the median and 95th percentile in milliseconds and the number of SQL statements per call.
The database is dropped at the end unless --keep. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import async_url, make_session_maker
from app.judging.agreement import round_agreement
from app.judging.ranking import compute_ranking
from app.platform.migrations import upgrade

sys.path.insert(0, str(ROOT / "bench"))
from common import plain, with_database

ENTRIES, JUDGES, CRITERIA, CONFLICTS = 2000, 5, 8, 50
DATABASE = "tremplin_bench_ranking"


async def recreate(admin_url: str, drop_only: bool = False) -> None:
    conn = await asyncpg.connect(plain(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


def rows_for_seed(now: dt.datetime) -> dict[str, Any]:
    """Every row to insert, as tuples per table, with ids made here (deterministic sizes)."""
    challenge, round_id = uuid.uuid4(), uuid.uuid4()
    judges = [uuid.uuid4() for _ in range(JUDGES)]
    captains = [uuid.uuid4() for _ in range(ENTRIES)]
    organizations = [uuid.uuid4() for _ in range(200 + JUDGES)]
    teams = [uuid.uuid4() for _ in range(ENTRIES)]
    entries = [uuid.uuid4() for _ in range(ENTRIES)]
    criteria = [uuid.uuid4() for _ in range(CRITERIA)]
    reviews, scores = [], []
    for position, entry in enumerate(entries):
        for judge_index, judge in enumerate(judges):
            review = uuid.uuid4()
            reviews.append((review, entry, judge, round_id, "", now, now))
            for index, criterion in enumerate(criteria):
                value = (position * 7 + judge_index * 3 + index * 5) % 11
                scores.append((review, criterion, value, "", now))
    return {
        "users": [(user, f"{user.hex}@bench.example.org", f"Person {user.hex[:6]}", "x") for user in judges + captains],
        "organizations": [(org, f"Org {org.hex[:8]}", f"org-{org.hex}", "startup", "FR") for org in organizations],
        "organization_members": [(organizations[200 + i], judge, "member") for i, judge in enumerate(judges)]
        + [(organizations[i % 200], captain, "member") for i, captain in enumerate(captains)],
        "challenge": (challenge, f"bench-{challenge.hex[:8]}", "Bench challenge", now),
        "round": (round_id, challenge, 1, "Round 1", now - dt.timedelta(days=10), now - dt.timedelta(days=1)),
        "criteria": [(c, round_id, i, f"Criterion {i + 1}", i + 1, 0, 10, 1) for i, c in enumerate(criteria)],
        "teams": [(team, challenge, f"Team {i:04d}", captains[i], 1) for i, team in enumerate(teams)],
        "team_members": [(team, captains[i], challenge, "captain") for i, team in enumerate(teams)],
        "submissions": [(entry, teams[i], round_id, "submitted", 1, now) for i, entry in enumerate(entries)],
        "screenings": [(entry, round_id, "eligible") for entry in entries],
        "judges": [(uuid.uuid4(), round_id, challenge, f"{j.hex}@bench.example.org", j, now) for j in judges],
        "conflicts": [(uuid.uuid4(), challenge, judges[i % JUDGES], teams[i * 37 % ENTRIES]) for i in range(CONFLICTS)],
        "reviews": reviews,
        "scores": scores,
        "round_id": round_id,
    }


COLUMNS = {
    "users": ("id", "email", "name", "password_hash"),
    "organizations": ("id", "name", "slug", "kind", "country"),
    "organization_members": ("organization_id", "user_id", "role"),
    "criteria": ("id", "round_id", "position", "name", "weight", "scale_min", "scale_max", "scale_step"),
    "teams": ("id", "challenge_id", "name", "captain_id", "member_count"),
    "team_members": ("team_id", "user_id", "challenge_id", "role"),
    "submissions": ("id", "team_id", "round_id", "status", "version", "submitted_at"),
    "screenings": ("submission_id", "round_id", "decision"),
    "judges": ("id", "round_id", "challenge_id", "email", "user_id", "accepted_at"),
    "conflicts": ("id", "challenge_id", "user_id", "team_id"),
    "reviews": ("id", "submission_id", "user_id", "round_id", "comment", "finalized_at", "updated_at"),
    "scores": ("review_id", "criterion_id", "value", "comment", "updated_at"),
}


async def seed(url: str) -> uuid.UUID:
    rows = rows_for_seed(dt.datetime.now(dt.UTC))
    conn = await asyncpg.connect(plain(url))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("users", records=rows["users"], columns=COLUMNS["users"])
            await conn.copy_records_to_table("organizations", records=rows["organizations"], columns=COLUMNS["organizations"])
            await conn.execute(
                "INSERT INTO challenges (id, slug, title, published_at) VALUES ($1, $2, $3, $4)", *rows["challenge"]
            )
            await conn.execute(
                "INSERT INTO rounds (id, challenge_id, position, name, opens_at, deadline) VALUES ($1, $2, $3, $4, $5, $6)",
                *rows["round"],
            )
            for table in (
                "organization_members", "criteria", "teams", "team_members", "submissions", "screenings", "judges",
                "conflicts", "reviews", "scores",
            ):
                await conn.copy_records_to_table(table, records=rows[table], columns=COLUMNS[table])
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return rows["round_id"]


async def timed(label: str, runs: int, call: Any, statements: list[str]) -> None:
    await call()  # warm-up: plans, caches, connection
    durations, counts = [], []
    for _ in range(runs):
        statements.clear()
        start = time.perf_counter()
        await call()
        durations.append((time.perf_counter() - start) * 1000)
        counts.append(len(statements))
    durations.sort()
    p95 = durations[min(len(durations) - 1, round(0.95 * (len(durations) - 1)))]
    print(
        f"{label:<28} median {statistics.median(durations):8.1f} ms   p95 {p95:8.1f} ms   "
        f"statements per call: {max(counts)}   runs: {runs}"
    )


async def measure(url: str, round_id: uuid.UUID, runs: int) -> None:
    engine = create_async_engine(async_url(url))
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    sessions = make_session_maker(engine)
    try:
        async with sessions() as session:
            ranking = await compute_ranking(session, round_id)
            print(f"round: {len(ranking.entries)} entries, {ranking.judges} judges, method chosen by auto: {ranking.method}")
            for method in ("auto", "mean", "median", "z"):
                await timed(f"compute_ranking({method})", runs, lambda m=method: compute_ranking(session, round_id, m), statements)
            await timed("round_agreement (alpha)", runs, lambda: round_agreement(session, round_id), statements)
            agreement = await round_agreement(session, round_id)
            print(f"alpha = {agreement.alpha:.3f} over {agreement.units} entries ({agreement.pairable} totals)")
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    options = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        print("Set DATABASE_URL to a PostgreSQL server where a scratch database may be created.", file=sys.stderr)
        return 2
    url = with_database(admin_url, DATABASE)
    asyncio.run(recreate(admin_url))
    try:
        upgrade(url)
        start = time.perf_counter()
        round_id = asyncio.run(seed(url))
        print(f"seeded {ENTRIES} entries x {JUDGES} judges x {CRITERIA} criteria "
              f"({ENTRIES * JUDGES * CRITERIA} scores) in {time.perf_counter() - start:.1f} s")
        asyncio.run(measure(url, round_id, options.runs))
    finally:
        if not options.keep:
            asyncio.run(recreate(admin_url, drop_only=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
