"""Metadata with a naming convention, the async engine and the session makers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, event, func
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.util import await_only

from app.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: DateTime(timezone=True)}


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class CreatedMixin:
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def async_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+asyncpg:// alike."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def engine_options(settings: Settings) -> dict[str, Any]:
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        # Waiting for a pooled connection fails fast instead of piling up requests.
        "pool_timeout": 5,
        "pool_recycle": 1800,
        "connect_args": {
            "timeout": 5,
            "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
            "server_settings": {
                "application_name": "tremplin",
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "lock_timeout": str(settings.db_lock_timeout_ms),
                "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms),
                "timezone": "UTC",
                # asyncpg prepares every statement; after five runs PostgreSQL may switch a prepared statement to a
                # generic plan, blind to its parameters: the ranking's query then took 830 ms instead of 90 ms
                # (bench/RESULTS.md). Planning each time costs far less than a plan that ignores the round.
                "plan_cache_mode": "force_custom_plan",
            },
        },
    }


def make_engine(settings: Settings, url: str) -> AsyncEngine:
    engine = create_async_engine(async_url(url), **engine_options(settings))
    event.listen(engine.sync_engine.pool, "checkout", _ping)
    return engine


def _ping(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A connection broken by a PostgreSQL restart is noticed and replaced before use: one `;` on checkout.

    SQLAlchemy's own `pool_pre_ping` wraps its ping in BEGIN and ROLLBACK with asyncpg (for pgbouncer's
    transaction mode), three round trips on every request; raising DisconnectionError here is the pool's
    documented way to have the connection replaced and the checkout retried."""
    try:
        await_only(record.driver_connection.fetchrow(";"))
    except Exception as error:
        raise DisconnectionError(str(error)) from error


def make_session_maker(bind: Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
