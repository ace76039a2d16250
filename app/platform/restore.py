"""`tremplin restore`: an archive of `tremplin backup` into an empty installation, checked before and after.

Nothing is written until the whole archive matches its manifest (the dump's and every file's size and
SHA-256, no file missing or added), the Alembic revision is one this version knows, this pg_restore
reads the dump, and both the target database and the file store are empty. Then the files go in
first and the database second, in one transaction (pg_restore --single-transaction): a restore that
fails half-way may leave files nobody refers to, never a row without its file. Last, the row counts
of every table are compared with the manifest's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.platform import pgtools
from app.platform.backup import (
    DUMP,
    FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SYSTEM_SCHEMAS,
    Summary,
    archive_path,
    checksum,
    connect,
    count_rows,
    opened,
    read_file,
    server_version,
)
from app.platform.operations import CommandError

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]

    from app.platform.storage import Storage
    from app.settings import Settings

# Problems listed in full before "and N more".
SHOWN_PROBLEMS = 10


async def restore_backup(settings: Settings, source: Path) -> Summary:
    """Restore the archive at `source` (folder or .tar) into the configured, empty, installation."""
    from app.platform.storage import storage_from_url

    assert settings.database_url
    with opened(source) as folder:
        manifest = read_manifest(folder)
        verify(folder, manifest)
        _check_revision(manifest["alembic_revision"])
        storage = storage_from_url(settings.storage_url, settings.data_dir)
        connection = await connect(settings.database_url)
        try:
            await _require_empty(connection, storage, settings)
            major, _ = await server_version(connection)
            pg_restore = pgtools.find("pg_restore", major)
            await _check_readable(pg_restore, folder / DUMP, manifest["database"])
            await _copy_in(storage, folder, manifest["files"])
            await _restore_dump(pg_restore, folder / DUMP, settings.database_url)
            counts = await count_rows(connection)
        finally:
            await connection.close()
    _compare_counts(manifest["tables"], counts)
    return Summary(source, manifest)


async def _restore_dump(pg_restore: Path, dump: Path, database_url: str) -> None:
    """All of the dump or nothing: one transaction, stopped at the first error."""
    options, env = pgtools.connection(database_url)
    arguments = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *options]
    try:
        await pgtools.run(pg_restore, [*arguments, str(dump)], env)
    except CommandError as exc:
        raise CommandError(
            f"{exc}\nThe database was left empty, but the files are already in the store: "
            "empty it before trying again."
        ) from exc


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"{folder} holds no readable {MANIFEST}: not a Tremplin backup ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CommandError(f"{folder / MANIFEST} is not the manifest of a Tremplin backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CommandError(
            f"This backup has format version {manifest.get('format_version')!r}; this version of Tremplin "
            f"reads version {FORMAT_VERSION}. Restore it with the version that made it "
            f"({manifest.get('app_version')!r})."
        )
    try:
        _check_shape(manifest)
    except (KeyError, TypeError, ValueError) as exc:
        raise CommandError(f"{folder / MANIFEST} is incomplete or malformed ({exc!r}).") from exc
    return manifest


def _check_shape(manifest: dict[str, Any]) -> None:
    if not isinstance(manifest["alembic_revision"], str):
        raise TypeError("alembic_revision")
    database = manifest["database"]
    if not (isinstance(database["size"], int) and isinstance(database["sha256"], str)):
        raise TypeError("database")
    if not all(isinstance(name, str) and isinstance(n, int) for name, n in manifest["tables"].items()):
        raise TypeError("tables")
    for entry in manifest["files"]:
        if not (
            isinstance(entry["key"], str)
            and isinstance(entry["size"], int)
            and isinstance(entry["sha256"], str)
        ):
            raise TypeError("files")


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every checksum and size against the manifest, and no file added or missing; CommandError listing
    what differs."""
    problems = []
    expected = {DUMP: manifest["database"]}
    for entry in manifest["files"]:
        expected[archive_path(folder, entry["key"]).relative_to(folder).as_posix()] = entry
    for name, entry in expected.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        size, sha256 = checksum(path)
        if (size, sha256) != (entry["size"], entry["sha256"]):
            problems.append(
                f"{name}: {size} bytes, SHA-256 {sha256}; the manifest says {entry['size']} bytes, "
                f"SHA-256 {entry['sha256']}"
            )
    if (folder / FILES).is_dir():
        for path in sorted((folder / FILES).rglob("*")):
            if path.is_file() and path.relative_to(folder).as_posix() not in expected:
                problems.append(f"{path.relative_to(folder).as_posix()}: not in the manifest")
    if problems:
        shown = "\n".join(f"  - {problem}" for problem in problems[:SHOWN_PROBLEMS])
        more = f"\n  ... and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        raise CommandError(
            "The archive does not match its manifest (damaged or tampered with); nothing was restored:\n"
            f"{shown}{more}"
        )


async def _check_readable(pg_restore: Path, dump: Path, database: dict[str, Any]) -> None:
    """A dump made by a newer PostgreSQL than the target's is refused before anything is written."""
    try:
        await pgtools.run(pg_restore, ["--list", str(dump)])
    except CommandError as exc:
        raise CommandError(
            f"{exc}\nThe dump was made by {database.get('pg_dump', 'an unknown pg_dump')}; restore it into a "
            "PostgreSQL server of that major version or newer. Nothing was restored."
        ) from exc


def _check_revision(revision: str) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError as AlembicError

    from app.platform.migrations import alembic_config

    try:
        ScriptDirectory.from_config(alembic_config("")).get_revision(revision)
    except AlembicError:
        raise CommandError(
            f"The backup's database is at revision {revision}, which this version of Tremplin does not know "
            "(it was made by a newer version): restore it with that version."
        ) from None


async def _require_empty(connection: asyncpg.Connection, storage: Storage, settings: Settings) -> None:
    from app.platform.operations import safe_url

    assert settings.database_url
    user_schemas = f"n.nspname NOT IN {SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%'"
    objects = await connection.fetchval(
        "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "  # noqa: S608 (constants)
        f"        WHERE {user_schemas} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')) "
        "     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        f"        WHERE {user_schemas})"
    )
    if objects:
        raise CommandError(
            f"The database {safe_url(settings.database_url)} is not empty ({objects} tables, sequences or "
            "functions): restore only into a new, empty database. Nothing was restored.",
            code=2,
        )
    async for key in storage.iter_keys():
        raise CommandError(
            f"The file store is not empty (it holds {key}, for one): restore only into an empty one "
            f"({settings.storage_url or settings.data_dir / 'files'}). Nothing was restored.",
            code=2,
        )


async def _copy_in(storage: Storage, folder: Path, files: list[dict[str, Any]]) -> None:
    for entry in files:
        stored = await storage.put_stream(
            entry["key"], read_file(archive_path(folder, entry["key"])), max_bytes=entry["size"]
        )
        if stored.sha256 != entry["sha256"]:
            raise CommandError(f"{entry['key']} changed while it was being restored (SHA-256 differs).")


def _compare_counts(expected: dict[str, int], counts: dict[str, int]) -> None:
    differing = [
        f"  - {table}: {counts.get(table, 'no table')} rows, the manifest says {rows}"
        for table, rows in sorted(expected.items())
        if counts.get(table) != rows
    ]
    if differing:
        raise CommandError(
            "The restored database differs from the backup's row counts:\n" + "\n".join(differing)
        )
