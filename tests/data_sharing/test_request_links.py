"""Where a team starts a request: "Request access" on the team's data board and on the challenge's data page,
for the captain only and only for offerings open to the team's round; other members read that the captain
makes requests. And the steward's "from round", a list of the chosen challenge's rounds checked on the server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.challenges.models import Round
from app.data_sharing.models import FIVE_SAFES, Offering
from app.judging.models import Advancement
from tests.conftest import text_of
from tests.data_sharing.request_support import make_cast
from tests.data_sharing.support import denied
from tests.factories import make_challenge, make_dataset, make_user, sign_in

SAFES = {safe: f"Our {safe} answer." for safe in FIVE_SAFES}
CAPTAIN_ONLY = "Your team's captain makes the requests for access."


def _link(offering) -> str:
    return f'href="/data-requests/new?offering={offering.id}"'


async def _pages(client, cast) -> tuple[str, str]:
    board = await client.get(f"/teams/{cast.team.id}/data")
    data = await client.get(f"/challenges/{cast.challenge.slug}/data")
    assert board.status_code == data.status_code == 200
    return board.text, data.text


async def test_the_captain_finds_request_access_on_the_board_and_the_challenge_data(client, db):
    cast = await make_cast(db)
    await sign_in(client, db, cast.captain)
    board, data = await _pages(client, cast)
    for page in (board, data):
        assert _link(cast.offering) in page and "Request access" in text_of(page)
        assert CAPTAIN_ONLY not in text_of(page)
    form = await client.get(f"/data-requests/new?offering={cast.offering.id}")
    assert form.status_code == 200
    made = await client.submit(
        "/data-requests",
        {"offering": str(cast.offering.id), "purpose": "A model.", "members": [str(cast.member.id)]},
    )
    assert made.status_code == 303
    board, data = await _pages(client, cast)
    for page in (board, data):  # a request is under way: the captain follows it instead
        assert _link(cast.offering) not in page
    assert f'href="{made.headers["location"]}"' in board


@pytest.mark.parametrize("role", ["member", "other_member"])
async def test_members_who_are_not_captain_read_that_the_captain_requests(client, db, role):
    cast = await make_cast(db)
    await sign_in(client, db, getattr(cast, role))
    for page in await _pages(client, cast):
        assert _link(cast.offering) not in page and "Request access" not in text_of(page)
        assert CAPTAIN_ONLY in text_of(page)
    form = await client.get(f"/data-requests/new?offering={cast.offering.id}")
    assert denied(form.status_code, role)


@pytest.mark.parametrize("role", ["founder", "steward", "other_user", "admin"])
async def test_people_outside_the_team_see_neither_link_nor_sentence(client, db, role):
    cast = await make_cast(db)
    await sign_in(client, db, getattr(cast, role))
    data = await client.get(f"/challenges/{cast.challenge.slug}/data")
    assert _link(cast.offering) not in data.text and CAPTAIN_ONLY not in text_of(data.text)
    assert denied((await client.get(f"/teams/{cast.team.id}/data")).status_code, role)


async def test_an_offering_from_a_later_round_is_requestable_only_once_the_team_entered_it(client, db):
    cast = await make_cast(db, rounds=2)
    second = await db.scalar(
        select(Round).where(Round.challenge_id == cast.challenge.id, Round.position == 2)
    )
    cast.offering.from_round_id = second.id
    await db.flush()
    await sign_in(client, db, cast.captain)
    for page in await _pages(client, cast):
        assert _link(cast.offering) not in page
    assert "Offered only to teams of a later round than yours." in text_of((await _pages(client, cast))[0])
    refused = await client.submit(
        "/data-requests",
        {"offering": str(cast.offering.id), "purpose": "A model.", "members": [str(cast.member.id)]},
    )
    assert refused.status_code == 409 and "offered only to teams taking part in" in text_of(refused.text)
    db.add(Advancement(round_id=second.id, team_id=cast.team.id, reason="Finalist"))
    await db.flush()
    for page in await _pages(client, cast):
        assert _link(cast.offering) in page


async def test_an_active_grant_turns_the_link_into_asking_to_add_a_member(client, db):
    from tests.factories import make_grant

    cast = await make_cast(db)
    grant = await make_grant(db, cast.offering, cast.team, (cast.captain,), steward=cast.steward)
    await sign_in(client, db, cast.captain)
    board, data = await _pages(client, cast)
    assert _link(cast.offering) not in board and _link(cast.offering) not in data
    assert f'href="/grants/{grant.id}#add-member"' in board


# --- the steward's "from round" ----------------------------------------------------------------------


async def _steward_and_two_challenges(db):
    steward = await make_user(db, name="Sam Steward")
    dataset = await make_dataset(db, steward=steward)
    first = await make_challenge(db, title="Aaa heart challenge", rounds=2)
    second = await make_challenge(db, title="Bbb lung challenge", rounds=2)
    rounds = {
        challenge.id: list(
            await db.scalars(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))
        )
        for challenge in (first, second)
    }
    return steward, dataset, first, second, rounds


async def test_the_offer_form_lists_each_challenges_rounds_with_any_round_first(client, db):
    steward, dataset, first, second, rounds = await _steward_and_two_challenges(db)
    await sign_in(client, db, steward)
    page = (await client.get(f"/datasets/{dataset.slug}/offerings")).text
    select_html = page[
        page.index('<select id="offer-from_round"') : page.index(
            "</select>", page.index('<select id="offer-from_round"')
        )
    ]
    assert select_html.index("Any round") < select_html.index(f'<optgroup label="{first.title}">')
    for challenge in (first, second):
        group = select_html[select_html.index(f'<optgroup label="{challenge.title}">') :]
        group = group[: group.index("</optgroup>")]
        assert [f'value="{r.id}"' in group for r in rounds[challenge.id]] == [True, True]
    assert 'name="from_round" inputmode' not in page  # no longer a free text field


async def test_a_round_of_another_challenge_is_refused_with_a_message(client, db):
    steward, dataset, first, second, rounds = await _steward_and_two_challenges(db)
    await sign_in(client, db, steward)
    url = f"/datasets/{dataset.slug}/offerings"
    for bad in (str(rounds[second.id][1].id), "not-a-round"):
        refused = await client.submit(url, {"challenge": first.slug, "from_round": bad, **SAFES})
        assert refused.status_code == 422
        text = text_of(refused.text)
        assert (
            "This round is not a round of the chosen challenge."
            if bad != "not-a-round"
            else "Choose a round of the challenge."
        ) in text
        assert (
            f'<option value="{bad}" selected>' in refused.text or bad == "not-a-round"
        )  # the choice is kept
    assert (
        await db.scalar(select(func.count()).select_from(Offering).where(Offering.dataset_id == dataset.id))
        == 0
    )
    chosen = rounds[first.id][1]
    offered = await client.submit(url, {"challenge": first.slug, "from_round": str(chosen.id), **SAFES})
    assert offered.status_code == 303
    offering = await db.scalar(select(Offering).where(Offering.dataset_id == dataset.id))
    assert offering.from_round_id == chosen.id and offering.challenge_id == first.id
    page = text_of((await client.get(url)).text)
    assert f"Only for teams in {chosen.name} or later" in page


async def test_any_round_offers_to_every_round(client, db):
    steward, dataset, first, _second, _rounds = await _steward_and_two_challenges(db)
    await sign_in(client, db, steward)
    offered = await client.submit(
        f"/datasets/{dataset.slug}/offerings", {"challenge": first.slug, "from_round": "", **SAFES}
    )
    assert offered.status_code == 303
    offering = await db.scalar(select(Offering).where(Offering.dataset_id == dataset.id))
    assert offering.from_round_id is None
