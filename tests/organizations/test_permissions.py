"""Every route of organizations and administration, asked by each member of the cast, through HTTP.

Allowed answers are 200/201/303, refusals 403/404 (or the sign-in redirect / 401 for visitors), a
refused business rule 409; never a 500. Each person's request runs in a savepoint rolled back
afterwards, so what one does (leave, accept, remove) never changes what the next one meets.
"""

from __future__ import annotations

import pytest

from tests.factories import make_user, sign_in
from tests.organizations.conftest import invitation_url, make_invitation, send

CAST = ("visitor", "user", "member", "owner", "admin", "other_owner")
LOGIN = "sign-in"
ORGANIZATION = {"name": "Matrix Health", "kind": "startup", "country": "FR"}

# (method, path, data, expected answer for visitor, user, member, owner, admin, other_owner)
ROUTES = [
    ("GET", "/organizations", None, (LOGIN, 200, 200, 200, 200, 200)),
    ("GET", "/organizations/new", None, (LOGIN, 200, 200, 200, 200, 200)),
    ("POST", "/organizations", ORGANIZATION, (LOGIN, 303, 303, 303, 303, 303)),
    ("GET", "/organizations/{slug}", None, (LOGIN, 200, 200, 200, 200, 200)),
    ("GET", "/organizations/{slug}/edit", None, (LOGIN, 403, 403, 200, 403, 403)),
    ("POST", "/organizations/{slug}/edit", ORGANIZATION, (LOGIN, 403, 403, 303, 403, 403)),
    (
        "POST",
        "/organizations/{slug}/invitations",
        {"email": "new@example.org", "role": "member"},
        (LOGIN, 403, 403, 303, 403, 403),
    ),
    ("POST", "/organizations/{slug}/invitations/{invitation}/revoke", None, (LOGIN, 403, 403, 303, 403, 403)),
    (
        "POST",
        "/organizations/{slug}/members/{member}/role",
        {"role": "owner"},
        (LOGIN, 403, 403, 303, 403, 403),
    ),
    ("POST", "/organizations/{slug}/members/{member}/remove", None, (LOGIN, 403, 403, 303, 403, 403)),
    # The owner is the only one: leaving would orphan the organization.
    ("POST", "/organizations/{slug}/leave", None, (LOGIN, 403, 303, 409, 403, 403)),
    # The invitation is addressed to the plain user.
    ("GET", "{invitation_link}", None, (200, 200, 200, 200, 200, 200)),
    ("POST", "{invitation_link}", None, (LOGIN, 303, 403, 403, 403, 403)),
    ("GET", "/api/v1/organizations", None, (401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/organizations", ORGANIZATION, (401, 201, 201, 201, 201, 201)),
    ("GET", "/api/v1/organizations/{slug}", None, (401, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/organizations/{slug}/members", None, (401, 403, 200, 200, 200, 403)),
    ("GET", "/admin", None, (LOGIN, 404, 404, 404, 200, 404)),
    ("GET", "/admin/organizations", None, (LOGIN, 404, 404, 404, 200, 404)),
    ("POST", "/admin/organizations/{slug}/verify", None, (LOGIN, 403, 403, 403, 303, 403)),
    ("POST", "/admin/organizations/{slug}/unverify", None, (LOGIN, 403, 403, 403, 303, 403)),
    ("GET", "/admin/users", None, (LOGIN, 404, 404, 404, 200, 404)),
    ("POST", "/admin/users/{user}/grant-admin", None, (LOGIN, 404, 404, 404, 303, 404)),
    ("POST", "/admin/users/{second_admin}/revoke-admin", None, (LOGIN, 404, 404, 404, 303, 404)),
    ("GET", "/admin/audit", None, (LOGIN, 404, 404, 404, 200, 404)),
    ("GET", "/admin/audit.csv", None, (LOGIN, 404, 404, 404, 200, 404)),
]


def answer(response) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _d, _e in ROUTES]
)
async def test_each_role_gets_the_expected_answer(
    method, path, data, expected, cast, browser, db, connection, settings
):
    second_admin = await make_user(db, admin=True)
    pending = await make_invitation(db, cast.organization, cast.owner, "pending@example.org")
    addressed = await make_invitation(db, cast.organization, cast.owner, cast.user.email)
    url = path.format(
        slug=cast.organization.slug,
        invitation=pending.id,
        member=cast.member.id,
        user=cast.user.id,
        second_admin=second_admin.id,
        invitation_link=invitation_url(settings, addressed),
    )
    people = {
        "visitor": None,
        "user": cast.user,
        "member": cast.member,
        "owner": cast.owner,
        "admin": cast.admin,
        "other_owner": cast.other_owner,
    }
    clients = {role: await browser() for role in CAST}
    for role, person in people.items():
        if person is not None:
            await sign_in(clients[role], db, person)
        await clients[role].csrf()

    answers = {}
    for role in CAST:
        savepoint = await connection.begin_nested()
        try:
            answers[role] = answer(await send(clients[role], method, url, data))
        finally:
            await savepoint.rollback()
    assert answers == dict(zip(CAST, expected, strict=True))
