"""Races on committed data, requests sent at once: two stewards removing each other leave one steward;
agreement versions published at once get distinct numbers; a founder asking while a steward offers
makes one offering, the other told it exists."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app.data_sharing.models import FIVE_SAFES, AgreementVersion, DatasetSteward, Offering
from app.organizations.models import OrganizationMember
from tests import scratch
from tests.factories import make_challenge, make_dataset, make_founder, make_user

SAFES = {safe: f"Our {safe} answer." for safe in FIVE_SAFES}


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "data_race") as url:
        yield url


@pytest.fixture
async def sessions(scratch_database):
    async with scratch.scratch_sessions(scratch_database, pool_size=12, max_overflow=0) as sessions:
        yield sessions


async def two_stewards(session):
    first = await make_user(session, name="First Steward")
    dataset = await make_dataset(session, steward=first)
    second = await make_user(session, name="Second Steward")
    session.add(
        OrganizationMember(organization_id=dataset.steward_organization_id, user_id=second.id, role="member")
    )
    session.add(DatasetSteward(dataset_id=dataset.id, user_id=second.id))
    await session.flush()
    return dataset, first, second


async def test_two_stewards_removing_each_other_leave_one(app, sessions, redis):
    async with sessions() as session:
        dataset, first, second = await two_stewards(session)
        await session.commit()
    url = f"/datasets/{dataset.slug}/stewards"
    async with scratch.app_on(app, sessions), scratch.browsers(app, sessions, [first, second]) as clients:
        answers = await asyncio.gather(
            clients[0].submit(f"{url}/{second.id}/remove"), clients[1].submit(f"{url}/{first.id}/remove")
        )
    assert sorted(a.status_code for a in answers) in ([303, 403], [303, 404], [303, 409]), [
        a.status_code for a in answers
    ]
    async with sessions() as session:
        left = await session.scalar(select(func.count()).where(DatasetSteward.dataset_id == dataset.id))
    assert left == 1


async def test_agreement_versions_published_at_once_are_numbered_in_turn(app, sessions, redis):
    async with sessions() as session:
        dataset, first, second = await two_stewards(session)
        await session.commit()
    url = f"/datasets/{dataset.slug}/agreement"
    async with (
        scratch.app_on(app, sessions),
        scratch.browsers(app, sessions, [first, second, first]) as clients,
    ):
        answers = await asyncio.gather(
            *(
                client.submit(url, {"agreement": f"Version by {index}"})
                for index, client in enumerate(clients)
            )
        )
    assert [a.status_code for a in answers] == [303, 303, 303]
    async with sessions() as session:
        numbers = sorted(
            await session.scalars(
                select(AgreementVersion.version).where(AgreementVersion.dataset_id == dataset.id)
            )
        )
    assert numbers == [1, 2, 3, 4]


async def test_asking_while_offering_makes_one_offering(app, sessions, redis):
    async with sessions() as session:
        steward = await make_user(session, name="Sam Steward")
        dataset = await make_dataset(session, steward=steward)
        challenge = await make_challenge(session)
        founder = await make_founder(session, challenge)
        await session.commit()
    async with scratch.app_on(app, sessions), scratch.browsers(app, sessions, [founder, steward]) as clients:
        answers = await asyncio.gather(
            clients[0].submit(f"/challenges/{challenge.slug}/data/ask", {"dataset": dataset.slug}),
            clients[1].submit(f"/datasets/{dataset.slug}/offerings", {"challenge": challenge.slug, **SAFES}),
        )
    assert sorted(a.status_code for a in answers) == [303, 409], [a.status_code for a in answers]
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(Offering.dataset_id == dataset.id))
    assert count == 1
