"""A NUL byte in an address (search, filter, path) is refused with 400 before anything reads it, never a server
error: PostgreSQL refuses NUL in text."""

from __future__ import annotations

import pytest

from tests.factories import make_challenge, make_user, sign_in


@pytest.mark.parametrize(
    "url",
    [
        "/challenges?q={q}",
        "/api/v1/challenges?q={q}",
        "/datasets?q={q}",
        "/api/v1/datasets?q={q}",
        "/admin/users?q={q}",
        "/admin/organizations?q={q}",
        "/admin/mail?q={q}",
        "/api/v1/organizations?q={q}",
        "/challenges/{slug}/teams/find?q={q}",
        "/api/v1/challenges/{slug}/teams?q={q}",
        "/steward?team_name={q}&member={q}",
        "/api/v1/access-log?team_name={q}&member={q}",
    ],
)
async def test_a_nul_byte_in_a_search_is_not_a_server_error(client, db, url):
    admin = await make_user(db, admin=True)
    challenge = await make_challenge(db)
    await sign_in(client, db, admin)
    response = await client.get(url.format(q="car%00diac", slug=challenge.slug))
    assert response.status_code == 400, response.text[:300]
    assert "not allowed" in response.text
    # The same address without it goes on to the page's own rules (the teams lists are for participants).
    assert (await client.get(url.format(q="cardiac", slug=challenge.slug))).status_code in (200, 403)


async def test_a_nul_byte_in_a_path_is_refused_in_the_reader_s_language(client, db):
    await sign_in(client, db, await make_user(db, locale="fr"))
    response = await client.get("/challenges/a%00b")
    assert response.status_code == 400
    assert "caractère" in response.text
