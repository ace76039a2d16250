"""Who may use each panel route, page and API alike: founders manage, a judge declares and reads their own
conflicts, everybody else is refused with 403 (the challenge is public) or 404 (it is not), never a 500."""

from __future__ import annotations

import pytest

from app.judging.models import Conflict, JudgingJob
from tests.judging.panel_support import ROLES, judge_row, make_panel_cast, person
from tests.teams.team_support import as_user, send

FOUNDERS_ONLY = {"founder"}
JUDGES_ONLY = {"judge"}


async def setup(db):
    cast = await make_panel_cast(db, judges=3)
    second = cast.judges[1]
    conflict = Conflict(
        challenge_id=cast.challenge.id, user_id=cast.judges[2].id, team_id=cast.teams[2].id, reason="Cousin"
    )
    job = JudgingJob(
        round_id=cast.round.id, kind="assign", status="done", params={"policy": "all", "k": 1, "seed": 1}
    )
    db.add_all([conflict, job])
    await db.flush()
    invitee = await judge_row(db, cast.round.id, cast.invitee)
    removable = await judge_row(db, cast.round.id, second)
    entry, judge = cast.entries[0].id, cast.judge.id
    base, api = cast.base, f"/api/v1/rounds/{cast.round.id}"
    # (who may, method, url, data, expected status when allowed), in an order where each allowed action
    # leaves what the next ones need.
    routes = [
        (FOUNDERS_ONLY, "GET", base, None, 200),
        (FOUNDERS_ONLY, "GET", f"{base}/assignments", None, 200),
        (FOUNDERS_ONLY, "POST", f"{base}/judges", {"emails": "new.judge@example.org"}, 303),
        (FOUNDERS_ONLY, "POST", f"{base}/judges/{invitee.id}/resend", {}, 303),
        (
            FOUNDERS_ONLY,
            "POST",
            f"{base}/assignments",
            {"submission_id": str(entry), "user_id": str(judge)},
            303,
        ),
        (FOUNDERS_ONLY, "POST", f"{base}/assignments/{entry}/{judge}/remove", {}, 303),
        (FOUNDERS_ONLY, "POST", f"{api}/assignments/{entry}/{cast.judges[2].id}", None, 201),
        (FOUNDERS_ONLY, "DELETE", f"{api}/assignments/{entry}/{cast.judges[2].id}", None, 204),
        (
            FOUNDERS_ONLY,
            "POST",
            f"{base}/assign",
            {"policy": "k_per_entry", "judges_per_entry": "1", "seed": "2"},
            303,
        ),
        (FOUNDERS_ONLY, "GET", f"{base}/jobs/{job.id}", None, 303),
        (FOUNDERS_ONLY, "POST", f"{base}/conflicts/{conflict.id}/remove", {}, 303),
        (FOUNDERS_ONLY, "POST", f"{base}/judges/{removable.id}/remove", {}, 303),
        (JUDGES_ONLY, "GET", f"/judge/rounds/{cast.round.id}/conflicts", None, 200),
        (
            JUDGES_ONLY,
            "POST",
            f"/judge/rounds/{cast.round.id}/conflicts",
            {"team_id": str(cast.teams[1].id)},
            303,
        ),
        (FOUNDERS_ONLY, "GET", f"{api}/judges", None, 200),
        (FOUNDERS_ONLY, "POST", f"{api}/judges", {"emails": ["api.judge@example.org"]}, 201),
        (FOUNDERS_ONLY, "POST", f"{api}/judges/{invitee.id}/resend", None, 200),
        (FOUNDERS_ONLY, "GET", f"{api}/assignments", None, 200),
        (FOUNDERS_ONLY, "POST", f"{api}/assignments", {"policy": "all"}, 200),
        (FOUNDERS_ONLY, "GET", f"{api}/assignments/jobs/{job.id}", None, 200),
        (FOUNDERS_ONLY | JUDGES_ONLY, "GET", f"{api}/conflicts", None, 200),
        (
            JUDGES_ONLY,
            "POST",
            f"{api}/conflicts",
            {"team_id": str(cast.teams[0].id), "reason": "Former colleague"},
            201,
        ),
        (FOUNDERS_ONLY, "DELETE", f"{api}/judges/{invitee.id}", None, 204),
    ]
    return cast, routes


@pytest.mark.parametrize("role", ROLES)
async def test_each_panel_route_answers_each_role(client, db, role):
    cast, routes = await setup(db)
    user = person(cast, role)
    await as_user(client, db, user)
    for allowed, method, url, data, success in routes:
        response = await send(client, method, url, data)
        where = f"{role} {method} {url}"
        if role in allowed:
            assert response.status_code == success, (where, response.text[:500])
        elif user is None:
            expected = 401 if url.startswith("/api/") else 303
            assert response.status_code == expected, where
        else:
            # The challenge is public: everyone signed in sees it, so the refusal is a 403, never a 500.
            assert response.status_code == 403, (where, response.status_code)


@pytest.mark.parametrize("role", ["outsider", "other_founder", "admin", "captain"])
async def test_a_draft_challenge_s_panel_is_not_found_for_others(client, db, role):
    cast, routes = await setup(db)
    cast.challenge.published_at = None
    await db.flush()
    await as_user(client, db, person(cast, role))
    for allowed, method, url, data, _success in routes:
        if role in allowed:
            continue
        response = await send(client, method, url, data)
        # Admins see a draft's existence (support): 403; others learn nothing from a 404.
        assert response.status_code == (403 if role == "admin" else 404), (
            role,
            method,
            url,
            response.status_code,
        )


async def test_the_invitation_link_is_public_but_accepting_needs_to_sign_in(client, db, settings):
    from app.judging.panel_links import invitation_path

    cast, _routes = await setup(db)
    link = invitation_path(settings, (await judge_row(db, cast.round.id, cast.invitee)).id)
    await as_user(client, db, None)
    assert (await client.get(link)).status_code == 200
    response = await client.submit(link)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    api = await client.post(f"/api/v1{link}", headers={"X-CSRF-Token": await client.csrf()})
    assert api.status_code == 401
