"""The rubric editor of a round: criteria with a weight, a scale and a descriptor per level; validation
messages; reorder, remove, copy; the freeze once a review is finalized; the API; who may do what."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.judging.models import Criterion
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization
from tests.judging.setup_support import (
    as_user,
    audit_entries,
    finalize_a_review,
    headers,
    make_setup_cast,
)

SCALE = {"weight": "2", "scale_min": "1", "scale_max": "5", "scale_step": "1"}


@pytest.fixture
async def cast(db):
    return await make_setup_cast(db)


@pytest.fixture
async def empty(db):
    """A judged round without any criterion yet."""
    return await make_setup_cast(db, criteria=0)


async def criteria_of(db, round_) -> list[Criterion]:
    statement = select(Criterion).where(Criterion.round_id == round_.id).order_by(Criterion.position)
    return list(await db.scalars(statement.execution_options(populate_existing=True)))


def criterion_form(**values: str) -> dict[str, str]:
    return {"name": "Clinical value", "description": "Does it help patients?", **SCALE, **values}


# --- defining criteria ------------------------------------------------------------------------------------


async def test_a_founder_defines_a_criterion_with_a_descriptor_per_level(empty, client, db):
    await as_user(client, db, empty.founder)
    form = criterion_form(
        **{"level.1": "No evidence", "level.3": "Some evidence", "level.5": "Trial results"}
    )
    response = await client.submit(empty.page + "/rubric/criteria", form)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/judging/rubric#rubric")
    [criterion] = await criteria_of(db, empty.round)
    assert (
        criterion.name,
        criterion.weight,
        criterion.scale_min,
        criterion.scale_max,
        criterion.scale_step,
    ) == (
        "Clinical value",
        Decimal(2),
        Decimal(1),
        Decimal(5),
        Decimal(1),
    )
    assert criterion.descriptors == [
        {"value": 1, "text": "No evidence"},
        {"value": 2, "text": ""},
        {"value": 3, "text": "Some evidence"},
        {"value": 4, "text": ""},
        {"value": 5, "text": "Trial results"},
    ]
    page = text_of((await client.get(empty.page + "/rubric")).text)
    assert "Clinical value was added." in page
    assert "Weight 2: 100% of the total" in page
    assert "Scale from 1 to 5 by 1" in page
    assert "3 Some evidence" in page


async def test_weights_are_shown_as_shares_of_the_total(cast, client, db):
    # make_judged_round's criteria weigh 1 and 2.
    await as_user(client, db, cast.founder)
    page = text_of((await client.get(cast.page + "/rubric")).text)
    assert "Weight 1: 33.3% of the total" in page
    assert "Weight 2: 66.7% of the total" in page
    assert "(3)" in page


async def test_decimal_scales_and_commas_are_understood(empty, client, db):
    await as_user(client, db, empty.founder)
    form = criterion_form(
        weight="1,5", scale_min="0", scale_max="2", scale_step="0.5", **{"level.1.5": "Good"}
    )
    assert (await client.submit(empty.page + "/rubric/criteria", form)).status_code == 303
    [criterion] = await criteria_of(db, empty.round)
    assert criterion.weight == Decimal("1.5")
    assert [item["value"] for item in criterion.descriptors] == [0, 0.5, 1, 1.5, 2]
    assert criterion.descriptors[3]["text"] == "Good"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "This field is required."),
        (
            {"weight": "0"},
            "weight",
            "Enter a weight greater than 0 and at most 1000, with at most two decimals.",
        ),
        ({"weight": "-1"}, "weight", "Enter a weight greater than 0"),
        ({"weight": "heavy"}, "weight", "Enter a weight greater than 0"),
        ({"weight": "1.234"}, "weight", "with at most two decimals"),
        (
            {"scale_min": "5", "scale_max": "5"},
            "scale_max",
            "The highest value must be above the lowest one.",
        ),
        (
            {"scale_min": "5", "scale_max": "1"},
            "scale_max",
            "The highest value must be above the lowest one.",
        ),
        ({"scale_step": "0"}, "scale_step", "Enter a step greater than 0, with at most two decimals."),
        ({"scale_step": "-1"}, "scale_step", "Enter a step greater than 0"),
        (
            {"scale_max": "10", "scale_step": "4"},
            "scale_step",
            "Steps of 4 from 1 do not land on 10: choose a step that divides 9.",
        ),
        (
            {"scale_min": "0", "scale_max": "100"},
            "scale_step",
            "This scale has 101 levels; use at most 21 (a larger step or a narrower range).",
        ),
        ({"scale_max": "NaN"}, "scale_max", "Enter a number between -10000 and 10000"),
        ({"scale_max": "1e9"}, "scale_max", "Enter a number between -10000 and 10000"),
        ({"level.3": "x" * 501}, "level.3", "Use at most 500 characters."),
    ],
)
async def test_bad_criteria_are_refused_beside_the_field(empty, client, db, changes, field, message):
    await as_user(client, db, empty.founder)
    response = await client.submit(empty.page + "/rubric/criteria", criterion_form(**changes))
    assert response.status_code == 422
    assert message in text_of(response.text)
    if field.startswith("level."):
        assert 'aria-invalid="true" aria-describedby="criterion-new-level-3-error"' in response.text
    else:
        assert f'aria-describedby="criterion-new-{field}-error"' in response.text
    assert await criteria_of(db, empty.round) == []


async def test_twenty_one_levels_is_the_most(empty, client, db):
    await as_user(client, db, empty.founder)
    ok = criterion_form(scale_min="0", scale_max="10", scale_step="0.5")
    assert (await client.submit(empty.page + "/rubric/criteria", ok)).status_code == 303
    too_many = criterion_form(scale_min="0", scale_max="10.5", scale_step="0.5")
    response = await client.submit(empty.page + "/rubric/criteria", too_many)
    assert response.status_code == 422
    assert "This scale has 22 levels; use at most 21" in text_of(response.text)


async def test_a_refused_form_keeps_what_was_typed(empty, client, db):
    await as_user(client, db, empty.founder)
    form = criterion_form(weight="0", **{"level.2": "Barely"})
    response = await client.htmx("POST", empty.page + "/rubric/criteria", data=form)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="rubric"')
    assert 'value="Barely"' in response.text and 'value="Clinical value"' in response.text


async def test_htmx_answers_a_change_with_the_section(empty, client, db):
    await as_user(client, db, empty.founder)
    response = await client.htmx("POST", empty.page + "/rubric/criteria", data=criterion_form())
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="rubric"')
    assert "Clinical value was added." in text_of(response.text)


async def test_the_levels_follow_the_scale_typed(empty, client, db):
    await as_user(client, db, empty.founder)
    form = criterion_form(
        scale_min="0", scale_max="4", scale_step="2", form_key="new", **{"level.2": "Middle"}
    )
    fragment = await client.htmx("POST", empty.page + "/rubric/levels", data=form)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<fieldset id="criterion-new-levels"')
    assert re.findall(r'name="level\.([^"]+)"', fragment.text) == ["0", "2", "4"]
    assert 'value="Middle"' in fragment.text
    # Without JavaScript: the page, that form showing the new levels; nothing saved.
    page = await client.submit(empty.page + "/rubric/levels", form)
    assert page.status_code == 200
    assert re.findall(r'name="level\.([^"]+)"', page.text) == ["0", "2", "4"]
    wrong = await client.submit(empty.page + "/rubric/levels", {**form, "scale_step": "3"})
    assert "Correct the scale above to describe its levels." in text_of(wrong.text)
    assert "Steps of 3 from 0 do not land on 4" in text_of(wrong.text)
    assert await criteria_of(db, empty.round) == []


async def test_editing_keeps_descriptors_on_the_levels_that_remain(empty, client, db):
    await as_user(client, db, empty.founder)
    form = criterion_form(**{"level.1": "Weak", "level.5": "Strong"})
    await client.submit(empty.page + "/rubric/criteria", form)
    [criterion] = await criteria_of(db, empty.round)
    # The edit form posts the levels it showed (1..5); the new scale 1..9 by 2 keeps 1 and 5 and adds 7, 9.
    edit = {
        **form,
        "name": "Clinical benefit",
        "scale_max": "9",
        "scale_step": "2",
        "level.5": "Strong, proven",
    }
    response = await client.submit(f"{empty.page}/rubric/criteria/{criterion.id}", edit)
    assert response.status_code == 303
    [criterion] = await criteria_of(db, empty.round)
    assert criterion.name == "Clinical benefit"
    assert criterion.descriptors == [
        {"value": 1, "text": "Weak"},
        {"value": 3, "text": ""},
        {"value": 5, "text": "Strong, proven"},
        {"value": 7, "text": ""},
        {"value": 9, "text": ""},
    ]


async def test_criteria_move_up_and_down_and_are_removed(cast, client, db):
    await as_user(client, db, cast.founder)
    first, second = await criteria_of(db, cast.round)
    await client.submit(f"{cast.page}/rubric/criteria/{second.id}/move", {"direction": "up"})
    assert [c.name for c in await criteria_of(db, cast.round)] == ["Criterion 2", "Criterion 1"]
    # At the top already: nothing moves.
    await client.submit(f"{cast.page}/rubric/criteria/{second.id}/move", {"direction": "up"})
    assert [c.name for c in await criteria_of(db, cast.round)] == ["Criterion 2", "Criterion 1"]
    await client.submit(f"{cast.page}/rubric/criteria/{second.id}/move", {"direction": "down"})
    assert [(c.name, c.position) for c in await criteria_of(db, cast.round)] == [
        ("Criterion 1", 1),
        ("Criterion 2", 2),
    ]
    bad = await client.submit(f"{cast.page}/rubric/criteria/{second.id}/move", {"direction": "sideways"})
    assert bad.status_code == 400
    response = await client.submit(f"{cast.page}/rubric/criteria/{first.id}/remove")
    assert response.status_code == 303
    assert [(c.name, c.position) for c in await criteria_of(db, cast.round)] == [("Criterion 2", 1)]
    gone = await client.submit(f"{cast.page}/rubric/criteria/{first.id}/remove")
    assert gone.status_code == 404


async def test_a_criterion_of_another_round_is_not_found(cast, client, db):
    other = await make_setup_cast(db)
    [foreign, _second] = await criteria_of(db, other.round)
    await as_user(client, db, cast.founder)
    response = await client.submit(f"{cast.page}/rubric/criteria/{foreign.id}", criterion_form())
    assert response.status_code == 404
    # A round under another challenge's slug is not found either.
    wrong_slug = f"/challenges/{other.challenge.slug}/rounds/{cast.round.id}/judging/rubric"
    assert (await client.get(wrong_slug)).status_code == 404


async def test_a_rubric_has_at_most_thirty_criteria(empty, client, db):
    for position in range(30):
        db.add(Criterion(round_id=empty.round.id, position=position, name=f"C{position}"))
    await db.flush()
    await as_user(client, db, empty.founder)
    response = await client.submit(empty.page + "/rubric/criteria", criterion_form())
    assert response.status_code == 422
    assert "A rubric has at most 30 criteria." in text_of(response.text)


# --- copying -----------------------------------------------------------------------------------------------


async def test_an_empty_rubric_is_filled_by_copying_another_rounds(db, client):
    cast = await make_setup_cast(db, rounds=2, criteria=2)
    second = cast.jr.rounds[1]
    source = (await criteria_of(db, cast.round))[0]
    source.descriptors = [{"value": 0, "text": "None"}]
    await db.flush()
    await as_user(client, db, cast.founder)
    page = f"/challenges/{cast.challenge.slug}/rounds/{second.id}/judging/rubric"
    offered = text_of((await client.get(page)).text)
    assert f"{cast.challenge.title} — Round 1 (2 criteria)" in offered
    response = await client.submit(page + "/copy", {"source_round_id": str(cast.round.id)})
    assert response.status_code == 303
    copies = await criteria_of(db, second)
    assert [(c.name, c.weight, c.position) for c in copies] == [("Criterion 1", 1, 1), ("Criterion 2", 2, 2)]
    assert copies[0].descriptors == [{"value": 0, "text": "None"}] and copies[0].id != source.id
    [entry] = await audit_entries(db, "rubric:copy", second.id)
    assert entry.details["criteria"] == 2
    # Not empty any more: a second copy is refused with the reason, and nothing changes.
    again = await client.submit(page + "/copy", {"source_round_id": str(cast.round.id)})
    assert again.status_code == 409
    assert "This rubric already has criteria: a copy only fills an empty rubric." in text_of(again.text)
    assert len(await criteria_of(db, second)) == 2


async def test_a_rubric_is_copied_from_another_challenge_the_founder_runs(empty, client, db):
    other = await make_challenge(db, title="Earlier Challenge")
    from app.challenges.models import ChallengeOrganizer, Round
    from app.organizations.models import OrganizationMember

    membership = await db.scalar(
        select(OrganizationMember).where(OrganizationMember.user_id == empty.founder.id)
    )
    db.add(ChallengeOrganizer(challenge_id=other.id, organization_id=membership.organization_id))
    other_round = await db.scalar(select(Round).where(Round.challenge_id == other.id))
    db.add(Criterion(round_id=other_round.id, position=1, name="Feasibility", weight=3))
    await db.flush()
    await as_user(client, db, empty.founder)
    response = await client.submit(empty.page + "/rubric/copy", {"source_round_id": str(other_round.id)})
    assert response.status_code == 303
    assert [c.name for c in await criteria_of(db, empty.round)] == ["Feasibility"]


async def test_copying_needs_a_rubric_of_ones_own_with_criteria(empty, client, db):
    stranger = await make_setup_cast(db)
    await as_user(client, db, empty.founder)
    url = empty.page + "/rubric/copy"
    # A round of a (public) challenge someone else runs: seen, not copied (nor offered).
    assert (await client.submit(url, {"source_round_id": str(stranger.round.id)})).status_code == 403
    assert "Round 1 (2 criteria)" not in text_of((await client.get(empty.page + "/rubric")).text)
    assert (await client.submit(url, {"source_round_id": str(uuid.uuid4())})).status_code == 404
    nothing = await client.submit(url, {"source_round_id": ""})
    assert nothing.status_code == 422 and "Choose the round whose rubric to copy." in text_of(nothing.text)
    itself = await client.submit(url, {"source_round_id": str(empty.round.id)})
    assert itself.status_code == 422 and "Choose another round than this one." in text_of(itself.text)
    blank = await make_setup_cast(db, criteria=0)
    await blank_founded_by(db, blank, empty.founder)
    refused = await client.submit(url, {"source_round_id": str(blank.round.id)})
    assert refused.status_code == 409 and "Round 1 has no criteria to copy." in text_of(refused.text)


async def blank_founded_by(db, cast, founder):
    from app.challenges.models import ChallengeOrganizer
    from app.organizations.models import OrganizationMember

    membership = await db.scalar(select(OrganizationMember).where(OrganizationMember.user_id == founder.id))
    db.add(ChallengeOrganizer(challenge_id=cast.challenge.id, organization_id=membership.organization_id))
    await db.flush()


# --- the freeze --------------------------------------------------------------------------------------------


async def test_a_finalized_review_freezes_the_rubric_and_the_page_says_why(cast, client, db):
    await finalize_a_review(db, cast)
    await as_user(client, db, cast.founder)
    page = await client.get(cast.page + "/rubric")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "This rubric can no longer change." in shown
    assert "when a judge finalized the first review of this round" in shown
    assert "Add a criterion" not in shown and "Edit Criterion 1" not in shown
    assert "Criterion 1" in shown


async def test_every_change_to_a_frozen_rubric_is_refused_with_the_reason(cast, client, db):
    criterion = (await criteria_of(db, cast.round))[0]
    await finalize_a_review(db, cast)
    await as_user(client, db, cast.founder)
    path = f"{cast.page}/rubric/criteria/{criterion.id}"
    attempts = [
        (cast.page + "/rubric/criteria", criterion_form()),
        (path, criterion_form()),
        (path + "/move", {"direction": "down"}),
        (path + "/remove", {}),
        (cast.page + "/rubric/copy", {"source_round_id": str(uuid.uuid4())}),
    ]
    for url, form in attempts:
        response = await client.submit(url, form)
        assert response.status_code == 409, url
        assert "The rubric is frozen since" in text_of(response.text), url
        htmx = await client.htmx("POST", url, data=form)
        assert htmx.status_code == 409 and htmx.text.lstrip().startswith('<section id="rubric"'), url
    api = cast.api + "/rubric/criteria"
    h = await headers(client)
    refusals = [
        await client.post(api, json={"name": "New"}, headers=h),
        await client.patch(f"{api}/{criterion.id}", json={"weight": 5}, headers=h),
        await client.delete(f"{api}/{criterion.id}", headers=h),
        await client.post(f"{api}/{criterion.id}/move", json={"direction": "down"}, headers=h),
        await client.post(cast.api + "/rubric/copy", json={"source_round_id": str(uuid.uuid4())}, headers=h),
    ]
    for response in refusals:
        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "The rubric is frozen since" in response.json()["detail"]
    [(name, weight)] = [(c.name, c.weight) for c in await criteria_of(db, cast.round)][:1]
    assert (name, weight) == ("Criterion 1", 1)
    assert len(await criteria_of(db, cast.round)) == 2


async def test_a_draft_review_does_not_freeze_the_rubric(cast, client, db):
    from app.judging.models import Review

    db.add(Review(submission_id=cast.jr.entries[0].id, user_id=cast.judge.id, round_id=cast.round.id))
    await db.flush()
    await as_user(client, db, cast.founder)
    assert (await client.submit(cast.page + "/rubric/criteria", criterion_form())).status_code == 303


# --- API ---------------------------------------------------------------------------------------------------


async def test_judges_read_the_rubric_through_the_api(cast, client, db):
    criterion = (await criteria_of(db, cast.round))[0]
    criterion.descriptors = [{"value": 10, "text": "Outstanding"}]
    await db.flush()
    await as_user(client, db, cast.judge)
    response = await client.get(cast.api + "/rubric")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["frozen"], body["total_weight"]) == (False, 3.0)
    first = body["criteria"][0]
    assert (first["name"], first["weight"], first["share"], first["scale_max"]) == (
        "Criterion 1",
        1.0,
        33.3,
        10.0,
    )
    assert len(first["levels"]) == 11 and first["levels"][-1] == {"value": 10.0, "text": "Outstanding"}


async def test_founders_change_the_rubric_through_the_api(empty, client, db):
    await as_user(client, db, empty.founder)
    h = await headers(client)
    api = empty.api + "/rubric/criteria"
    created = await client.post(
        api,
        json={
            "name": "Impact",
            "weight": 2.5,
            "scale_min": 0,
            "scale_max": 3,
            "descriptors": [{"value": 3, "text": "Big"}],
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["weight"], body["share"]) == ("Impact", 2.5, 100.0)
    assert body["levels"] == [
        {"value": 0.0, "text": ""},
        {"value": 1.0, "text": ""},
        {"value": 2.0, "text": ""},
        {"value": 3.0, "text": "Big"},
    ]
    second = (await client.post(api, json={"name": "Team"}, headers=h)).json()
    assert (second["scale_min"], second["scale_max"], second["weight"]) == (1.0, 5.0, 1.0)
    patched = await client.patch(f"{api}/{body['id']}", json={"scale_max": 2}, headers=h)
    assert patched.status_code == 200
    assert [level["value"] for level in patched.json()["levels"]] == [0.0, 1.0, 2.0]
    moved = await client.post(f"{api}/{second['id']}/move", json={"direction": "up"}, headers=h)
    assert [c["name"] for c in moved.json()["criteria"]] == ["Team", "Impact"]
    assert (await client.delete(f"{api}/{second['id']}", headers=h)).status_code == 204
    assert [c["name"] for c in (await client.get(empty.api + "/rubric")).json()["criteria"]] == ["Impact"]


async def test_the_api_refuses_bad_criteria_with_problem_details(empty, client, db):
    await as_user(client, db, empty.founder)
    h = await headers(client)
    api = empty.api + "/rubric/criteria"
    response = await client.post(
        api, json={"name": "X", "scale_min": 0, "scale_max": 10, "scale_step": 3}, headers=h
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {
            "key": "scale_step",
            "message": "Steps of 3 from 0 do not land on 10: choose a step that divides 10.",
            "source": "body",
        }
    ]
    off_scale = await client.post(
        api, json={"name": "X", "descriptors": [{"value": 7, "text": "?"}]}, headers=h
    )
    assert off_scale.status_code == 422
    assert off_scale.json()["errors"][0] == {
        "key": "descriptors",
        "message": "7 is not a level of this scale.",
        "source": "body",
    }
    unknown = await client.post(api, json={"name": "X", "position": 1}, headers=h)
    assert unknown.status_code == 400
    typed = await client.post(api, json={"name": "X", "weight": "heavy"}, headers=h)
    assert typed.status_code == 400
    assert await criteria_of(db, empty.round) == []


# --- who may do what ---------------------------------------------------------------------------------------

ROLES_DENIED = [("judge", 403), ("team_member", 403), ("outsider", 403), ("admin", 403)]


def page_routes(cast, criterion_id):
    base = cast.page + "/rubric"
    crit = f"{base}/criteria/{criterion_id}"
    return [
        ("GET", base, None),
        ("POST", base + "/criteria", criterion_form()),
        ("POST", crit, criterion_form()),
        ("POST", crit + "/move", {"direction": "down"}),
        ("POST", crit + "/remove", {}),
        ("POST", base + "/copy", {"source_round_id": str(uuid.uuid4())}),
        ("POST", base + "/levels", criterion_form()),
    ]


@pytest.mark.parametrize(("role", "status"), ROLES_DENIED)
async def test_only_founders_reach_the_rubric_pages(cast, client, db, role, status):
    criterion = (await criteria_of(db, cast.round))[0]
    await as_user(client, db, cast.person(role))
    for method, url, form in page_routes(cast, criterion.id):
        response = await client.get(url) if method == "GET" else await client.submit(url, form)
        assert response.status_code == status, (method, url)
    htmx = await client.htmx("POST", cast.page + "/rubric/levels", data=criterion_form())
    assert htmx.status_code == status
    assert [c.name for c in await criteria_of(db, cast.round)] == ["Criterion 1", "Criterion 2"]


async def test_visitors_are_sent_to_sign_in(cast, client, db):
    criterion = (await criteria_of(db, cast.round))[0]
    for method, url, form in page_routes(cast, criterion.id):
        response = await client.get(url) if method == "GET" else await client.submit(url, form)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), url
    assert (await client.get(cast.api + "/rubric")).status_code == 401


async def test_a_founder_allowed_on_every_rubric_page(cast, client, db):
    first, second = await criteria_of(db, cast.round)
    await as_user(client, db, cast.founder)
    assert (await client.get(cast.page + "/rubric")).status_code == 200
    assert (await client.submit(cast.page + "/rubric/levels", criterion_form())).status_code == 200
    assert (
        await client.submit(f"{cast.page}/rubric/criteria/{first.id}", criterion_form())
    ).status_code == 303
    assert (
        await client.submit(f"{cast.page}/rubric/criteria/{first.id}/move", {"direction": "down"})
    ).status_code == 303
    assert (await client.submit(f"{cast.page}/rubric/criteria/{first.id}/remove")).status_code == 303
    assert (await client.submit(f"{cast.page}/rubric/criteria/{second.id}/remove")).status_code == 303
    assert (await client.submit(cast.page + "/rubric/criteria", criterion_form())).status_code == 303


async def test_an_unpublished_challenges_rubric_is_not_found_for_others(db, client):
    cast = await make_setup_cast(db)
    cast.challenge.published_at = None
    await db.flush()
    await as_user(client, db, cast.outsider)
    assert (await client.get(cast.page + "/rubric")).status_code == 404
    assert (await client.get(cast.api + "/rubric")).status_code == 404


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("founder", 200, 201),
        ("judge", 200, 403),
        ("team_member", 403, 403),
        ("outsider", 403, 403),
        ("admin", 403, 403),
    ],
)
async def test_api_permissions_per_role(cast, client, db, role, read, write):
    criterion = (await criteria_of(db, cast.round))[0]
    await as_user(client, db, cast.person(role))
    h = await headers(client)
    api = cast.api + "/rubric"
    assert (await client.get(api)).status_code == read
    assert (await client.post(api + "/criteria", json={"name": "New"}, headers=h)).status_code == write
    changed = 200 if write == 201 else write
    crit = f"{api}/criteria/{criterion.id}"
    assert (await client.patch(crit, json={"weight": 4}, headers=h)).status_code == changed
    assert (await client.post(crit + "/move", json={"direction": "down"}, headers=h)).status_code == changed
    copy = await client.post(api + "/copy", json={"source_round_id": str(uuid.uuid4())}, headers=h)
    assert copy.status_code == (409 if write == 201 else write)
    assert (await client.delete(crit, headers=h)).status_code == (204 if write == 201 else write)


async def test_organizations_do_not_make_founders_of_other_challenges(cast, client, db):
    # Member of an organization that organizes nothing here: a plain signed-in person.
    person = cast.outsider
    await make_organization(db, owner=person, kind="hospital")
    await as_user(client, db, person)
    assert (await client.get(cast.page + "/rubric")).status_code == 403
