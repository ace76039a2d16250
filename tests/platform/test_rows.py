"""Plain-row reads (app/platform/rows.py): same answers as SQLAlchemy, errors as SQLAlchemy's, same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.challenges.models import Challenge
from app.platform import bench
from app.platform.rows import Query
from app.web import database_unavailable
from tests.factories import make_challenge, make_user
from tests.querycount import counting_statements


async def test_named_parameters_constants_and_repeated_names(db: AsyncSession) -> None:
    user = await make_user(db, name="Ada Rows")
    query = Query(
        select(User.id, User.name)
        .where(User.email == bindparam("email"), User.is_active.is_(True), User.name != "nobody")
        .where(func.lower(User.email) == func.lower(bindparam("email")))
    )
    row = await query.one_or_none(db, email=user.email)
    assert row is not None
    assert (row["id"], row["name"], row[1]) == (user.id, "Ada Rows", "Ada Rows")
    assert await query.one_or_none(db, email="missing@example.org") is None
    assert (
        await Query(select(func.count()).select_from(User).where(User.id == bindparam("id"))).scalar(
            db, id=user.id
        )
        == 1
    )


async def test_reads_see_the_session_s_own_uncommitted_writes(db: AsyncSession) -> None:
    user = await make_user(db)
    user.name = "Renamed before any commit"  # pending in the unit of work: flushed first, as autoflush would
    row = await Query(select(User.name).where(User.id == bindparam("id"))).one_or_none(db, id=user.id)
    assert row is not None and row["name"] == "Renamed before any commit"


async def test_array_parameters_and_json_columns(db: AsyncSession) -> None:
    challenge = await make_challenge(db)
    challenge.registration_questions = [{"id": "q1", "label": "Why?"}]
    await db.flush()
    query = Query(
        select(Challenge.slug, Challenge.registration_questions).where(
            Challenge.id == func.any(bindparam("ids")), Challenge.slug == bindparam("slug")
        )
    )
    rows = await query.all(db, ids=[challenge.id], slug=challenge.slug)
    assert [(row["slug"], row["registration_questions"]) for row in rows] == [
        (challenge.slug, [{"id": "q1", "label": "Why?"}])
    ]
    assert await query.all(db, ids=[challenge.id], slug="no-such-slug") == []


def test_expanding_in_is_refused_at_import_time() -> None:
    with pytest.raises(ValueError, match="ANY"):
        Query(select(User.id).where(User.id.in_(bindparam("ids", expanding=True))))


async def test_a_statement_timeout_is_a_dbapi_error_the_app_answers_503(
    session_maker: async_sessionmaker[AsyncSession],
) -> None:
    async with session_maker() as session:
        await session.execute(text("SET LOCAL statement_timeout = 50"))
        with pytest.raises(DBAPIError) as caught:
            await Query(select(func.pg_sleep(bindparam("seconds")))).scalar(session, seconds=2)
        assert caught.value.orig.sqlstate == "57014"  # type: ignore[union-attr]
        assert database_unavailable(caught.value)
        await session.rollback()


async def test_a_broken_connection_is_invalidated_and_reported_unavailable(settings) -> None:  # type: ignore[no-untyped-def]
    from app.db import make_engine

    engine = make_engine(settings, settings.database_url)
    try:
        async with async_sessionmaker(engine)() as session:
            query = Query(select(func.pg_backend_pid()))
            pid = await query.scalar(session)
            # Another connection ends this one's backend, as a restart or an administrator would.
            async with engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as caught:
                await query.scalar(session)
            assert caught.value.connection_invalidated
            assert database_unavailable(caught.value)
        # The pool hands out a working connection afterwards.
        async with async_sessionmaker(engine)() as session:
            assert await Query(select(func.pg_backend_pid())).scalar(session) != pid
    finally:
        await engine.dispose()


async def test_each_execution_is_seen_by_statement_counters(db: AsyncSession, connection) -> None:  # type: ignore[no-untyped-def]
    query = Query(select(func.count()).select_from(User))
    with counting_statements(connection) as statements:
        await query.scalar(db)
        await query.all(db)
    assert [statement for statement in statements if statement == query.sql] == [query.sql, query.sql]
    bench.install_query_counter()
    box = [0, 0]
    token = bench._box.set(box)
    try:
        await query.scalar(db)
    finally:
        bench._box.reset(token)
    assert box[0] == 1
