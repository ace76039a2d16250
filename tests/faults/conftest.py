"""Fixtures of the fault-injection tests: one private cluster for the whole folder, the cast of people
the client acts as, and the ledger of every write the app acknowledged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.faults.harness import Cluster
from tests.faults.support import Cast, Ledger, Traffic, make_person


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep this folder's tests on one xdist worker, in order, around one cluster.

    pytest-xdist 3.8's `--dist loadgroup` tags a grouped test by setting `item._nodeid`, which pytest 9.2
    no longer reads (the node id lives in `item._id`), so every test was scheduled alone. Until xdist
    follows, re-apply its tag here, for this folder's tests only.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        tagged = getattr(item, "_nodeid", None)
        if "/tests/faults/" in str(item.path) and tagged and tagged != item.nodeid:
            item._id = coerce_node_id(tagged)  # type: ignore[attr-defined]


@pytest.fixture(scope="package")
def cluster() -> Iterator[Cluster]:
    running = Cluster()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
async def cast(cluster: Cluster) -> Cast:
    """People made straight in the database: writers with API tokens, an organization's owner who
    invites people (each invitation sends an e-mail through the outbox), a steward with a dataset."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.accounts.models import User
    from app.db import async_url, make_session_maker
    from tests.factories import make_dataset, make_organization

    engine = create_async_engine(async_url(cluster.postgres.url))
    try:
        async with make_session_maker(engine)() as session:
            writers = [await make_person(session, f"writer{i}") for i in range(4)]
            owner = await make_person(session, "owner")
            steward = await make_person(session, "steward")
            organization = await make_organization(session, owner=await session.get(User, owner.user_id))
            dataset = await make_dataset(session, steward=await session.get(User, steward.user_id))
            slugs = organization.slug, dataset.slug
            await session.commit()
    finally:
        await engine.dispose()
    return Cast(writers, owner, slugs[0], steward, slugs[1])


@pytest.fixture(scope="package")
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture(scope="package")
async def traffic(cluster: Cluster, cast: Cast, ledger: Ledger) -> AsyncIterator[Traffic]:
    client = Traffic(cluster, cast, ledger)
    yield client
    await client.client.aclose()
