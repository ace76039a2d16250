"""Bad input on every team form and endpoint: a 4xx with a message a person can act on, never a server error,
and nothing changed."""

from __future__ import annotations

import pytest

from tests.conftest import text_of
from tests.teams.team_support import as_user, count_members, join_request, make_cast, send

NOWHERE = "00000000-0000-0000-0000-000000000001"
LONG = "x" * 3000

# (who, method, path, data, expected status, words the answer must contain)
CASES = [
    # pages
    ("participant", "POST", "/challenges/{slug}/teams/new", {}, 422, "at least 2 characters"),
    ("participant", "POST", "/challenges/{slug}/teams/new", {"name": LONG}, 422, "at most 120"),
    (
        "participant",
        "POST",
        "/challenges/{slug}/teams/new",
        {"name": "\x00\x00"},
        422,
        "at least 2 characters",
    ),
    (
        "participant",
        "POST",
        "/challenges/{slug}/teams/new",
        {"name": "Fine", "organization": "x"},
        422,
        "your organizations",
    ),
    ("participant", "POST", "/challenges/%00/teams/new", {"name": "Fine"}, 404, ""),
    ("participant", "GET", "/challenges/{slug}/teams/find?page=abc", None, 400, ""),
    ("participant", "GET", "/challenges/{slug}/teams/find?q=%00%25_", None, 200, ""),
    ("participant", "POST", "/teams/{team}/join-requests", {"message": LONG}, 422, "at most 1000"),
    ("participant", "POST", "/teams/not-a-team/join-requests", {}, 404, ""),
    ("participant", "POST", "/teams/{team}/join-requests/" + NOWHERE + "/cancel", {}, 404, ""),
    ("captain", "POST", "/teams/{team}/edit", {"name": ""}, 422, "at least 2 characters"),
    (
        "captain",
        "POST",
        "/teams/{team}/edit",
        {"name": "Good", "organization": "nope"},
        422,
        "your organizations",
    ),
    ("captain", "POST", "/teams/{team}/invitations", {}, 422, "valid e-mail"),
    ("captain", "POST", "/teams/{team}/invitations", {"email": "a\x00@b.org"}, 422, "valid e-mail"),
    ("captain", "POST", "/teams/{team}/invitations/" + NOWHERE + "/revoke", {}, 404, ""),
    ("captain", "POST", "/teams/{team}/invitations/not-an-id/revoke", {}, 404, ""),
    ("captain", "POST", "/teams/{team}/join-requests/{request}/decision", {}, 422, "approve or to decline"),
    (
        "captain",
        "POST",
        "/teams/{team}/join-requests/" + NOWHERE + "/decision",
        {"decision": "approve"},
        404,
        "",
    ),
    ("captain", "POST", "/teams/{team}/members/" + NOWHERE + "/remove", {}, 404, ""),
    ("captain", "POST", "/teams/{team}/captain", {}, 422, "member of the team"),
    ("captain", "POST", "/teams/{team}/captain", {"user_id": "nope"}, 422, "member of the team"),
    ("founder", "POST", "/teams/{team}/members", {}, 422, "valid e-mail"),
    (
        "founder",
        "POST",
        "/teams/{team}/members",
        {"email": "x@example.org", "reason": LONG},
        422,
        "at most 1000",
    ),
    ("founder", "POST", "/teams/{team}/captain", {"user_id": "{member}", "reason": ""}, 422, "Say why"),
    ("visitor", "GET", "/invitations/team/%00", None, 404, ""),
    ("visitor", "GET", "/invitations/team/" + LONG, None, 404, ""),
    ("participant", "POST", "/invitations/team/garbage", {}, 404, ""),
    # API
    ("participant", "POST", "/api/v1/challenges/{slug}/teams", {}, 400, "name"),
    ("participant", "POST", "/api/v1/challenges/{slug}/teams", {"name": 5}, 400, "name"),
    (
        "participant",
        "POST",
        "/api/v1/challenges/{slug}/teams",
        {"name": "Ok", "organization_id": "nope"},
        400,
        "",
    ),
    ("participant", "POST", "/api/v1/challenges/{slug}/teams", {"name": " "}, 422, "at least 2 characters"),
    ("participant", "POST", "/api/v1/challenges/{slug}/teams", "not json", 400, ""),
    ("participant", "GET", "/api/v1/challenges/{slug}/teams?page=0", None, 400, ""),
    ("captain", "PATCH", "/api/v1/teams/{team}", {"name": None}, 400, "name"),
    ("captain", "PATCH", "/api/v1/teams/{team}", {"gallery_opt_in": "yes"}, 400, "gallery_opt_in"),
    ("captain", "PATCH", "/api/v1/teams/{team}", {"name": "x"}, 422, "at least 2 characters"),
    ("captain", "PATCH", "/api/v1/teams/" + NOWHERE, {"name": "Fine"}, 404, ""),
    ("captain", "POST", "/api/v1/teams/{team}/captain", {}, 400, "user_id"),
    ("captain", "POST", "/api/v1/teams/{team}/captain", {"user_id": "nope"}, 400, "user_id"),
    ("captain", "POST", "/api/v1/teams/{team}/captain", {"user_id": NOWHERE}, 422, "member of the team"),
    ("captain", "DELETE", "/api/v1/teams/{team}/members/" + NOWHERE, None, 404, ""),
    ("founder", "DELETE", "/api/v1/teams/{team}/members/{member}?reason=" + LONG, None, 400, "reason"),
    ("founder", "POST", "/api/v1/teams/{team}/members", {"email": "", "reason": ""}, 422, "valid e-mail"),
    ("founder", "POST", "/api/v1/teams/{team}/members", {"email": "x@example.org"}, 400, "reason"),
    ("captain", "POST", "/api/v1/teams/{team}/invitations", {"email": 3}, 400, "email"),
    ("captain", "POST", "/api/v1/teams/{team}/invitations", {"email": "bad"}, 422, "valid e-mail"),
    ("captain", "DELETE", "/api/v1/teams/{team}/invitations/" + NOWHERE, None, 404, ""),
    ("participant", "POST", "/api/v1/invitations/team/garbage", None, 404, ""),
    ("participant", "POST", "/api/v1/teams/{team}/join-requests", {"message": ["x"]}, 400, "message"),
    ("participant", "POST", "/api/v1/teams/{team}/join-requests", {"message": LONG}, 422, "at most 1000"),
    ("participant", "DELETE", "/api/v1/teams/{team}/join-requests/" + NOWHERE, None, 404, ""),
    ("captain", "POST", "/api/v1/teams/{team}/join-requests/{request}/decision", {}, 400, "decision"),
    (
        "captain",
        "POST",
        "/api/v1/teams/{team}/join-requests/{request}/decision",
        {"decision": "yes"},
        422,
        "approve",
    ),
]


async def send_raw(client, method, url, data):
    if url.startswith("/api/") and isinstance(data, str):
        return await client.request(
            method,
            url,
            content=data,
            headers={"X-CSRF-Token": await client.csrf(), "content-type": "application/json"},
        )
    return await send(client, method, url, data)


def fill(value, names):
    if isinstance(value, str) and "{" in value and value != "not json":
        return (
            value.replace("{slug}", names["slug"])
            .replace("{team}", names["team"])
            .replace("{request}", names["request"])
            .replace("{member}", names["member"])
        )
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    ("who", "method", "path", "data", "status", "words"),
    CASES,
    ids=[f"{c[1]} {c[2][:60]} {str(c[3])[:30]}" for c in CASES],
)
async def test_bad_input_is_a_clear_client_error(who, method, path, data, status, words, client, db):
    cast = await make_cast(db)
    request = await join_request(db, cast.team, cast.participant)
    names = {
        "slug": cast.challenge.slug,
        "team": str(cast.team.id),
        "request": str(request.id),
        "member": str(cast.member.id),
    }
    await as_user(client, db, cast.person(who))
    response = await send_raw(client, method, fill(path, names), fill(data, names))
    assert response.status_code == status
    if path.startswith("/api/") and status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["detail"]
        assert words in str(problem)
    else:
        assert words in text_of(response.text)
    assert await count_members(db, cast.team) == (2, 2)
