"""Offering a dataset to a challenge: a founder asks or a steward offers, available only once both agreed,
the steward's side only with the Five Safes complete; withdrawal by either side; "from round" recorded;
the challenge's data page for teams; notifications, audit; who may do what; constant queries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.data_sharing.models import FIVE_SAFES, Offering
from app.notifications.models import Notification
from tests.conftest import text_of
from tests.data_sharing.support import ROLES, as_role, audit_entries, denied, make_cast
from tests.factories import make_challenge, make_dataset, make_founder, make_offering, sign_in
from tests.querycount import counting_statements

SAFES = {safe: f"Our {safe} answer." for safe in FIVE_SAFES}


@pytest.fixture
async def cast(db):
    return await make_cast(db)


async def offering_of(db, cast) -> Offering | None:
    statement = select(Offering).where(
        Offering.dataset_id == cast.dataset.id, Offering.challenge_id == cast.challenge.id
    )
    return await db.scalar(statement.execution_options(populate_existing=True))


async def notified(db, kind: str) -> set:
    return set(await db.scalars(select(Notification.user_id).where(Notification.kind == kind)))


async def test_a_founder_asks_and_the_steward_agrees_with_the_five_safes(client, db, cast):
    data = f"/challenges/{cast.challenge.slug}/data"
    await as_role(client, db, cast, "founder")
    empty = await client.submit(data + "/ask", {"dataset": ""})
    assert empty.status_code == 422 and "Choose a dataset." in text_of(empty.text)
    bad_round = await client.submit(data + "/ask", {"dataset": cast.dataset.slug, "from_round": "7"})
    assert bad_round.status_code == 422 and "Choose a round of the challenge." in text_of(bad_round.text)
    assert (
        await client.submit(data + "/ask", {"dataset": cast.dataset.slug, "from_round": "1"})
    ).status_code == 303
    offering = await offering_of(db, cast)
    assert offering.founder_agreed_by_id == cast.founder.id and offering.steward_agreed_at is None
    assert offering.from_round_id is not None
    assert await notified(db, "offering_asked") == {cast.steward.id}
    assert len(await audit_entries(db, "offering:ask", offering.id)) == 1
    again = await client.submit(data + "/ask", {"dataset": cast.dataset.slug})
    assert again.status_code == 409 and "already offered" in text_of(again.text)
    page = text_of((await client.get(data)).text)
    assert "Awaiting the stewards" in page

    await as_role(client, db, cast, "captain")
    assert cast.dataset.title not in text_of((await client.get(data)).text)
    assert (await client.submit(f"/offerings/{offering.id}/agree")).status_code in (403, 404)

    await as_role(client, db, cast, "steward")
    incomplete = await client.submit(
        f"/offerings/{offering.id}/agree", {**SAFES, "outputs": " ", "back": "dataset"}
    )
    assert incomplete.status_code == 422
    assert "Describe safe outputs before agreeing." in text_of(incomplete.text)
    assert (await offering_of(db, cast)).steward_agreed_at is None
    assert (
        await client.submit(f"/offerings/{offering.id}/agree", {**SAFES, "back": "dataset"})
    ).status_code == 303
    offering = await offering_of(db, cast)
    assert offering.steward_agreed_by_id == cast.steward.id and offering.five_safes == SAFES
    assert await notified(db, "offering_agreed") == {cast.founder.id}
    assert len(await audit_entries(db, "offering:agree", offering.id)) == 1
    twice = await client.submit(f"/offerings/{offering.id}/agree", {**SAFES, "back": "dataset"})
    assert twice.status_code == 409


async def test_a_steward_offers_and_the_founder_agrees_then_teams_read_it(client, db, cast):
    url = f"/datasets/{cast.dataset.slug}/offerings"
    await as_role(client, db, cast, "steward")
    assert cast.challenge.title in (await client.get(url)).text
    missing = await client.submit(url, {"challenge": cast.challenge.slug, **SAFES, "projects": ""})
    assert missing.status_code == 422 and "Describe safe projects before agreeing." in text_of(missing.text)
    unknown = await client.submit(url, {"challenge": "nope", **SAFES})
    assert unknown.status_code == 422 and "Choose a challenge from the list." in text_of(unknown.text)
    assert (await client.submit(url, {"challenge": cast.challenge.slug, **SAFES})).status_code == 303
    offering = await offering_of(db, cast)
    assert offering.steward_agreed_at is not None and offering.founder_agreed_at is None
    assert await notified(db, "offering_offered") == {cast.founder.id}

    data = f"/challenges/{cast.challenge.slug}/data"
    await as_role(client, db, cast, "founder")
    pending = text_of((await client.get(data)).text)
    assert "Awaiting the founders" in pending and "Our people answer." in pending
    assert "Never try to re-identify anyone." in pending
    assert (await client.submit(f"/offerings/{offering.id}/agree")).status_code == 303
    assert (await offering_of(db, cast)).founder_agreed_at is not None
    assert await notified(db, "offering_agreed") == {cast.steward.id}

    for role in ("captain", "other"):
        await as_role(client, db, cast, role)
        page = text_of((await client.get(data)).text)
        assert cast.dataset.title in page and "Sensitive health data" in page
        assert "Our outputs answer." in page and "Never try to re-identify anyone." in page
        assert "Ask for a dataset" not in page
    catalogue = text_of((await client.get("/datasets")).text)
    assert cast.challenge.title in catalogue


async def test_either_side_withdraws_and_the_other_is_told(client, db, cast):
    offering = await make_offering(db, cast.dataset, cast.challenge)
    await as_role(client, db, cast, "founder")
    assert (await client.submit(f"/offerings/{offering.id}/withdraw")).status_code == 303
    assert (await offering_of(db, cast)).withdrawn_at is not None
    assert await notified(db, "offering_withdrawn") == {cast.steward.id}
    assert len(await audit_entries(db, "offering:withdraw", offering.id)) == 1
    assert (await client.submit(f"/offerings/{offering.id}/withdraw")).status_code == 409
    await as_role(client, db, cast, "captain")
    assert cast.dataset.title not in text_of(
        (await client.get(f"/challenges/{cast.challenge.slug}/data")).text
    )
    # Asked again: the same row reopens, waiting for the stewards.
    await as_role(client, db, cast, "founder")
    assert (
        await client.submit(f"/datasets/{cast.dataset.slug}/ask", {"challenge": cast.challenge.slug})
    ).status_code == 303
    reopened = await offering_of(db, cast)
    assert reopened.id == offering.id and reopened.withdrawn_at is None and reopened.steward_agreed_at is None


async def test_a_steward_declines_a_request(client, db, cast):
    offering = await make_offering(db, cast.dataset, cast.challenge, agreed=False)
    offering.founder_agreed_at = offering.created_at
    await db.flush()
    await as_role(client, db, cast, "steward")
    assert (await client.submit(f"/offerings/{offering.id}/withdraw", {"back": "dataset"})).status_code == 303
    assert len(await audit_entries(db, "offering:decline", offering.id)) == 1
    assert await notified(db, "offering_withdrawn") == {cast.founder.id}


async def test_an_invitation_only_challenge_keeps_its_data_page_hidden(client, db, cast):
    hidden = await make_challenge(db, visibility="invitation")
    await make_offering(db, cast.dataset, hidden)
    await as_role(client, db, cast, "other")
    assert (await client.get(f"/challenges/{hidden.slug}/data")).status_code == 404
    assert hidden.title not in text_of((await client.get("/datasets")).text)


# --- who may do what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_act_on_offerings(client, db, cast, role):
    pending = await make_offering(db, cast.dataset, cast.challenge, agreed=False)
    other_dataset = await make_dataset(db)
    await as_role(client, db, cast, role)
    page = await client.get(f"/challenges/{cast.challenge.slug}/data")
    assert page.status_code == 200 if role != "visitor" else denied(page.status_code, role)
    steward_side = {
        "offerings page": await client.get(f"/datasets/{cast.dataset.slug}/offerings"),
        "five safes": await client.submit(f"/offerings/{pending.id}/five-safes", SAFES),
    }
    agreeing = await client.submit(f"/offerings/{pending.id}/agree", {**SAFES, "back": "dataset"})
    agreed = await offering_of(db, cast)
    if role in ("steward", "founder"):
        # Each agrees for their own side only.
        assert agreeing.status_code == 303
        assert (agreed.steward_agreed_at is not None) == (role == "steward")
        assert (agreed.founder_agreed_at is not None) == (role == "founder")
    else:
        assert denied(agreeing.status_code, role), agreeing.status_code
    for name, response in steward_side.items():
        if role == "steward":
            assert response.status_code in (200, 303), name
        else:
            assert denied(response.status_code, role), (name, response.status_code)
    asking = await client.submit(
        f"/challenges/{cast.challenge.slug}/data/ask", {"dataset": other_dataset.slug}
    )
    if role == "founder":
        assert asking.status_code == 303
    else:
        assert denied(asking.status_code, role), asking.status_code
    if role not in ("steward", "founder"):
        assert (await offering_of(db, cast)).steward_agreed_at is None
        assert denied((await client.submit(f"/offerings/{pending.id}/withdraw")).status_code, role)
        assert (await offering_of(db, cast)).withdrawn_at is None


async def test_challenge_data_queries_do_not_grow_with_offerings(client, db, connection):
    challenge = await make_challenge(db)
    founder = await make_founder(db, challenge)
    counts = []
    for extra in (3, 27):
        for index in range(extra):
            dataset = await make_dataset(db)
            await make_offering(db, dataset, challenge, agreed=index % 2 == 0)
        await sign_in(client, db, founder)
        with counting_statements(connection) as statements:
            response = await client.get(f"/challenges/{challenge.slug}/data")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
