"""Settings from the environment: each variable read, sensible defaults, every mistake reported at once."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import Settings, SettingsError
from tests.conftest import ROOT

KEY = "k" * 40


def settings_from(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DATA_DIR": str(tmp_path), **env})


def test_defaults_give_the_embedded_single_machine_setup(tmp_path):
    settings = settings_from(tmp_path)
    assert settings.database_url is None and settings.redis_url is None
    assert settings.embedded_database and settings.embedded_redis and settings.worker_in_process
    assert settings.base_url == "http://127.0.0.1:8000" and settings.port == 8000
    assert settings.data_dir == tmp_path
    assert settings.storage_url is None and settings.smtp_url is None
    assert settings.mail_from == "Tremplin <no-reply@localhost>"
    assert settings.default_locale == "en" and settings.log_level == "INFO"
    assert settings.allowed_hosts == () and settings.trusted_proxies == ()
    assert (settings.session_idle_minutes, settings.session_max_hours) == (120, 24)
    assert (settings.login_rate_limit, settings.login_rate_window_seconds) == (5, 300)
    assert (settings.db_pool_size, settings.db_statement_timeout_ms) == (10, 15_000)
    assert (settings.db_lock_timeout_ms, settings.db_idle_in_transaction_timeout_ms) == (5_000, 30_000)
    assert settings.redis_prefix == "tremplin"
    # Webhooks go to public https addresses only unless an operator says otherwise.
    assert not settings.webhook_allow_http and not settings.webhook_allow_private_networks
    assert not settings.https and settings.session_cookie == "tremplin"


ENVIRONMENT = {
    "DATABASE_URL": (
        "postgresql://u:p@db.internal:5432/tremplin",
        "database_url",
        "postgresql://u:p@db.internal:5432/tremplin",
    ),
    "REDIS_URL": ("redis://cache.internal:6379/1", "redis_url", "redis://cache.internal:6379/1"),
    "SECRET_KEY": (KEY, "secret_key", KEY),
    "BASE_URL": ("https://tremplin.example.org/", "base_url", "https://tremplin.example.org"),
    "STORAGE_URL": ("s3://bucket/prefix", "storage_url", "s3://bucket/prefix"),
    "SMTP_URL": ("smtps://user:pw@mail.example.org:465", "smtp_url", "smtps://user:pw@mail.example.org:465"),
    "MAIL_FROM": ("Tremplin <hello@example.org>", "mail_from", "Tremplin <hello@example.org>"),
    "DEFAULT_LOCALE": ("FR", "default_locale", "fr"),
    "ALLOWED_HOSTS": ("a.example.org, b.example.org", "allowed_hosts", ("a.example.org", "b.example.org")),
    "TRUSTED_PROXIES": (
        "10.0.0.0/8 192.168.1.7",
        "trusted_proxies",
        (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.7/32")),
    ),
    "SESSION_IDLE_MINUTES": ("30", "session_idle_minutes", 30),
    "SESSION_MAX_HOURS": ("8", "session_max_hours", 8),
    "LOGIN_RATE_LIMIT": ("3", "login_rate_limit", 3),
    "LOGIN_RATE_WINDOW_SECONDS": ("60", "login_rate_window_seconds", 60),
    "DB_POOL_SIZE": ("4", "db_pool_size", 4),
    "DB_STATEMENT_TIMEOUT_MS": ("2000", "db_statement_timeout_ms", 2000),
    "DB_LOCK_TIMEOUT_MS": ("500", "db_lock_timeout_ms", 500),
    "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": ("9000", "db_idle_in_transaction_timeout_ms", 9000),
    "LOG_LEVEL": ("debug", "log_level", "DEBUG"),
    "PORT": ("8123", "port", 8123),
    "REDIS_PREFIX": ("staging", "redis_prefix", "staging"),
    "WORKER_IN_PROCESS": ("no", "worker_in_process", False),
    "GRANT_GRACE_DAYS": ("14", "grant_grace_days", 14),
    "WEBHOOK_ALLOW_HTTP": ("true", "webhook_allow_http", True),
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": ("on", "webhook_allow_private_networks", True),
    "BENCH_QUERY_COUNT": ("1", "bench_query_count", True),
    "BENCH_FLOOR": ("yes", "bench_floor", True),
}


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_each_variable_is_read(tmp_path, name):
    raw, attribute, expected = ENVIRONMENT[name]
    assert getattr(settings_from(tmp_path, **{name: raw}), attribute) == expected


def test_every_settings_field_has_a_variable():
    documented = {attribute for _, attribute, _ in ENVIRONMENT.values()} | {"data_dir"}
    assert documented == set(Settings.__dataclass_fields__)


def test_external_redis_moves_the_worker_out_of_the_web_process_unless_asked(tmp_path):
    assert not settings_from(tmp_path, REDIS_URL="redis://r:6379/0").worker_in_process
    assert settings_from(tmp_path, REDIS_URL="redis://r:6379/0", WORKER_IN_PROCESS="true").worker_in_process


def test_port_sets_the_default_base_url_but_not_an_explicit_one(tmp_path):
    assert settings_from(tmp_path, PORT="9000").base_url == "http://127.0.0.1:9000"
    assert (
        settings_from(tmp_path, PORT="9000", BASE_URL="https://t.example.org").base_url
        == "https://t.example.org"
    )


def test_https_base_url_switches_to_host_prefixed_cookie(tmp_path):
    settings = settings_from(tmp_path, BASE_URL="https://t.example.org")
    assert settings.https and settings.session_cookie == "__Host-tremplin"


def test_allowed_hosts_accept_the_host_header_with_its_port(tmp_path):
    settings = settings_from(tmp_path, BASE_URL="http://127.0.0.1:8000", ALLOWED_HOSTS="localhost")
    assert settings.hosts == ["127.0.0.1", "127.0.0.1:8000", "localhost", "localhost:8000"]
    assert settings_from(tmp_path, BASE_URL="https://t.example.org").hosts == ["t.example.org"]


def test_embedded_database_url_with_a_socket_folder_is_accepted(tmp_path):
    url = "postgresql+asyncpg://postgres@/tremplin?host=/srv/var/postgres"
    assert (
        settings_from(tmp_path, DATABASE_URL=url, REDIS_URL="unix:///srv/var/redis/redis.sock").database_url
        == url
    )


def test_without_secret_key_one_is_generated_once_and_kept_private(tmp_path):
    first = settings_from(tmp_path).secret_key
    assert len(first) >= 32
    assert settings_from(tmp_path).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_malformed_values_are_all_reported_in_one_error(tmp_path):
    with pytest.raises(SettingsError) as raised:
        settings_from(
            tmp_path,
            DATABASE_URL="mysql://db/tremplin",
            REDIS_URL="redis://",
            SECRET_KEY="short",
            BASE_URL="ftp://example.org",
            DEFAULT_LOCALE="de",
            TRUSTED_PROXIES="10.0.0.0/8 not-an-ip",
            SESSION_IDLE_MINUTES="ten",
            DB_STATEMENT_TIMEOUT_MS="5",
            PORT="70000",
            WORKER_IN_PROCESS="maybe",
            LOG_LEVEL="LOUD",
        )
    problems = raised.value.problems
    named = [
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "BASE_URL",
        "DEFAULT_LOCALE",
        "TRUSTED_PROXIES",
        "SESSION_IDLE_MINUTES",
        "DB_STATEMENT_TIMEOUT_MS",
        "PORT",
        "WORKER_IN_PROCESS",
        "LOG_LEVEL",
    ]
    assert len(problems) == len(named)
    for name in named:
        assert any(problem.startswith(name) for problem in problems), name
    assert all(f"  - {problem}" in str(raised.value) for problem in problems)


def test_unreadable_data_folder_is_a_settings_problem(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        Settings.from_env({"DATA_DIR": str(blocker / "var")})


def test_command_reports_bad_settings_with_exit_code_2_and_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT), DATABASE_URL="mysql://db/x", PORT="http")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL must be a URL starting with postgresql://" in result.stderr
    assert "PORT must be a whole number" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
