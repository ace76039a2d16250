"""The one settings object, read from the environment and checked once at start-up."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOCALES = ("en", "fr")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    """Raised with every problem found in the environment, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    # None means "start the embedded server under data_dir".
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("var")
    storage_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = "Tremplin <no-reply@localhost>"
    default_locale: str = "en"
    allowed_hosts: tuple[str, ...] = ()
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    session_idle_minutes: int = 120
    session_max_hours: int = 24
    login_rate_limit: int = 5
    login_rate_window_seconds: int = 300
    db_pool_size: int = 10
    db_statement_timeout_ms: int = 15_000
    db_lock_timeout_ms: int = 5_000
    db_idle_in_transaction_timeout_ms: int = 30_000
    log_level: str = "INFO"
    # What `tremplin run` and `tremplin serve` listen on unless --port says otherwise.
    port: int = 8000
    # Set by tests so parallel test processes share one Redis without seeing each other's keys.
    redis_prefix: str = "tremplin"
    # When true the arq worker runs inside the web process (the embedded default).
    worker_in_process: bool = False
    # Days after a challenge's end until which a data access grant may run (app.data_sharing.approvals).
    grant_grace_days: int = 30
    # Outgoing webhooks (app.webhooks): plain http endpoints, and endpoints on private, loopback or link-local
    # addresses, are refused unless allowed (a closed network, or tests).
    webhook_allow_http: bool = False
    webhook_allow_private_networks: bool = False
    # Benchmark aids (bench/run.py), off in production: an X-Query-Count header on every response, and the
    # bare "floor" page /bench/floor that the load run compares every page with.
    bench_query_count: bool = False
    bench_floor: bool = False

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless it is Secure, path=/ and host-only.
        return "__Host-tremplin" if self.https else "tremplin"

    @property
    def hosts(self) -> list[str]:
        """Host header values accepted: BASE_URL's host, ALLOWED_HOSTS, each with and without BASE_URL's port."""
        parts = urlsplit(self.base_url)
        names = {parts.hostname or "127.0.0.1", *self.allowed_hosts}
        # Browsers put the port in the Host header when it is not the scheme's default, and Litestar
        # compares the whole header.
        with_port = {f"{name}:{parts.port}" for name in names if parts.port and ":" not in name}
        return sorted(names | with_port)

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting, collecting all problems into one SettingsError."""
        env = os.environ if env is None else env
        problems: list[str] = []
        reader = _Reader(env, problems)
        data_dir = Path(reader.text("DATA_DIR", "var")).expanduser()
        secret = reader.text("SECRET_KEY", "")
        if not secret:
            secret = _local_secret(data_dir, problems)
        elif len(secret) < 32:
            problems.append(
                "SECRET_KEY must be at least 32 characters long (try: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        port = reader.integer("PORT", 8000, 1, maximum=65535)
        storage_url = reader.url("STORAGE_URL", ("file", "s3"))
        problems.extend(_storage_problems(storage_url))
        settings = cls(
            database_url=reader.url("DATABASE_URL", ("postgresql", "postgresql+asyncpg", "postgres")),
            redis_url=reader.url("REDIS_URL", ("redis", "rediss", "unix")),
            secret_key=secret,
            base_url=reader.url("BASE_URL", ("http", "https")) or f"http://127.0.0.1:{port}",
            data_dir=data_dir,
            storage_url=storage_url,
            smtp_url=reader.url("SMTP_URL", ("smtp", "smtps")),
            mail_from=reader.text("MAIL_FROM", "Tremplin <no-reply@localhost>"),
            default_locale=reader.choice("DEFAULT_LOCALE", LOCALES, "en"),
            allowed_hosts=tuple(h for h in reader.text("ALLOWED_HOSTS", "").replace(",", " ").split() if h),
            trusted_proxies=reader.networks("TRUSTED_PROXIES"),
            session_idle_minutes=reader.integer("SESSION_IDLE_MINUTES", 120, 1),
            session_max_hours=reader.integer("SESSION_MAX_HOURS", 24, 1),
            login_rate_limit=reader.integer("LOGIN_RATE_LIMIT", 5, 1),
            login_rate_window_seconds=reader.integer("LOGIN_RATE_WINDOW_SECONDS", 300, 1),
            db_pool_size=reader.integer("DB_POOL_SIZE", 10, 1),
            db_statement_timeout_ms=reader.integer("DB_STATEMENT_TIMEOUT_MS", 15_000, 100),
            db_lock_timeout_ms=reader.integer("DB_LOCK_TIMEOUT_MS", 5_000, 100),
            db_idle_in_transaction_timeout_ms=reader.integer(
                "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 30_000, 1000
            ),
            log_level=reader.choice("LOG_LEVEL", LOG_LEVELS, "INFO", normalize=str.upper),
            port=port,
            redis_prefix=reader.text("REDIS_PREFIX", "tremplin"),
            grant_grace_days=reader.integer("GRANT_GRACE_DAYS", 30, 0, maximum=3650),
            webhook_allow_http=reader.boolean("WEBHOOK_ALLOW_HTTP", False),
            webhook_allow_private_networks=reader.boolean("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False),
            worker_in_process=reader.boolean("WORKER_IN_PROCESS", reader.text("REDIS_URL", "") == ""),
            bench_query_count=reader.boolean("BENCH_QUERY_COUNT", False),
            bench_floor=reader.boolean("BENCH_FLOOR", False),
        )
        if problems:
            raise SettingsError(problems)
        return settings

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


class _Reader:
    def __init__(self, env: Mapping[str, str], problems: list[str]) -> None:
        self.env = env
        self.problems = problems

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, "").strip() or default

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        value = self.env.get(name, "").strip()
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            self.problems.append(
                f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)} (got {value!r})."
            )
            return None
        if parts.scheme not in ("unix", "file") and not parts.netloc and "host=" not in parts.query:
            self.problems.append(f"{name} has no host: {value!r}.")
            return None
        return value.rstrip("/") if name == "BASE_URL" else value

    def integer(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name} must be a whole number (got {raw!r}).")
            return default
        if value < minimum:
            self.problems.append(f"{name} must be at least {minimum} (got {value}).")
        elif maximum is not None and value > maximum:
            self.problems.append(f"{name} must be at most {maximum} (got {value}).")
        return value

    def choice(
        self, name: str, choices: tuple[str, ...], default: str, normalize: Callable[[str], str] = str.lower
    ) -> str:
        raw = normalize(self.env.get(name, "").strip())
        if not raw:
            return default
        if raw not in choices:
            self.problems.append(f"{name} must be one of {', '.join(choices)} (got {raw!r}).")
            return default
        return raw

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        self.problems.append(f"{name} must be true or false (got {raw!r}).")
        return default

    def networks(self, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        nets = []
        for item in self.env.get(name, "").replace(",", " ").split():
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.problems.append(f"{name}: {item!r} is not an IP address or network.")
        return tuple(nets)


def _storage_problems(url: str | None) -> list[str]:
    from app.platform.storage import storage_url_problems

    return storage_url_problems(url)


def _local_secret(data_dir: Path, problems: list[str]) -> str:
    """Without SECRET_KEY, keep a generated one in the data folder so restarts keep sessions valid."""
    path = data_dir / "secret_key"
    if not path.exists():
        try:
            _create_secret(path)
        except OSError as exc:
            problems.append(f"SECRET_KEY is not set and {path} cannot be written ({exc.strerror}).")
            return ""
    try:
        value = path.read_text().strip()
    except OSError as exc:
        problems.append(f"SECRET_KEY is not set and {path} cannot be read ({exc.strerror}).")
        return ""
    if len(value) < 32:
        problems.append(f"{path} holds a key shorter than 32 characters: delete the file or set SECRET_KEY.")
    return value


def _create_secret(path: Path) -> None:
    # Written whole under a temporary name, then linked into place: processes starting together
    # all end up reading the one key that won, never a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
