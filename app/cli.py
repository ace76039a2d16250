"""The `tremplin` command for operators: run, serve, worker, db, create-admin and demo.

Exit codes: 0 done, 1 something failed while running (a server would not start, the database is
unreachable), 2 the configuration or the command line needs fixing (the message says how).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from app.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.models import User

T = TypeVar("T")
SERVER_COMMANDS = ("run", "serve", "worker")


class CommandError(Exception):
    """A failure explained to the operator in one message, without a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Stopped(Exception):
    """SIGTERM or Ctrl-C: unwind through every `finally` so embedded servers are stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """Turns SIGTERM and SIGINT into `Stopped`, except while a server starts or stops (then it waits)."""

    def __init__(self) -> None:
        self.deferring = False
        self.pending: int | None = None

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: object) -> None:
        if self.deferring:
            self.pending = self.pending or signum
            return
        raise Stopped(signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Interrupting pgserver or redis-server half-way could leave a process nobody knows about."""
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending is not None:
            raise Stopped(self.pending)


SIGNALS = Signals()


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

    run = commands.add_parser("run", help="migrate, load the demo once and serve, with embedded services by default")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default: PORT, or 8000)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo data into an empty database")
    run.set_defaults(handler=command_run)

    serve = commands.add_parser("serve", help="serve the web app only, with external PostgreSQL and Redis")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, or 8000)")
    serve.add_argument("--workers", type=int, help="web processes (default: WEB_CONCURRENCY, or 2)")
    serve.set_defaults(handler=command_serve)

    worker = commands.add_parser("worker", help="run background jobs in this process, until SIGTERM")
    worker.set_defaults(handler=command_worker)

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db_command", required=True)
    upgrade = db.add_parser("upgrade", help="migrate to the latest revision (or to REVISION)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=command_db_upgrade)
    downgrade = db.add_parser("downgrade", help="migrate back to REVISION ('base' empties the database)")
    downgrade.add_argument("revision")
    downgrade.set_defaults(handler=command_db_downgrade)
    db.add_parser("current", help="show the database's revision").set_defaults(handler=command_db_current)

    admin = commands.add_parser("create-admin", help="create an admin account, or make an existing account admin")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", help="full name (needed when the account is created)")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(handler=command_create_admin)

    commands.add_parser("demo", help="load the demo data (adds only what is missing)").set_defaults(handler=command_demo)
    return root


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise CommandError(str(exc) + "\nFix the environment variables above and start again.", code=2) from None


# --- commands ---------------------------------------------------------------------------------------


def command_run(args: argparse.Namespace, settings: Settings) -> None:
    """The single-machine way: embedded services unless configured, migrate, demo once, serve."""
    import uvicorn

    from app.main import create_app

    port = args.port or settings.port
    if not os.environ.get("BASE_URL", "").strip():
        # On one's own machine, http://localhost:PORT works as well as the printed address.
        settings = settings.replace(
            base_url=f"http://{_url_host(args.host)}:{port}", allowed_hosts=(*settings.allowed_hosts, "localhost")
        )
    embedded = settings.database_url is None or settings.redis_url is None
    with services(settings, redis=True) as settings:
        _migrate(settings, "head")
        demo_state = asyncio.run(_with_session(settings, _prepare_demo, not args.no_demo))
        _print_banner(settings, embedded, demo_state)
        uvicorn.run(create_app(settings), **_uvicorn_options(args.host, port), timeout_graceful_shutdown=10)


def command_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from app.platform.logs import configure_logging

    _require_external(settings, "serve")
    configure_logging(settings.log_level)
    asyncio.run(_check_migrated(settings))
    if not os.environ.get("SECRET_KEY"):
        print(f"tremplin: SECRET_KEY is not set; using the key kept in {settings.data_dir / 'secret_key'}. "
              "Set SECRET_KEY when several machines serve Tremplin.", file=sys.stderr)
    workers = args.workers or int(os.environ.get("WEB_CONCURRENCY") or 2)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        workers=workers,
        timeout_graceful_shutdown=30,
        **_uvicorn_options(args.host, args.port or settings.port),
    )


def command_worker(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.logs import configure_logging
    from app.worker import run_worker

    _require_external(settings, "worker")
    configure_logging(settings.log_level)
    asyncio.run(_check_migrated(settings))
    asyncio.run(run_worker(settings))


def command_db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    with services(settings, redis=False) as settings:
        _migrate(settings, args.revision)


def command_db_downgrade(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.migrations import downgrade

    with services(settings, redis=False) as settings:
        assert settings.database_url
        downgrade(settings.database_url, args.revision)
        print(f"Database downgraded to {args.revision}.")


def command_db_current(args: argparse.Namespace, settings: Settings) -> None:
    from app.platform.migrations import head_revision

    with services(settings, redis=False) as settings:
        current = asyncio.run(_current_revision(settings))
    head = head_revision()
    state = "up to date" if current == head else "run `tremplin db upgrade`"
    print(f"Database revision: {current or 'empty'} (latest: {head}; {state}).")


def command_create_admin(args: argparse.Namespace, settings: Settings) -> None:
    email = args.email.strip().lower()
    if args.name is not None and not 1 <= len(args.name.strip()) <= 120:
        raise CommandError("--name must have between 1 and 120 characters.", code=2)
    with services(settings, redis=False) as settings:
        asyncio.run(_check_migrated(settings))
        message = asyncio.run(_with_session(settings, _create_admin, settings, email, args))
    print(message)


def command_demo(args: argparse.Namespace, settings: Settings) -> None:
    from app import demo

    with services(settings, redis=False) as settings:
        asyncio.run(_check_migrated(settings))
        result = asyncio.run(_with_session(settings, demo.load_demo))
    if result.created:
        print(f"Demo loaded: {result.organizations} organizations, {result.people} people, "
              f"{result.memberships} memberships added.")
    else:
        print("The demo data is already there; nothing added.")
    _print_accounts()


# --- services and database --------------------------------------------------------------------------


@contextlib.contextmanager
def services(settings: Settings, *, redis: bool) -> Iterator[Settings]:
    """Settings whose URLs point at running servers: the configured ones, or embedded ones started here
    and stopped on the way out (including on SIGTERM and Ctrl-C)."""
    from app.platform import embedded

    postgres_needed = settings.database_url is None
    redis_needed = redis and settings.redis_url is None
    if not (postgres_needed or redis_needed):
        yield settings
        return
    with SIGNALS.deferred():
        try:
            running = embedded.start(settings.data_dir, postgres=postgres_needed, redis=redis_needed)
        except Exception as exc:
            raise CommandError(f"The embedded services could not start in {settings.data_dir}: {exc}") from exc
    try:
        yield settings.replace(
            database_url=settings.database_url or running.database_url,
            redis_url=settings.redis_url or running.redis_url,
        )
    finally:
        with SIGNALS.deferred():
            running.stop()


def _require_external(settings: Settings, command: str) -> None:
    missing = [name for name, value in (("DATABASE_URL", settings.database_url), ("REDIS_URL", settings.redis_url)) if not value]
    if missing:
        raise CommandError(
            f"`tremplin {command}` uses external servers: set {' and '.join(missing)}. "
            "On a single machine, `tremplin run` starts embedded ones and the worker for you.",
            code=2,
        )


def _migrate(settings: Settings, revision: str) -> None:
    from sqlalchemy.exc import DBAPIError

    from app.platform.migrations import upgrade

    assert settings.database_url
    try:
        upgrade(settings.database_url, revision)
    except (OSError, DBAPIError) as exc:
        raise CommandError(f"Cannot reach the database at {_safe_url(settings.database_url)}: {exc}") from exc
    current = asyncio.run(_current_revision(settings))
    print(f"Database migrated (revision {current}).")


async def _with_session(settings: Settings, work: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run `work(session, *args)` in one transaction, committed when it returns."""
    from app.db import make_engine, make_session_maker

    assert settings.database_url
    engine = make_engine(settings, settings.database_url)
    try:
        async with make_session_maker(engine)() as session:
            result = await work(session, *args)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def _current_revision(settings: Settings) -> str | None:
    from app.platform.migrations import current_revision

    return await _with_engine(settings, current_revision)


async def _check_migrated(settings: Settings) -> None:
    from app.platform.migrations import NotMigrated, check_migrated

    try:
        await _with_engine(settings, check_migrated)
    except NotMigrated as exc:
        raise CommandError(str(exc), code=2) from None


async def _with_engine(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from sqlalchemy.exc import DBAPIError

    from app.db import make_engine

    assert settings.database_url
    engine = make_engine(settings, settings.database_url)
    try:
        return await work(engine)
    except (OSError, DBAPIError) as exc:
        raise CommandError(f"Cannot reach the database at {_safe_url(settings.database_url)}: {exc}") from exc
    finally:
        await engine.dispose()


# --- demo and admin ---------------------------------------------------------------------------------


async def _prepare_demo(session: AsyncSession, load: bool) -> str:
    """Load the demo into an empty database: "loaded" now, already "present", or "absent"."""
    from sqlalchemy import func, select

    from app import demo
    from app.accounts.models import User

    if load and not await demo.has_users(session):
        await demo.load_demo(session)
        return "loaded"
    emails = [email for email, _, _ in demo.accounts_summary()]
    found = await session.scalar(select(func.count()).select_from(User).where(User.email.in_(emails)))
    return "present" if found else "absent"


async def _create_admin(session: AsyncSession, settings: Settings, email: str, args: argparse.Namespace) -> str:
    from sqlalchemy import func, select

    from app.accounts.models import User
    from app.platform import audit

    user = await session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None:
        if user.is_admin:
            return f"{email} is already an admin."
        user.is_admin = True
        await audit.record(session, None, "user:grant_admin", "user", user.id, {"email": email, "via": "command line"})
        return f"{email} is now an admin (password unchanged)."
    if not args.name:
        raise CommandError(f"No account has the e-mail {email}: give --name to create it.", code=2)
    email = _valid_email(email)
    user = await _new_admin(session, settings, email, args.name.strip(), _read_password(email, args))
    await audit.record(
        session, None, "user:grant_admin", "user", user.id, {"email": email, "via": "command line", "created": True}
    )
    return f"Admin account created for {email}. Sign in at {settings.base_url}/login."


async def _new_admin(session: AsyncSession, settings: Settings, email: str, name: str, password: str) -> User:
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.db import utcnow

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
    return user


def _read_password(email: str, args: argparse.Namespace) -> str:
    from app.accounts.passwords import password_problem

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise CommandError("The two passwords differ.", code=2)
    else:
        raise CommandError("No terminal to ask for the password: pipe it in with --password-stdin.", code=2)
    problem = password_problem(password, email=email, name=args.name or "")
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

    print(f"Demo accounts (password: {demo.DEMO_PASSWORD}):")
    for email, role, locale in demo.accounts_summary():
        print(f"  {email:<32} {role:<8} {locale}")
    print(f"Demo program (stored once programs exist, issue #3): {demo.PROGRAM['title']['en']}", flush=True)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
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
