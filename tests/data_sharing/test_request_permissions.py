"""Every route of access requests, pages and API, for every role: allowed, or 403/404 (401/login for visitors),
never a server error."""

from __future__ import annotations

import datetime as dt

import pytest

from app.accounts.sessions import actor_from_user as act
from app.data_sharing import requests
from app.db import utcnow
from tests.data_sharing.request_support import make_cast
from tests.data_sharing.test_requests import PURPOSE, draft
from tests.factories import sign_in

ROLES = (
    "captain",
    "member",
    "named",
    "steward",
    "steward_org_member",
    "founder",
    "other_user",
    "admin",
    "visitor",
)
OUTSIDERS = {"steward_org_member": 404, "founder": 404, "other_user": 404, "admin": 404}
TEAM_ONLY = {"captain": 200, "member": 403, "named": 403, "steward": 403, **OUTSIDERS}
DECIDE = {"captain": 403, "member": 403, "named": 403, "steward": 200, **OUTSIDERS}
EXPIRES = (utcnow() + dt.timedelta(days=10)).isoformat()
# route suffix -> (state the request is in, form data, expected status by role (200 = allowed))
ACTIONS = {
    "": ("draft", None, {"captain": 200, "member": 200, "named": 200, "steward": 200, **OUTSIDERS}),
    "/edit": ("draft", {"purpose": PURPOSE, "members": "named"}, TEAM_ONLY),
    "/submit": ("draft", {}, TEAM_ONLY),
    "/withdraw": ("draft", {}, TEAM_ONLY),
    "/accept-agreement": ("draft", {}, {"captain": 409, "member": 409, "named": 200, "steward": 403, **OUTSIDERS}),
    "/approve": ("submitted", {"expires_at": EXPIRES}, DECIDE),
    "/reject": ("submitted", {"reason": "No."}, DECIDE),
    "/return": ("submitted", {"comment": "Change."}, DECIDE),
    "/comments": ("submitted", {"comment": "Hello."},
                  {"captain": 200, "member": 200, "named": 200, "steward": 200, **OUTSIDERS}),
}  # fmt: skip


def person(cast, role):
    return {"named": cast.member, "member": cast.other_member}.get(role) or getattr(cast, role)


async def prepared(db, cast, state):
    request = await draft(db, cast)
    await requests.accept_agreement(db, act(cast.member), request.id, utcnow())
    if state == "submitted":
        await requests.submit(db, act(cast.captain), request.id, utcnow())
    return request


async def as_role(client, db, cast, role):
    if role != "visitor":
        await sign_in(client, db, person(cast, role))


def form_data(cast, data):
    values = dict(data or {})
    if "expires_at" in values:
        values["expires_at"] = (utcnow() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    if values.get("members") == "named":
        values["members"] = str(cast.member.id)
    return values


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", list(ACTIONS))
async def test_page_routes(db, client, suffix, role):
    cast = await make_cast(db)
    state, data, expected = ACTIONS[suffix]
    request = await prepared(db, cast, state)
    await as_role(client, db, cast, role)
    url = f"/data-requests/{request.id}{suffix}"
    response = await (client.get(url) if data is None else client.submit(url, form_data(cast, data)))
    if role == "visitor":
        assert response.status_code in (303, 401, 403) and "/login" in response.headers.get(
            "location", "/login"
        )
        return
    want = expected[role]
    if want == 200:
        assert response.status_code in (200, 303), response.text[:2000]
    else:
        assert response.status_code == want


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", list(ACTIONS))
async def test_api_routes(db, client, suffix, role):
    cast = await make_cast(db)
    state, data, expected = ACTIONS[suffix]
    request = await prepared(db, cast, state)
    await as_role(client, db, cast, role)
    url = f"/api/v1/data-requests/{request.id}{suffix}"
    headers = {"X-CSRF-Token": await client.csrf()}
    if data is None:
        response = await client.get(url)
    elif suffix == "/edit":
        body = {"purpose": PURPOSE, "members": [str(cast.member.id)]}
        response = await client.patch(f"/api/v1/data-requests/{request.id}", json=body, headers=headers)
    else:
        response = await client.post(url, json=data or None, headers=headers)
    if role == "visitor":
        assert response.status_code == 401
        return
    assert response.status_code == expected[role], response.text[:1000]


@pytest.mark.parametrize("role", ROLES)
async def test_new_request_form_and_creation(db, client, role):
    cast = await make_cast(db)
    await as_role(client, db, cast, role)
    form = await client.get(f"/data-requests/new?offering={cast.offering.id}")
    created = await client.submit(
        "/data-requests",
        {"offering": str(cast.offering.id), "purpose": PURPOSE, "members": str(cast.member.id)},
    )
    headers = {"X-CSRF-Token": await client.csrf()}
    api = await client.post("/api/v1/data-requests", json={"offering_id": str(cast.offering.id), "purpose": PURPOSE,
                                                           "members": [str(cast.member.id)]}, headers=headers)  # fmt: skip
    if role == "visitor":
        assert form.status_code == 303 and api.status_code == 401
        assert (await client.get("/api/v1/data-requests")).status_code == 401
        return
    expected = {"captain": 200, "member": 403, "named": 403}.get(role, 404)
    assert form.status_code == expected
    assert created.status_code == (303 if expected == 200 else expected)
    assert api.status_code == (201 if expected == 200 else expected)
    if role != "captain":
        await draft(db, cast)
    listing = await client.get("/api/v1/data-requests")
    assert listing.status_code == 200
    visible = {"captain": 2, "member": 1, "named": 1, "steward": 1}.get(role, 0)
    assert len(listing.json()) == visible
