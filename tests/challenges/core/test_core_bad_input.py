"""Junk sent to every form and API endpoint of the challenge core gets a 4xx with a message, never a 500."""

from __future__ import annotations

import pytest

from tests.challenges.core.helpers import send
from tests.challenges.core.test_core_permissions import ROUTES, names_for
from tests.conftest import text_of

JUNK = "\x00\x07" + "é" * 6000
# Routes whose bodies carry values; each gets junk in every value, then an empty body.
WITH_BODIES = [(m, p, d) for m, p, d, _e in ROUTES if m in ("POST", "PATCH") and d]
# Paths whose ids are not ids at all.
BAD_IDS = [
    ("POST", "/challenges/{public}/prizes/not-a-uuid/remove"),
    ("POST", "/challenges/{public}/rounds/123/fields"),
    ("GET", "/challenges/{public}/rounds/00000000-0000-0000-0000-000000000000"),
    ("POST", "/challenges/{public}/rounds/{round}/fields/00000000-0000-0000-0000-000000000000/remove"),
    ("POST", "/challenges/{public}/questions/nope/move"),
    ("PATCH", "/api/v1/challenges/{public}/rounds/00000000-0000-0000-0000-000000000000"),
    ("GET", "/programs/no-such-program"),
    ("GET", "/api/v1/programs/no-such-program"),
]


def junk_for(data):
    if isinstance(data, dict):
        return dict.fromkeys(data, JUNK)
    return JUNK


def explained(response) -> bool:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return bool(response.json().get("detail"))
    # A page says it above the form, beside a field, or on the error page.
    return any(
        mark in response.text for mark in ("flash flash-error", 'class="field-error"', 'class="error-page"')
    )


@pytest.mark.parametrize(
    ("method", "path", "data"), WITH_BODIES, ids=[f"{m} {p}" for m, p, _d in WITH_BODIES]
)
async def test_junk_values_are_refused_with_a_message(method, path, data, cast, browser, db, connection):
    names = await names_for(db, cast)
    client = await browser(cast.founder)
    url = path.format(**names)
    for body in (junk_for(data), {}):
        savepoint = await connection.begin_nested()
        try:
            response = await send(client, method, url, body)
        finally:
            await savepoint.rollback()
        assert 400 <= response.status_code < 500 or (body == {} and response.status_code in (200, 303)), (
            body is not None,
            response.status_code,
            text_of(response.text)[:300],
        )
        if response.status_code >= 400:
            assert explained(response), text_of(response.text)[:500]


@pytest.mark.parametrize(("method", "path"), BAD_IDS, ids=[f"{m} {p}" for m, p in BAD_IDS])
async def test_ids_that_do_not_exist_are_not_found(method, path, cast, browser, db):
    names = await names_for(db, cast)
    client = await browser(cast.founder)
    response = await send(
        client, method, path.format(**names), {"direction": "up"} if method == "POST" else {}
    )
    assert response.status_code == 404


async def test_json_that_is_not_an_object_is_refused(cast, browser):
    client = await browser(cast.founder)
    for content in (b"[]", b"null", b'"text"', b"{", b"\xff\xfe"):
        response = await client.request(
            "PATCH",
            f"/api/v1/challenges/{cast.draft.slug}",
            content=content,
            headers={"X-CSRF-Token": await client.csrf(), "content-type": "application/json"},
        )
        assert response.status_code == 400, content
        assert response.json()["detail"]


async def test_a_move_in_an_unknown_direction_is_refused(cast, browser, db):
    names = await names_for(db, cast)
    client = await browser(cast.founder)
    response = await client.submit(
        f"/challenges/{cast.public.slug}/prizes/{names['prize']}/move", {"direction": "sideways"}
    )
    assert response.status_code == 400
    assert "Choose to move it up or down." in text_of(response.text)


async def test_dates_far_outside_any_challenge_are_refused_not_overflowed(cast, browser):
    client = await browser(cast.founder)
    page = await client.submit(
        f"/challenges/{cast.draft.slug}/timeline",
        {"registration_opens_at": "9999-12-31T23:59", "results_at": "0001-01-01T00:00"},
    )
    assert page.status_code == 422
    assert text_of(page.text).count("Enter a date between 2000 and 2199.") == 2
    api = await send(
        client, "PATCH", f"/api/v1/challenges/{cast.draft.slug}", {"results_at": "0001-01-01T00:00:00+05:00"}
    )
    assert api.status_code == 422 and api.json()["errors"][0]["key"] == "results_at"
    program = await client.submit(
        "/programs",
        {
            "title": "Far",
            "kind": "technology",
            "starts_on": "9999-01-01",
            "ends_on": "9999-06-01",
            "organizations": cast.organization.slug,
        },
    )
    assert program.status_code == 422 and "Enter a date between 2000 and 2199." in text_of(program.text)
