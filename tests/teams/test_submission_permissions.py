"""Who may do what with a team's submission, over HTTP, for every route: the team's members act, founders
read (403 on changes), everyone else gets 404 (another team's member, a judge - a plain user until
issue #5 assigns judges -, an outsider, an admin), and visitors are sent to sign in. Never a 500."""

from __future__ import annotations

import pytest

from app.platform.storage import LocalStorage, new_key
from app.teams import uploads
from app.teams.models import StoredFile, Submission, SubmissionVersion
from tests.factories import make_user
from tests.teams.submission_support import PDF, as_user, make_cast

ROLES = ("captain", "member", "other_member", "founder", "judge", "outsider", "admin", "visitor")
# (route, method, path after /teams/{team}/rounds/{round}, what it sends, status when allowed)
PAGE_ROUTES = [
    ("page", "GET", "", None, 200),
    ("save", "POST", "/save", "form", 303),
    ("submit", "POST", "/submit", "form", 303),
    ("withdraw", "POST", "/withdraw", "form", 303),
    ("upload", "POST", "/files/deck", "file", 303),
    ("version", "GET", "/versions/1", None, 200),
    ("restore", "POST", "/versions/1/restore", "form", 303),
]
API_ROUTES = [
    ("api-list", "GET", None, None, 200),
    ("api-show", "GET", "/submission", None, 200),
    ("api-save", "PUT", "/submission", "json", 200),
    ("api-submit", "POST", "/submit", "json", 200),
    ("api-withdraw", "POST", "/withdraw", None, 200),
    ("api-versions", "GET", "/versions", None, 200),
    ("api-version", "GET", "/versions/1", None, 200),
    ("api-restore", "POST", "/versions/1/restore", "json", 200),
    ("api-upload", "POST", "/files/deck", "file", 201),
]
READS = {"page", "version", "api-list", "api-show", "api-versions", "api-version"}


@pytest.fixture
def storage_root(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "storage_for", lambda settings: LocalStorage(tmp_path))
    return tmp_path


async def submitted_cast(db):
    """The team has submitted: version 1 saved, version 2 submitted with its deck."""
    cast = await make_cast(db)
    deck = StoredFile(
        storage_key=new_key("submissions"),
        original_name="deck.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    db.add(deck)
    submission = Submission(team_id=cast.team.id, round_id=cast.round.id, status="submitted", version=2)
    db.add(submission)
    await db.flush()
    for number, action in ((1, "save"), (2, "submit")):
        db.add(
            SubmissionVersion(
                submission_id=submission.id,
                number=number,
                answers={"pitch": f"Pitch {number}"},
                files={"deck": str(deck.id)},
                action=action,
                created_by_id=cast.captain.id,
            )
        )
    await db.flush()
    return cast


def expected(role: str, route: str, allowed: int, api: bool) -> int:
    if role in ("captain", "member"):
        return allowed
    if role == "founder":
        return allowed if route in READS else 403
    if role == "visitor":
        return 401 if api else 303
    return 404


async def send(client, method: str, url: str, sends: str | None, api: bool):
    token = await client.csrf()
    headers = {"X-CSRF-Token": token}
    if sends == "form":
        return await client.request(
            method, url, data={"_csrf": token, "base_version": "2", "answer.pitch": "New"}
        )
    if sends == "json":
        return await client.request(
            method,
            url,
            json={"base_version": 2, "answers": {"pitch": "New"}} if method == "PUT" else {"base_version": 2},
            headers=headers,
        )
    if sends == "file":
        return await client.request(method, url, files={"file": ("deck.pdf", PDF)}, headers=headers)
    return await client.request(method, url, headers=headers)


async def cast_and_people(db):
    cast = await submitted_cast(db)
    people = {
        "captain": cast.captain,
        "member": cast.member,
        "other_member": cast.other_member,
        "founder": cast.founder,
        "judge": cast.judge,
        "outsider": cast.outsider,
        "admin": await make_user(db, admin=True),
        "visitor": None,
    }
    return cast, people


async def check(client, db, route, method, suffix, sends, allowed, api):
    """Every role on one route. Those who are refused share a team; each member who acts gets a fresh one."""
    cast, people = await cast_and_people(db)
    for role in ROLES:
        if role in ("captain", "member"):
            cast, people = await cast_and_people(db)
        await as_user(client, db, people[role])
        if api:
            url = f"/api/v1/teams/{cast.team.id}/submissions" if suffix is None else cast.api + suffix
        else:
            url = cast.path + suffix
        response = await send(client, method, url, sends, api)
        want = expected(role, route, allowed, api)
        assert response.status_code == want, (role, route, response.status_code, response.text[:300])
        if api and want >= 400:
            assert response.headers["content-type"].startswith("application/problem+json"), role
        if not api and role == "visitor":
            assert response.headers["location"].startswith("/login?next="), role


@pytest.mark.parametrize(
    ("route", "method", "suffix", "sends", "allowed"), PAGE_ROUTES, ids=[r[0] for r in PAGE_ROUTES]
)
async def test_pages(client, db, storage_root, route, method, suffix, sends, allowed):
    await check(client, db, route, method, suffix, sends, allowed, api=False)


@pytest.mark.parametrize(
    ("route", "method", "suffix", "sends", "allowed"), API_ROUTES, ids=[r[0] for r in API_ROUTES]
)
async def test_api(client, db, storage_root, route, method, suffix, sends, allowed):
    await check(client, db, route, method, suffix, sends, allowed, api=True)


async def test_a_team_of_another_challenge_is_not_reachable_through_this_challenge_s_rounds(
    client, db, storage_root
):
    cast = await submitted_cast(db)
    elsewhere = await make_cast(db)
    await as_user(client, db, elsewhere.captain)
    mixed = f"/teams/{elsewhere.team.id}/rounds/{cast.round.id}"
    assert (await client.get(mixed)).status_code == 404
    assert (await client.get(f"/api/v1/teams/{cast.team.id}/submissions")).status_code == 404
