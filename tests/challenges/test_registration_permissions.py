"""Every registration route, asked over HTTP by each member of the cast.

Allowed answers are 200/201/303, refusals 403/404 (or the sign-in redirect / 401 for visitors), a
refused business rule 409; never a 500. Each person's request runs in a savepoint rolled back
afterwards, so what one does (register, withdraw, decide) never changes what the next one meets.
"""

from __future__ import annotations

import pytest

from tests.challenges.registration_support import QUESTIONS, as_user, make_cast, send
from tests.factories import make_challenge, make_founder, make_registration, make_user

CAST = ("visitor", "founder", "other_founder", "participant", "registered", "admin")
LOGIN = "sign-in"
FORM = {"accept_rules_version": "1", "answer.pitch": "Hearts."}
BODY = {"accept_rules_version": 1, "answers": {"pitch": "Hearts."}}

# (method, path, data, expected for visitor, founder, other_founder, participant, registered, admin)
ROUTES = [
    ("GET", "/challenges/{slug}/register", None, (LOGIN, 403, 200, 200, 303, 200)),
    ("POST", "/challenges/{slug}/register", FORM, (LOGIN, 403, 303, 303, 409, 303)),
    ("GET", "/challenges/{slug}/registration", None, (LOGIN, 403, 403, 403, 200, 403)),
    ("POST", "/challenges/{slug}/registration/withdraw", None, (LOGIN, 403, 403, 403, 303, 403)),
    (
        "POST",
        "/challenges/{slug}/registration/rules",
        {"accept_rules_version": "1"},
        (LOGIN, 403, 403, 403, 303, 403),
    ),
    ("GET", "/challenges/{slug}/registrations", None, (LOGIN, 200, 403, 403, 403, 200)),
    (
        "POST",
        "/challenges/{slug}/registrations/decisions",
        {"ids": "{pending}", "decision": "approve"},
        (LOGIN, 303, 403, 403, 403, 403),
    ),
    (
        "POST",
        "/challenges/{slug}/registrations/{pending}/decision",
        {"decision": "reject", "reason": "No."},
        (LOGIN, 303, 403, 403, 403, 403),
    ),
    ("GET", "/challenges/{slug}/invitation", None, (LOGIN, 200, 403, 403, 403, 403)),
    ("POST", "/challenges/{slug}/invitation", None, (LOGIN, 303, 403, 403, 403, 403)),
    ("POST", "/challenges/{slug}/invitation/disable", None, (LOGIN, 303, 403, 403, 403, 403)),
    # The challenge is public: everyone signed in sees it already, so the link leads straight to it.
    ("GET", "/challenges/join/{token}", None, (LOGIN, 303, 303, 303, 303, 303)),
    ("POST", "/challenges/join/{token}", None, (LOGIN, 303, 303, 303, 303, 303)),
    ("GET", "/api/v1/challenges/{slug}/registration", None, (401, 403, 403, 403, 200, 403)),
    ("POST", "/api/v1/challenges/{slug}/registration", BODY, (401, 403, 201, 201, 409, 201)),
    ("DELETE", "/api/v1/challenges/{slug}/registration", None, (401, 403, 403, 403, 200, 403)),
    (
        "POST",
        "/api/v1/challenges/{slug}/registration/rules",
        {"accept_rules_version": 1},
        (401, 403, 403, 403, 200, 403),
    ),
    ("GET", "/api/v1/challenges/{slug}/registrations", None, (401, 200, 403, 403, 403, 200)),
    (
        "POST",
        "/api/v1/challenges/{slug}/registrations/decisions",
        [{"id": "{pending}", "decision": "approve"}],
        (401, 200, 403, 403, 403, 403),
    ),
]
# Following the link is what makes an invitation-only challenge visible: tested on its own.
CHALLENGE_ROUTES = [route for route in ROUTES if "/join/" not in route[1]]


def answer(response) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return LOGIN
    return response.status_code


def filled(value, names: dict[str, str]):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [filled(item, names) for item in value]
    if isinstance(value, dict):
        return {key: filled(item, names) for key, item in value.items()}
    return value


async def ask_everyone(client, db, connection, people, method, path, data, names):
    url, data = filled(path, names), filled(data, names)
    answers = {}
    for role, person in people.items():
        await as_user(client, db, person)
        savepoint = await connection.begin_nested()
        try:
            answers[role] = answer(await send(client, method, url, data))
        finally:
            await savepoint.rollback()
    return answers


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _d, _e in ROUTES]
)
async def test_each_role_gets_the_expected_answer(method, path, data, expected, client, db, connection):
    cast = await make_cast(db, invitation_token="t" * 32)
    pending = await make_registration(db, cast.challenge, await make_user(db), status="pending")
    people = {role: getattr(cast, role, None) for role in CAST}
    names = {"slug": cast.challenge.slug, "pending": str(pending.id), "token": "t" * 32}
    answers = await ask_everyone(client, db, connection, people, method, path, data, names)
    assert answers == dict(zip(CAST, expected, strict=True))


@pytest.mark.parametrize("visibility", ["invitation", "draft"])
@pytest.mark.parametrize(
    ("method", "path", "data", "_expected"),
    CHALLENGE_ROUTES,
    ids=[f"{m} {p}" for m, p, _d, _e in CHALLENGE_ROUTES],
)
async def test_hidden_challenges_are_not_found_by_outsiders(
    method, path, data, _expected, visibility, client, db, connection
):
    challenge = await make_challenge(
        db,
        visibility="invitation" if visibility == "invitation" else "public",
        published=visibility != "draft",
        registration_questions=QUESTIONS,
        invitation_token="h" * 32,
    )
    pending = await make_registration(db, challenge, await make_user(db), status="pending")
    other = await make_challenge(db)
    people = {
        "visitor": None,
        "other_founder": await make_founder(db, other),
        "participant": await make_user(db),
    }
    names = {"slug": challenge.slug, "pending": str(pending.id), "token": "h" * 32}
    answers = await ask_everyone(client, db, connection, people, method, path, data, names)
    not_found = 401 if path.startswith("/api/") else LOGIN
    assert answers == {"visitor": not_found, "other_founder": 404, "participant": 404}


@pytest.mark.parametrize("slug", ["no-such-challenge", "%00", "x" * 300])
async def test_unknown_or_malformed_slugs_are_not_found(slug, client, db):
    await as_user(client, db, await make_user(db))
    names = {"slug": slug, "pending": "00000000-0000-0000-0000-000000000001"}
    for method, path, data, _expected in CHALLENGE_ROUTES:
        response = await send(client, method, filled(path, names), filled(data, names))
        assert response.status_code == 404, (method, path)
