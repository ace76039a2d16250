"""The judges' API: one's own review (never another judge's), saving scores and the overall comment all or
nothing, finalizing, the judging clock, and who may call it; refusals are problem+json with their reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.judging.models import Review, Score
from tests.judging.scoring_support import API_ROLES, PITCH, as_user, make_cast, set_clock, value


@pytest.fixture
async def cast(db):
    return await make_cast(db)


async def call(client, method: str, url: str, **kwargs):
    return await client.request(method, url, headers={"X-CSRF-Token": await client.csrf()}, **kwargs)


def scores_body(cast, *values, comment=None) -> dict:
    body: dict = {
        "scores": {
            str(c.id): {"value": v, "comment": f"on {c.name}"}
            for c, v in zip(cast.criteria, values, strict=False)
        }
    }
    if comment is not None:
        body["comment"] = comment
    return body


async def stored(db, cast, user) -> dict:
    rows = await db.execute(
        select(Score.criterion_id, Score.value)
        .join(Review, Review.id == Score.review_id)
        .where(Review.submission_id == cast.entry.id, Review.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    return dict(rows.all())


async def test_get_gives_the_rubric_the_entry_and_an_empty_review_at_first(client, db, cast):
    await as_user(client, db, cast.judge)
    response = await client.get(cast.api)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "not_started" and body["scores"] == {} and body["comment"] == ""
    assert body["judging"]["state"] == "open"
    assert [c["name"] for c in body["criteria"]] == ["Criterion 1", "Criterion 2"]
    assert body["criteria"][1]["weight"] == 2 and body["criteria"][0]["scale_max"] == 10
    assert len(body["criteria"][0]["levels"]) == 11
    assert body["answers"] == {"pitch": PITCH}


async def test_put_saves_several_scores_and_the_comment(client, db, cast):
    await as_user(client, db, cast.judge)
    response = await call(client, "PUT", cast.api, json=scores_body(cast, 7, 8.0, comment="Solid."))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "draft" and body["comment"] == "Solid."
    assert {key: item["value"] for key, item in body["scores"].items()} == {
        str(cast.criteria[0].id): 7,
        str(cast.criteria[1].id): 8,
    }
    assert body["scores"][str(cast.criteria[0].id)]["comment"] == "on Criterion 1"
    # A later PUT of one criterion leaves the other, and the comment when absent.
    again = await call(client, "PUT", cast.api, json={"scores": {str(cast.criteria[0].id): {"value": "3"}}})
    assert again.status_code == 200
    assert again.json()["comment"] == "Solid."
    assert await stored(db, cast, cast.judge) == {
        cast.criteria[0].id: value(3),
        cast.criteria[1].id: value(8),
    }


async def test_put_refuses_bad_values_all_or_nothing_with_reasons_by_criterion(client, db, cast):
    await as_user(client, db, cast.judge)
    first, second = cast.criteria
    response = await call(
        client, "PUT", cast.api,
        json={"scores": {str(first.id): {"value": 5}, str(second.id): {"value": 9.5}}, "comment": "x" * 10_001},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {error["key"]: error["message"] for error in response.json()["errors"]}
    assert errors == {
        f"scores.{second.id}": "9.5 is not a level of the scale: choose from 0 to 10 in steps of 1.",
        "comment": "Use at most 10000 characters.",
    }
    assert await stored(db, cast, cast.judge) == {}


async def test_put_refuses_a_criterion_of_another_round(client, db, cast):
    from tests.factories import make_judged_round

    elsewhere = await make_judged_round(db, teams=1, judges=1)
    await as_user(client, db, cast.judge)
    response = await call(
        client, "PUT", cast.api, json={"scores": {str(elsewhere.criteria[0].id): {"value": 5}}}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "This is not a criterion of this round’s rubric."


@pytest.mark.parametrize(
    "body",
    [
        {"scores": {}, "user_id": "00000000-0000-0000-0000-000000000000"},
        {"scores": {}, "finalized_at": "2026-01-01T00:00:00Z"},
        {"scores": {"not-a-uuid": {"value": 1}}},
        {"scores": {"00000000-0000-0000-0000-000000000000": {"value": "high"}}},
        {"scores": {"00000000-0000-0000-0000-000000000000": {"value": 1, "judge": "someone"}}},
    ],
)
async def test_put_takes_no_owner_status_or_malformed_values(client, db, cast, body):
    await as_user(client, db, cast.judge)
    response = await call(client, "PUT", cast.api, json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_finalize_names_the_missing_criteria_then_finalizes(client, db, cast):
    await as_user(client, db, cast.judge)
    await call(client, "PUT", cast.api, json=scores_body(cast, 6))
    refused = await call(client, "POST", cast.api + "/finalize")
    assert refused.status_code == 422
    errors = {error["key"]: error["message"] for error in refused.json()["errors"]}
    assert errors["finalize"] == "Score every criterion before finalizing. Missing: Criterion 2."
    assert errors[f"scores.{cast.criteria[1].id}"] == "Score this criterion before finalizing."
    await call(client, "PUT", cast.api, json=scores_body(cast, 6, 9))
    done = await call(client, "POST", cast.api + "/finalize")
    assert done.status_code == 200 and done.json()["status"] == "finalized" and done.json()["finalized_at"]
    # Still editable while judging is open, and still final; clearing a value is refused.
    edited = await call(client, "PUT", cast.api, json=scores_body(cast, 5))
    assert edited.status_code == 200 and edited.json()["status"] == "finalized"
    cleared = await call(
        client, "PUT", cast.api, json={"scores": {str(cast.criteria[0].id): {"value": None}}}
    )
    assert cleared.status_code == 422


async def test_get_never_returns_another_judges_review(client, db, cast):
    await as_user(client, db, cast.other_judge)
    await call(client, "PUT", cast.api, json=scores_body(cast, 1, 2, comment="Otto's private view"))
    await as_user(client, db, cast.judge)
    body = (await client.get(cast.api)).json()
    assert body["scores"] == {} and body["comment"] == "" and body["status"] == "not_started"
    assert "Otto" not in str(body)


async def test_writes_before_the_deadline_are_refused_with_409(client, db, cast):
    await as_user(client, db, cast.judge)
    await set_clock(db, cast, deadline=cast.judged.now + dt.timedelta(days=1))
    response = await call(client, "PUT", cast.api, json=scores_body(cast, 5, 5))
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Judging of this round opens on")
    assert (await client.get(cast.api)).json()["judging"]["state"] == "not_open"


@pytest.mark.parametrize(("role", "expected"), API_ROLES)
async def test_api_permissions(client, db, cast, role, expected):
    await as_user(client, db, cast.role(role))
    get = await client.get(cast.api)
    put = await call(client, "PUT", cast.api, json=scores_body(cast, 4, 4))
    finalize = await call(client, "POST", cast.api + "/finalize")
    for response in (get, put, finalize):
        assert response.status_code == expected, response.text
        if expected != 200:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert PITCH not in response.text
    user = cast.role(role)
    if expected != 200 and user is not None:
        assert await stored(db, cast, user) == {}


async def test_an_api_token_reaches_the_same_review(client, db, cast):
    from app.accounts.api_tokens import create_token
    from app.accounts.sessions import actor_from_user

    _token, token = await create_token(db, actor_from_user(cast.judge), name="scoring script")
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    saved = await client.put(cast.api, json=scores_body(cast, 2, 3), headers=headers)
    assert saved.status_code == 200, saved.text
    assert (await client.post(cast.api + "/finalize", headers=headers)).json()["status"] == "finalized"
