"""The `tremplin` command, run as operators run it: in a subprocess, against the test servers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.db import make_session_maker
from app.notifications.models import MailMessage
from app.notifications.services import queue_mail
from app.platform import outbox
from app.platform.models import AuditEntry, OutboxJob
from tests.conftest import (
    ROOT,
    SECRET,
    _drop_database,
    _recreate_database,
    _with_database,
    run_async,
    worker_id,
)

pytestmark = pytest.mark.timeout(120)


def command_env(tmp_path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX")}
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT), SECRET_KEY=SECRET, LOG_LEVEL="WARNING", **values)
    return env


def tremplin(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def empty_database(servers) -> Iterator[str]:
    name = f"tremplin_cli_{worker_id()}"
    run_async(lambda: _recreate_database(servers["database"], name))
    yield _with_database(servers["database"], name)
    run_async(lambda: _drop_database(servers["database"], name))


@pytest.fixture
def real_sessions(engine):
    return make_session_maker(engine)


def test_serve_and_worker_refuse_to_start_without_external_servers(tmp_path):
    for command in ("serve", "worker"):
        result = tremplin(command_env(tmp_path), command)
        assert result.returncode == 2
        assert "set DATABASE_URL and REDIS_URL" in result.stderr and "tremplin run" in result.stderr
        assert "Traceback" not in result.stderr


def test_serve_refuses_an_unmigrated_database_and_says_how_to_migrate(tmp_path, empty_database, servers):
    result = tremplin(command_env(tmp_path, DATABASE_URL=empty_database, REDIS_URL=servers["redis"]), "serve")
    assert result.returncode == 2
    assert "needs" in result.stderr and "tremplin db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_commands_upgrade_report_and_downgrade(tmp_path, empty_database):
    env = command_env(tmp_path, DATABASE_URL=empty_database)
    assert "empty" in tremplin(env, "db", "current").stdout
    upgraded = tremplin(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" in tremplin(env, "db", "current").stdout
    assert tremplin(env, "db", "downgrade", "base").returncode == 0
    assert "empty" in tremplin(env, "db", "current").stdout


def test_unreachable_database_is_one_clear_message(tmp_path):
    result = tremplin(
        command_env(tmp_path, DATABASE_URL="postgresql://postgres:hunter2secret@127.0.0.1:1/none"),
        "db",
        "current",
    )
    assert result.returncode == 1
    assert "Cannot reach the database at postgresql://postgres:***@127.0.0.1:1/none" in result.stderr
    assert "hunter2secret" not in result.stderr
    assert "Traceback" not in result.stderr


async def test_create_admin_creates_a_verified_admin_then_promotes_an_existing_account(
    tmp_path, database_url, real_sessions
):
    env = command_env(tmp_path, DATABASE_URL=database_url)
    email = f"ops-{uuid.uuid4().hex[:8]}@example.org"
    member = f"member-{uuid.uuid4().hex[:8]}@example.org"
    try:
        created = await asyncio.to_thread(
            tremplin,
            env,
            "create-admin",
            "--email",
            email.upper(),
            "--name",
            "Ops",
            "--password-stdin",
            stdin="a long operator passphrase\n",
        )
        assert created.returncode == 0, created.stderr
        async with real_sessions() as session:
            user = await session.scalar(select(User).where(User.email == email))
            assert user.is_admin and user.email_verified_at is not None
            assert verify_password(user.password_hash, "a long operator passphrase")
            session.add(User(email=member, name="Member", password_hash="x"))
            await session.commit()

        promoted = await asyncio.to_thread(tremplin, env, "create-admin", "--email", member)
        assert promoted.returncode == 0 and "is now an admin" in promoted.stdout
        async with real_sessions() as session:
            assert (await session.scalar(select(User).where(User.email == member))).is_admin
            audited = await session.scalars(
                select(AuditEntry.details["email"].astext).where(AuditEntry.action == "user:grant_admin")
            )
            assert {email, member} <= set(audited)
    finally:
        async with real_sessions() as session:
            await session.execute(delete(User).where(User.email.in_([email, member])))
            await session.commit()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--email", "new@example.org", "--name", "New", "--password-stdin"), "short\n", "Password refused"),
        (("--email", "new@example.org", "--name", "New", "--password-stdin"), "password1234\n", "too common"),
        (
            ("--email", "not-an-address", "--name", "New", "--password-stdin"),
            "a long passphrase ok\n",
            "--email",
        ),
        (("--email", "nobody@example.org"), "", "give --name"),
        (("--email", "new@example.org", "--name", "New"), "", "--password-stdin"),
    ],
)
def test_create_admin_refuses_bad_input_with_exit_code_2(tmp_path, database_url, args, stdin, message):
    result = tremplin(command_env(tmp_path, DATABASE_URL=database_url), "create-admin", *args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


async def test_worker_process_runs_queued_jobs_and_stops_on_sigterm(tmp_path, settings, real_sessions, redis):
    env = command_env(
        tmp_path,
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        REDIS_PREFIX=settings.redis_prefix,
    )
    worker = subprocess.Popen(  # noqa: ASYNC220 (a process that runs beside the test, not awaited)
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    key = f"cli-worker-{uuid.uuid4()}"
    try:
        async with real_sessions() as session:
            session.info["arq"] = redis
            await queue_mail(session, to="ops@example.org", subject="Hello", body="Body", key=key)
            await session.commit()
            await outbox.dispatch_pending(session)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with real_sessions() as session:
                sent_at = await session.scalar(
                    select(MailMessage.sent_at).where(MailMessage.idempotency_key == key)
                )
            if sent_at is not None:
                break
            assert worker.poll() is None, worker.stdout.read().decode()
            await asyncio.sleep(0.2)
        assert sent_at is not None, "the worker did not send the mail"
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        async with real_sessions() as session:
            mail_id = await session.scalar(select(MailMessage.id).where(MailMessage.idempotency_key == key))
            await session.execute(delete(OutboxJob).where(OutboxJob.args["mail_id"].astext == str(mail_id)))
            await session.execute(delete(MailMessage).where(MailMessage.idempotency_key == key))
            await session.commit()


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    for command in ("run", "serve", "worker", "db", "create-admin", "demo"):
        assert command in result.stdout


def test_litestar_cli_discovers_the_app_factory(tmp_path, database_url, servers):
    env = command_env(tmp_path, DATABASE_URL=database_url, REDIS_URL=servers["redis"])
    result = subprocess.run(
        [sys.executable, "-m", "litestar", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "/health" in result.stdout and "/login" in result.stdout
