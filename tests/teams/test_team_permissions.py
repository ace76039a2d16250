"""Every team route, asked over HTTP by each member of the cast.

The cast: the team's captain and member, a member of another team of the same challenge, a founder
of the challenge, a founder of another challenge, a judge (a plain signed-in user until issue #5
gives judges their relation), an outsider (signed in, not registered), a participant in no team
(registered and approved: the allowed twin of joining and creating) and the visitor.

Allowed answers are 200/201/204/303; refusals 403/404 (the sign-in redirect or 401 for visitors); a
business rule refused is 409; never a 500. Each request runs in a savepoint rolled back afterwards, so
what one person does never changes what the next one meets.
"""

from __future__ import annotations

import pytest

from app.teams.invitations import invitation_path
from tests.factories import make_challenge, make_founder
from tests.teams.team_support import as_user, join_request, make_cast, send

CAST = (
    "captain",
    "member",
    "other_member",
    "founder",
    "other_founder",
    "judge",
    "outsider",
    "participant",
    "visitor",
)
LOGIN = "sign-in"
REASON = {"reason": "Checked with the jury."}

# (method, path, data, expected per CAST)
ROUTES = [
    # pages
    ("GET", "/challenges/{slug}/teams/find", None, (200, 200, 200, 200, 403, 403, 403, 200, LOGIN)),
    ("GET", "/challenges/{slug}/teams/new", None, (409, 409, 409, 403, 403, 403, 403, 200, LOGIN)),
    (
        "POST",
        "/challenges/{slug}/teams/new",
        {"name": "Newcomers"},
        (409, 409, 409, 403, 403, 403, 403, 303, LOGIN),
    ),
    (
        "POST",
        "/teams/{other_team}/join-requests",
        {"message": "Hi"},
        (409, 409, 409, 403, 403, 403, 403, 303, LOGIN),
    ),
    (
        "POST",
        "/teams/{team}/join-requests/{request}/cancel",
        None,
        (404, 404, 404, 403, 403, 403, 403, 303, LOGIN),
    ),
    ("GET", "/teams/{team}", None, (200, 200, 404, 200, 404, 404, 404, 404, LOGIN)),
    ("POST", "/teams/{team}/edit", {"name": "Renamed"}, (303, 403, 404, 403, 404, 404, 404, 404, LOGIN)),
    (
        "POST",
        "/teams/{team}/invitations",
        {"email": "new@example.org"},
        (303, 403, 404, 403, 404, 404, 404, 404, LOGIN),
    ),
    (
        "POST",
        "/teams/{team}/invitations/{invitation}/revoke",
        None,
        (303, 403, 404, 403, 404, 404, 404, 404, LOGIN),
    ),
    (
        "POST",
        "/teams/{team}/join-requests/{request}/decision",
        {"decision": "approve"},
        (303, 403, 404, 403, 404, 404, 404, 404, LOGIN),
    ),
    (
        "POST",
        "/teams/{team}/members/{member}/remove",
        REASON,
        (303, 403, 404, 303, 404, 404, 404, 404, LOGIN),
    ),
    (
        "POST",
        "/teams/{team}/captain",
        {"user_id": "{member}", **REASON},
        (303, 403, 404, 303, 404, 404, 404, 404, LOGIN),
    ),
    (
        "POST",
        "/teams/{team}/members",
        {"email": "{participant_email}", **REASON},
        (403, 403, 404, 303, 404, 404, 404, 404, LOGIN),
    ),
    ("POST", "/teams/{team}/leave", None, (409, 303, 404, 403, 404, 404, 404, 404, LOGIN)),
    ("GET", "{invitation_link}", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("POST", "{invitation_link}", None, (403, 403, 403, 403, 403, 403, 403, 303, LOGIN)),
    ("GET", "/me/challenges", None, (200, 200, 200, 200, 200, 200, 200, 200, LOGIN)),
    # API
    ("GET", "/api/v1/challenges/{slug}/teams", None, (200, 200, 200, 200, 403, 403, 403, 200, 401)),
    (
        "POST",
        "/api/v1/challenges/{slug}/teams",
        {"name": "Api Team"},
        (409, 409, 409, 403, 403, 403, 403, 201, 401),
    ),
    ("GET", "/api/v1/teams/{team}", None, (200, 200, 404, 200, 404, 404, 404, 404, 401)),
    ("PATCH", "/api/v1/teams/{team}", {"name": "Renamed"}, (200, 403, 404, 403, 404, 404, 404, 404, 401)),
    (
        "POST",
        "/api/v1/teams/{team}/members",
        {"email": "{participant_email}", **REASON},
        (403, 403, 404, 201, 404, 404, 404, 404, 401),
    ),
    # One's own id is leaving: the member may; another's is removing.
    (
        "DELETE",
        "/api/v1/teams/{team}/members/{member}?reason=Checked",
        None,
        (204, 204, 404, 204, 404, 404, 404, 404, 401),
    ),
    (
        "POST",
        "/api/v1/teams/{team}/captain",
        {"user_id": "{member}", **REASON},
        (200, 403, 404, 200, 404, 404, 404, 404, 401),
    ),
    ("GET", "/api/v1/teams/{team}/invitations", None, (200, 403, 404, 403, 404, 404, 404, 404, 401)),
    (
        "POST",
        "/api/v1/teams/{team}/invitations",
        {"email": "new@example.org"},
        (201, 403, 404, 403, 404, 404, 404, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/teams/{team}/invitations/{invitation}",
        None,
        (204, 403, 404, 403, 404, 404, 404, 404, 401),
    ),
    ("POST", "/api/v1/invitations/team/{token}", None, (403, 403, 403, 403, 403, 403, 403, 200, 401)),
    ("GET", "/api/v1/teams/{team}/join-requests", None, (200, 403, 404, 403, 404, 404, 404, 404, 401)),
    ("POST", "/api/v1/teams/{other_team}/join-requests", {}, (409, 409, 409, 403, 403, 403, 403, 201, 401)),
    (
        "POST",
        "/api/v1/teams/{team}/join-requests/{request}/decision",
        {"decision": "approve"},
        (200, 403, 404, 403, 404, 404, 404, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/teams/{team}/join-requests/{request}",
        None,
        (404, 404, 404, 403, 403, 403, 403, 204, 401),
    ),
]


def answer(response) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return LOGIN
    return response.status_code


def filled(value, names: dict[str, str]):
    if isinstance(value, str):
        return value.format(**names)
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


async def setting(db, settings, invitation_only: bool = False):
    import datetime as dt

    from app.db import utcnow
    from app.teams.models import TeamInvitation

    cast = await make_cast(db, visibility="invitation" if invitation_only else "public")
    other_founder = await make_founder(db, await make_challenge(db), name="Oscar Elsewhere")
    # The participant's pending request to the team; their requests to Pulse are asked afresh.
    request = await join_request(db, cast.team, cast.participant)
    invitation = TeamInvitation(
        team_id=cast.team.id,
        email=cast.participant.email,
        invited_by_id=cast.captain.id,
        expires_at=utcnow() + dt.timedelta(days=7),
    )
    pending = TeamInvitation(
        team_id=cast.team.id,
        email="pending@example.org",
        invited_by_id=cast.captain.id,
        expires_at=invitation.expires_at,
    )
    db.add_all([invitation, pending])
    await db.flush()
    link = invitation_path(settings, invitation.id)
    people = {role: (other_founder if role == "other_founder" else cast.person(role)) for role in CAST}
    names = {
        "slug": cast.challenge.slug,
        "team": str(cast.team.id),
        "other_team": str(cast.other_team.id),
        "member": str(cast.member.id),
        "request": str(request.id),
        "invitation": str(pending.id),
        "invitation_link": link,
        "token": link.rsplit("/", 1)[1],
        "participant_email": cast.participant.email,
    }
    return cast, people, names


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _d, _e in ROUTES]
)
async def test_each_role_gets_the_expected_answer(
    method, path, data, expected, client, db, connection, settings
):
    _cast, people, names = await setting(db, settings)
    answers = await ask_everyone(client, db, connection, people, method, path, data, names)
    assert answers == dict(zip(CAST, expected, strict=True))


TEAM_ROUTES = [route for route in ROUTES if "{team}" in route[1] and "join-requests" not in route[1]]


@pytest.mark.parametrize(
    ("method", "path", "data", "_expected"), TEAM_ROUTES, ids=[f"{m} {p}" for m, p, _d, _e in TEAM_ROUTES]
)
async def test_unknown_teams_are_not_found_for_everyone(
    method, path, data, _expected, client, db, connection, settings
):
    _cast, people, names = await setting(db, settings)
    names = {**names, "team": "00000000-0000-0000-0000-000000000001"}
    signed_in = {role: person for role, person in people.items() if person is not None}
    answers = await ask_everyone(client, db, connection, signed_in, method, path, data, names)
    assert set(answers.values()) == {404}


async def test_the_teams_of_an_invitation_only_challenge_are_hidden_from_outsiders(
    client, db, connection, settings
):
    _cast, people, names = await setting(db, settings, invitation_only=True)
    for method, path in (
        ("GET", "/challenges/{slug}/teams/find"),
        ("GET", "/api/v1/challenges/{slug}/teams"),
    ):
        answers = await ask_everyone(
            client,
            db,
            connection,
            {"outsider": people["outsider"], "judge": people["judge"]},
            method,
            path,
            None,
            names,
        )
        assert answers == {"outsider": 404, "judge": 404}
