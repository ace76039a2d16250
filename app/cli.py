"""The `tremplin` command for operators: run, serve, worker, db, create-admin, demo, backup and restore.

Exit codes: 0 done, 1 something failed while running (a server would not start, the database is
unreachable), 2 the configuration or the command line needs fixing (the message says how).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.platform.operations import (
    SIGNALS,
    CommandError,
    Stopped,
    database_revision,
    migrate,
    require_external,
    require_migrated,
    services,
    with_session,
)
from app.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.models import User

SERVER_COMMANDS = ("run", "serve", "worker")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    SIGNALS.install()
    try:
        args.handler(args, load_settings())
    except CommandError as exc:
        print(f"tremplin: {exc}", file=sys.stderr)
        return exc.code
    except Stopped as stopped:
        return 0 if args.command in SERVER_COMMANDS else 128 + stopped.signum
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tremplin", description="Run and operate Tremplin.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="migrate, load the demo once and serve, with embedded services by default"
    )
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default: PORT, or 8000)")
    run.add_argument(
        "--no-demo", action="store_true", help="do not load the demo data into an empty database"
    )
    run.set_defaults(handler=command_run)

    serve = commands.add_parser("serve", help="serve the web app only, with external PostgreSQL and Redis")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")  # noqa: S104 (production)
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, or 8000)")
    serve.add_argument("--workers", type=int, help="web processes (default: WEB_CONCURRENCY, or 2)")
    serve.set_defaults(handler=command_serve)

    worker = commands.add_parser("worker", help="run background jobs in this process, until SIGTERM")
    worker.set_defaults(handler=command_worker)

    db = commands.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", required=True
    )
    upgrade = db.add_parser("upgrade", help="migrate to the latest revision (or to REVISION)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=command_db_upgrade)
    downgrade = db.add_parser("downgrade", help="migrate back to REVISION ('base' empties the database)")
    downgrade.add_argument("revision")
    downgrade.set_defaults(handler=command_db_downgrade)
    db.add_parser("current", help="show the database's revision").set_defaults(handler=command_db_current)

    admin = commands.add_parser(
        "create-admin", help="create an admin account, or make an existing account admin"
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", help="full name (needed when the account is created)")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(handler=command_create_admin)

    commands.add_parser("demo", help="load the demo data (adds only what is missing)").set_defaults(
        handler=command_demo
    )

    backup = commands.add_parser(
        "backup", help="write the database and the file store, with checksums, into a new archive"
    )
    backup.add_argument("destination", help="a new folder, or a file name ending in .tar")
    backup.add_argument(
        "--allow-missing-files",
        action="store_true",
        help="back up even if files the database refers to are already lost (listed in the manifest)",
    )
    backup.set_defaults(handler=command_backup)

    restore = commands.add_parser("restore", help="restore an archive into an empty installation")
    restore.add_argument("archive", help="a folder or .tar file written by `tremplin backup`")
    restore.set_defaults(handler=command_restore)
    return root


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise CommandError(
            str(exc) + "\nFix the environment variables above and start again.", code=2
        ) from None


# --- commands ---------------------------------------------------------------------------------------


def command_run(args: argparse.Namespace, settings: Settings) -> None:
    """The single-machine way: embedded services unless configured, migrate, demo once, serve."""
    import uvicorn

    from app.main import create_app

    port = args.port or settings.port
    if not os.environ.get("BASE_URL", "").strip():
        # On one's own machine, http://localhost:PORT works as well as the printed address.
        settings = settings.replace(
            base_url=f"http://{_url_host(args.host)}:{port}",
            allowed_hosts=(*settings.allowed_hosts, "localhost"),
        )
    embedded = settings.database_url is None or settings.redis_url is None
    with services(settings, redis=True) as settings:
        print(f"Database migrated (revision {migrate(settings, 'head')}).")
        demo_state = asyncio.run(with_session(settings, _prepare_demo, settings, not args.no_demo))
        _print_banner(settings, embedded, demo_state)
        uvicorn.run(create_app(settings), **_uvicorn_options(args.host, port), timeout_graceful_shutdown=10)


def command_serve(args: argparse.Namespace, settings: Settings) -> None:
    """Production web processes: external servers, a migrated database, several workers."""
    import uvicorn

    from app.platform.logs import configure_logging

    require_external(settings, "serve")
    workers = args.workers or _default_workers()
    configure_logging(settings.log_level)
    asyncio.run(require_migrated(settings))
    _warn_unset(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        workers=workers,
        timeout_graceful_shutdown=30,
        **_uvicorn_options(args.host, args.port or settings.port),
    )


def _warn_unset(settings: Settings) -> None:
    """Defaults made for one machine that production usually wants set."""
    if not os.environ.get("SECRET_KEY", "").strip():
        print(
            f"tremplin: SECRET_KEY is not set; using the key kept in {settings.data_dir / 'secret_key'}. "
            "Set SECRET_KEY when several machines serve Tremplin.",
            file=sys.stderr,
        )
    if not os.environ.get("BASE_URL", "").strip():
        print(
            f"tremplin: BASE_URL is not set; links in e-mails and the allowed host use {settings.base_url}.",
            file=sys.stderr,
        )


def _default_workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip() or "2"
    if not raw.isdigit() or int(raw) < 1:
        raise CommandError(f"WEB_CONCURRENCY must be a whole number of at least 1 (got {raw!r}).", code=2)
    return int(raw)


def command_worker(args: argparse.Namespace, settings: Settings) -> None:
    """A separate job process; as many as needed, beside any number of web processes."""
    from app.platform.logs import configure_logging
    from app.worker import run_worker

    require_external(settings, "worker")
    configure_logging(settings.log_level)
    asyncio.run(require_migrated(settings))
    asyncio.run(run_worker(settings))


def command_db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    with services(settings, redis=False) as settings:
        print(f"Database migrated (revision {migrate(settings, args.revision)}).")


def command_db_downgrade(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.migrations import downgrade

    with services(settings, redis=False) as settings:
        assert settings.database_url
        downgrade(settings.database_url, args.revision)
        print(f"Database downgraded to {args.revision}.")


def command_db_current(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.migrations import head_revision

    with services(settings, redis=False) as settings:
        current = asyncio.run(database_revision(settings))
    head = head_revision()
    state = "up to date" if current == head else "run `tremplin db upgrade`"
    print(f"Database revision: {current or 'empty'} (latest: {head}; {state}).")


def command_create_admin(args: argparse.Namespace, settings: Settings) -> None:
    """Promote the account with this e-mail, or create it (then --name and a password are needed)."""
    email = args.email.strip().lower()
    name = (args.name or "").strip()
    if args.name is not None and not 1 <= len(name) <= 120:
        raise CommandError("--name must have between 1 and 120 characters.", code=2)
    with services(settings, redis=False) as settings:
        asyncio.run(require_migrated(settings))
        if asyncio.run(with_session(settings, _find_user, email)) is not None:
            print(asyncio.run(with_session(settings, _promote, email)))
            return
        if not name:
            raise CommandError(f"No account has the e-mail {email}: give --name to create it.", code=2)
        email = _valid_email(email)
        # Asked outside any transaction: a slow typist must not hit idle_in_transaction_session_timeout.
        password = _read_password(email, name, args.password_stdin)
        print(asyncio.run(with_session(settings, _create, settings, email, name, password)))


def command_demo(args: argparse.Namespace, settings: Settings) -> None:
    from app import demo

    with services(settings, redis=False) as settings:
        asyncio.run(require_migrated(settings))
        result = asyncio.run(with_session(settings, demo.load_demo, settings))
    if result.created:
        print(
            f"Demo loaded: {result.organizations} organizations, {result.people} people, "
            f"{result.memberships} memberships, {result.programs} programs, {result.challenges} challenges, "
            f"{result.registrations} registrations, {result.teams} teams, {result.submissions} submissions, "
            f"{result.judged_rounds} judged rounds, {result.datasets} datasets added."
        )
    else:
        print("The demo data is already there; nothing added.")
    _print_accounts()


def command_backup(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.backup import create_backup

    destination = Path(args.destination).expanduser()
    with services(settings, redis=False) as settings:
        try:
            summary = asyncio.run(
                create_backup(settings, destination, allow_missing_files=args.allow_missing_files)
            )
        except OSError as exc:  # a full disk, a folder we may not write to
            raise CommandError(f"The backup failed, and nothing was kept: {exc}") from exc
    print(f"Backup written to {summary.path}: {summary.describe()}.")
    missing = summary.manifest["missing_files"]
    if missing:
        print(f"{len(missing)} file(s) the database refers to were already lost: see manifest.json.")


def command_restore(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.migrations import head_revision
    from app.platform.restore import restore_backup

    with services(settings, redis=False) as settings:
        try:
            summary = asyncio.run(restore_backup(settings, Path(args.archive).expanduser()))
        except OSError as exc:
            raise CommandError(f"The restore failed: {exc}") from exc
    manifest = summary.manifest
    print(
        f"Restored {summary.path} (Tremplin {manifest['app_version']}, {manifest['created_at']}): "
        f"{summary.describe()}. Row counts and checksums match the manifest."
    )
    if manifest["alembic_revision"] != head_revision():
        print("The database is older than this version of Tremplin: run `tremplin db upgrade`.")


# --- demo and admin ---------------------------------------------------------------------------------


async def _prepare_demo(session: AsyncSession, settings: Settings, load: bool) -> str:
    """Load the demo into an empty database: "loaded" now, already "present", or "absent"."""
    from app import demo

    if load and not await demo.has_users(session):
        await demo.load_demo(session, settings)
        return "loaded"
    return "present" if await demo.accounts_present(session) else "absent"


async def _find_user(session: AsyncSession, email: str) -> User | None:
    from sqlalchemy import func, select

    from app.accounts.models import User

    return await session.scalar(select(User).where(func.lower(User.email) == email))


async def _promote(session: AsyncSession, email: str) -> str:
    from app.platform import audit

    user = await _find_user(session, email)
    assert user is not None
    if user.is_admin:
        return f"{email} is already an admin."
    user.is_admin = True
    details = {"email": email, "via": "command line"}
    await audit.record(session, None, "user:grant_admin", "user", user.id, details)
    return f"{email} is now an admin (password unchanged)."


async def _create(session: AsyncSession, settings: Settings, email: str, name: str, password: str) -> str:
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.db import utcnow
    from app.platform import audit

    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        locale=settings.default_locale,
        email_verified_at=utcnow(),
        is_admin=True,
    )
    session.add(user)
    await session.flush()
    details = {"email": email, "via": "command line", "created": True}
    await audit.record(session, None, "user:grant_admin", "user", user.id, details)
    return f"Admin account created for {email}. Sign in at {settings.base_url}/login."


def _read_password(email: str, name: str, from_stdin: bool) -> str:
    from app.accounts.passwords import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise CommandError("The two passwords differ.", code=2)
    else:
        raise CommandError("No terminal to ask for the password: pipe it in with --password-stdin.", code=2)
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise CommandError(f"Password refused: {problem}", code=2)
    return password


def _valid_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise CommandError(f"--email: {exc}", code=2) from None


# --- output -----------------------------------------------------------------------------------------


def _print_banner(settings: Settings, embedded: bool, demo_state: str) -> None:
    if demo_state == "loaded":
        print("Demo data loaded.")
    print(f"\nTremplin is starting at {settings.base_url}")
    if embedded:
        print(f"Embedded PostgreSQL and Redis keep their data in {settings.data_dir.resolve()}")
    if demo_state != "absent":
        _print_accounts()
    print("Press Ctrl-C to stop.\n", flush=True)


def _print_accounts() -> None:
    from app import demo
    from app.challenges import demo as challenge_demo

    print(f"Demo accounts (password: {demo.DEMO_PASSWORD}):")
    for email, role, locale in demo.accounts_summary():
        print(f"  {email:<32} {role:<10} {locale}")
    print(
        f"Demo program: {challenge_demo.PROGRAM.title}, with challenges in every phase at /challenges",
        flush=True,
    )


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (recognizes it, binds nothing)
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _uvicorn_options(host: str, port: int) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        # Logging is ours (structured, with request ids); uvicorn's records flow into it.
        "log_config": None,
        # Forwarded-for headers are trusted by the app from TRUSTED_PROXIES only, never by uvicorn.
        "proxy_headers": False,
        "server_header": False,
    }


if __name__ == "__main__":
    sys.exit(main())
