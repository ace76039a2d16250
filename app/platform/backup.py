"""`tremplin backup`: the database and the file store of an installation in one archive, with a manifest.

An archive is a folder, or the same folder in one `.tar` file:

    manifest.json   app version, Alembic revision, time, row counts per table, size and SHA-256 of the
                    dump and of every file
    database.dump   pg_dump --format=custom of the database
    files/<key>     every object of the file store (local folder or S3 bucket), under its storage key

Consistency without stopping the platform: the row counts, the list of files the database refers to
and pg_dump all read one snapshot (exported by a repeatable-read transaction held open until pg_dump
ends); the files are copied *after* it. Files are write-once, and a row naming a file is committed only
once the file is complete, so every file the snapshot refers to exists before copying starts: the
restored installation never has a row without its file. Files that arrive during the copy come along
unreferenced, harmless like the leftovers of an interrupted upload. Each referenced file is checked
against its copy (present, and the same SHA-256 when the row keeps one).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import shutil
import tarfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from app.platform import pgtools
from app.platform.operations import CommandError

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]

    from app.platform.storage import Storage
    from app.settings import Settings

FORMAT = "tremplin-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
CHUNK = 1024 * 1024
SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema')"


@dataclasses.dataclass(frozen=True)
class Reference:
    """A file the database refers to, with the checksum its row keeps (None when it keeps none)."""

    table: str
    key: str
    sha256: str | None


@dataclasses.dataclass
class Summary:
    path: Path
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())

    @property
    def file_bytes(self) -> int:
        return sum(entry["size"] for entry in self.manifest["files"])

    def describe(self) -> str:
        manifest = self.manifest
        return (
            f"database at revision {manifest['alembic_revision']}: {self.rows} rows in "
            f"{len(manifest['tables'])} tables (dump {_size(manifest['database']['size'])}); "
            f"{len(manifest['files'])} files ({_size(self.file_bytes)})"
        )


# --- backup -----------------------------------------------------------------------------------------


async def create_backup(
    settings: Settings, destination: Path, *, allow_missing_files: bool = False
) -> Summary:
    """Write a new archive at `destination` (a folder, or a `.tar` file); never into anything non-empty.

    The archive is assembled in a hidden folder beside the destination and moved there once complete,
    so a failed backup leaves nothing that could be mistaken for one."""
    from app.platform.storage import storage_from_url

    _check_destination(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    work = destination.parent / f".{destination.name}.partial-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        database, counts, references = await _dump(settings, work / DUMP)
        storage = storage_from_url(settings.storage_url, settings.data_dir)
        files = await _copy_out(storage, work)
        missing = _check_references(references, files, allow_missing_files)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": app_version(),
            "alembic_revision": database.pop("alembic_revision"),
            "created_at": _now(),
            "database": database,
            "storage": type(storage).__name__,
            "tables": counts,
            "files": [files[key] for key in sorted(files)],
            "missing_files": missing,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _finish(work, destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Summary(destination, manifest)


def _check_destination(destination: Path) -> None:
    if destination.is_dir() and not destination.name.endswith(".tar"):
        if any(destination.iterdir()):
            raise CommandError(
                f"{destination} is a folder that is not empty: give a new folder (or .tar file); "
                "a backup never writes into an existing one.",
                code=2,
            )
    elif destination.exists():
        raise CommandError(
            f"{destination} already exists: give a new name; a backup never overwrites.", code=2
        )


def _finish(work: Path, destination: Path) -> None:
    if destination.name.endswith(".tar"):
        partial = destination.with_name(destination.name + ".part")
        try:
            with tarfile.open(partial, "w") as archive:
                for entry in sorted(work.iterdir()):
                    archive.add(entry, arcname=entry.name)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        return
    if destination.is_dir():
        destination.rmdir()  # checked empty above
    work.replace(destination)


async def _dump(
    settings: Settings, dump_path: Path
) -> tuple[dict[str, Any], dict[str, int], list[Reference]]:
    """pg_dump, row counts and referenced files, all from one snapshot of the database."""
    assert settings.database_url
    connection = await connect(settings.database_url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            # pg_dump may take long; the snapshot it imports must outlive it, whatever the server's defaults.
            await connection.execute(
                "SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL statement_timeout = 0"
            )
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            revision = await alembic_revision(connection)
            if revision is None:
                raise CommandError(
                    "The database has no Tremplin tables (never migrated): nothing to back up."
                )
            counts = await count_rows(connection)
            references = await _references(connection)
            major, version = await server_version(connection)
            pg_dump = pgtools.find("pg_dump", major)
            options, env = pgtools.connection(settings.database_url)
            await pgtools.run(
                pg_dump, ["--format=custom", f"--snapshot={snapshot}", f"--file={dump_path}", *options], env
            )
    finally:
        await connection.close()
    size, sha256 = checksum(dump_path)
    database = {
        "file": DUMP,
        "size": size,
        "sha256": sha256,
        "server_version": version,
        "pg_dump": (await pgtools.run(pg_dump, ["--version"])).strip(),
        "alembic_revision": revision,
    }
    return database, counts, references


def _file_columns() -> list[tuple[str, str, str | None]]:
    """(table, key column, checksum column) of every table whose rows name a stored object."""
    from app.data_sharing.models import DatasetFile
    from app.judging.models import JudgingJob
    from app.teams.models import StoredFile

    return [
        (StoredFile.__tablename__, "storage_key", "sha256"),
        (DatasetFile.__tablename__, "storage_key", "sha256"),
        (JudgingJob.__tablename__, "result_key", None),
    ]


async def _references(connection: asyncpg.Connection) -> list[Reference]:
    references: list[Reference] = []
    for table, key, sha256 in _file_columns():
        # A database at an older revision may not have every table yet.
        if await connection.fetchval("SELECT to_regclass($1)", table) is None:
            continue
        rows = await connection.fetch(
            f"SELECT {key} AS key, {sha256 or 'NULL'} AS sha256 FROM {table} WHERE {key} IS NOT NULL"  # noqa: S608 (names from the models)
        )
        references.extend(Reference(table, row["key"], row["sha256"]) for row in rows)
    return references


async def _copy_out(storage: Storage, work: Path) -> dict[str, dict[str, Any]]:
    """Every object of the store into `work/files`, with its size and SHA-256, by key."""
    files: dict[str, dict[str, Any]] = {}
    async for key in storage.iter_keys():
        target = archive_path(work, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with target.open("wb") as out:
            async for chunk in storage.read(key):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        files[key] = {"key": key, "size": size, "sha256": digest.hexdigest()}
    return files


def _check_references(
    references: list[Reference], files: dict[str, dict[str, Any]], allow_missing: bool
) -> list[str]:
    """Keys the database names but the store lacks (only when allowed); differing content always fails."""
    missing, differing = [], []
    for reference in references:
        copied = files.get(reference.key)
        if copied is None:
            missing.append(reference.key)
        elif reference.sha256 is not None and copied["sha256"] != reference.sha256:
            differing.append(reference.key)
    if differing:
        raise CommandError(
            f"{len(differing)} file(s) in the store differ from the checksum their row keeps, "
            f"e.g. {differing[0]}: the store was changed behind Tremplin's back. No backup written."
        )
    if missing and not allow_missing:
        raise CommandError(
            f"The database refers to {len(missing)} file(s) the store does not hold, e.g. {missing[0]}. "
            "They were lost before this backup (files are never deleted once referenced). No backup "
            "written; run again with --allow-missing-files to back up the rest and list them in the manifest."
        )
    return sorted(missing)


# --- shared with restore ----------------------------------------------------------------------------


async def connect(url: str) -> asyncpg.Connection:
    import asyncpg

    try:
        return await asyncpg.connect(pgtools.asyncpg_dsn(url), timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        from app.platform.operations import safe_url

        raise CommandError(f"Cannot reach the database at {safe_url(url)}: {exc}") from exc


async def server_version(connection: asyncpg.Connection) -> tuple[int, str]:
    number = int(await connection.fetchval("SHOW server_version_num"))
    return number // 10000, str(await connection.fetchval("SHOW server_version"))


async def alembic_revision(connection: asyncpg.Connection) -> str | None:
    if await connection.fetchval("SELECT to_regclass('alembic_version')") is None:
        return None
    return await connection.fetchval("SELECT version_num FROM alembic_version")


async def count_rows(connection: asyncpg.Connection) -> dict[str, int]:
    """Rows of every table outside the system schemas, as {"schema.table": count}."""
    tables = await connection.fetch(
        "SELECT schemaname, tablename FROM pg_tables "  # noqa: S608 (a constant)
        f"WHERE schemaname NOT IN {SYSTEM_SCHEMAS} ORDER BY schemaname, tablename"
    )
    counts = {}
    for row in tables:
        name = await connection.fetchval("SELECT format('%I.%I', $1::text, $2::text)", row[0], row[1])
        counts[f"{row[0]}.{row[1]}"] = await connection.fetchval(f"SELECT count(*) FROM {name}")  # noqa: S608 (quoted by format %I)
    return counts


def archive_path(folder: Path, key: str) -> Path:
    """Where the object `key` lives in an archive; CommandError for a key that would leave `files/`."""
    parts = PurePosixPath(key).parts
    if not parts or PurePosixPath(key).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise CommandError(f"Unsafe file name in the archive or store: {key!r}.")
    return folder.joinpath(FILES, *parts)


def checksum(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


async def read_file(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


@contextlib.contextmanager
def opened(source: Path) -> Iterator[Path]:
    """The archive's folder: `source` itself, or a `.tar` unpacked into a temporary folder."""
    import tempfile

    if source.is_dir():
        yield source
        return
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise CommandError(f"{source} is neither a backup folder nor a .tar backup.", code=2)
    with tempfile.TemporaryDirectory(prefix="tremplin-restore-") as folder:
        with tarfile.open(source) as archive:
            # The "data" filter refuses absolute paths, links out of the folder and special files.
            archive.extractall(folder, filter="data")
        yield Path(folder)


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tremplin")
    except PackageNotFoundError:
        return "unknown"


def _now() -> str:
    from app.db import utcnow

    return utcnow().isoformat(timespec="seconds")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
