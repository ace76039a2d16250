"""The captain's form for a new request says up front when the offering is not open to the team (another round,
not agreed, withdrawn), with the 409 that saving would answer and no form; the same check decides both."""

from __future__ import annotations

from sqlalchemy import select

from app.challenges.models import Round
from app.data_sharing.models import AccessRequest
from app.db import utcnow
from app.judging.models import Advancement
from tests.conftest import text_of
from tests.data_sharing.request_support import make_cast
from tests.factories import sign_in

PURPOSE = "Train a model of heart failure decompensation."
FORM = 'action="/data-requests"'


async def _offered_from_round_two(db):
    cast = await make_cast(db, rounds=2)
    second = await db.scalar(
        select(Round).where(Round.challenge_id == cast.challenge.id, Round.position == 2)
    )
    cast.offering.from_round_id = second.id
    await db.flush()
    return cast, second


async def test_a_team_outside_the_offerings_round_is_told_why_and_gets_no_form(db, client):
    cast, second = await _offered_from_round_two(db)
    await sign_in(client, db, cast.captain)
    page = await client.get(f"/data-requests/new?offering={cast.offering.id}")
    assert page.status_code == 409
    assert f"This dataset is offered only to teams taking part in {second.name}." in text_of(page.text)
    assert FORM not in page.text and 'name="purpose"' not in page.text
    assert f'href="/teams/{cast.team.id}/data"' in page.text
    saved = await client.submit(
        "/data-requests",
        {"offering": str(cast.offering.id), "purpose": PURPOSE, "members": str(cast.member.id)},
    )
    assert saved.status_code == 409 and FORM not in saved.text
    assert f"This dataset is offered only to teams taking part in {second.name}." in text_of(saved.text)
    assert await db.scalar(select(AccessRequest.id).where(AccessRequest.team_id == cast.team.id)) is None


async def test_a_team_advanced_to_the_offerings_round_gets_the_form(db, client):
    cast, second = await _offered_from_round_two(db)
    db.add(Advancement(round_id=second.id, team_id=cast.team.id, decided_by_id=cast.founder.id))
    await db.flush()
    await sign_in(client, db, cast.captain)
    page = await client.get(f"/data-requests/new?offering={cast.offering.id}")
    assert page.status_code == 200
    assert FORM in page.text and 'name="purpose"' in page.text
    assert "offered only to teams taking part in" not in text_of(page.text)


async def test_a_withdrawn_offering_is_explained_instead_of_the_form(db, client):
    cast = await make_cast(db)
    cast.offering.withdrawn_at = utcnow()
    await db.flush()
    await sign_in(client, db, cast.captain)
    page = await client.get(f"/data-requests/new?offering={cast.offering.id}")
    assert page.status_code == 409 and FORM not in page.text
    assert "This dataset is not available to your challenge (not agreed, or withdrawn)." in text_of(page.text)
