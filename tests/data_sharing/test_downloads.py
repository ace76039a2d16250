"""Downloads through signed links, and workspace instructions: the rule at issue and again at download,
links that expire and belong to one person, refusals logged even though their request is rolled back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update

from app.data_sharing import links
from app.data_sharing.models import Grant
from app.db import utcnow
from app.teams.models import TeamMember
from tests.conftest import SECRET, make_client
from tests.data_sharing.access_support import CONTENT, log_rows, make_cast
from tests.factories import make_user, sign_in


async def _link(client, cast) -> str:
    response = await client.submit(f"/data/files/{cast.file.id}/link")
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_a_named_member_downloads_through_a_link_and_both_steps_are_logged(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    url = await _link(client, cast)
    assert url.startswith("/data/download/")
    response = await client.get(url)
    assert response.status_code == 200
    assert response.content == CONTENT
    assert "attachment" in response.headers["content-disposition"]
    rows = await log_rows(db, cast.dataset.id)
    assert [(r.action, r.outcome, r.user_id, r.file_id) for r in rows] == [
        ("link", "allowed", cast.member.id, cast.file.id),
        ("download", "allowed", cast.member.id, cast.file.id),
    ]
    assert rows[1].ip is not None


async def test_refused_link_requests_are_403_and_stay_in_the_log(client, db, settings):
    cast = await make_cast(db, settings)
    admin = await make_user(db, admin=True)
    cast_of = (
        (cast.unnamed, "not_named"),
        (cast.outsider, "no_grant"),
        (cast.founder, "no_grant"),
        (cast.steward, "no_grant"),
        (admin, "no_grant"),
    )
    for user, reason in cast_of:
        await sign_in(client, db, user)
        response = await client.submit(f"/data/files/{cast.file.id}/link")
        assert response.status_code == 403
        row = (await log_rows(db, cast.dataset.id))[-1]
        assert (row.user_id, row.action, row.outcome, row.reason) == (user.id, "link", "refused", reason)


async def test_a_link_is_bound_to_its_person(app, client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    url = await _link(client, cast)
    other = make_client(app)
    await sign_in(other, db, cast.captain)  # named on the grant too: still not their link
    response = await other.get(url)
    assert response.status_code == 403
    row = (await log_rows(db, cast.dataset.id))[-1]
    assert (row.user_id, row.outcome, row.reason) == (cast.captain.id, "refused", "other_user")
    await other.aclose()


async def test_a_link_expires(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    token = links.sign(SECRET, cast.file.id, cast.member.id, utcnow() - dt.timedelta(seconds=1))
    response = await client.get(f"/data/download/{token}")
    assert response.status_code == 403
    row = (await log_rows(db, cast.dataset.id))[-1]
    assert (row.outcome, row.reason) == ("refused", "link_expired")


async def test_a_link_does_not_work_after_revocation(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    url = await _link(client, cast)
    await db.execute(
        update(Grant).where(Grant.id == cast.grant.id).values(revoked_at=utcnow(), revoke_reason="Breach")
    )
    response = await client.get(url)
    assert response.status_code == 403
    row = (await log_rows(db, cast.dataset.id))[-1]
    assert (row.action, row.outcome, row.reason) == ("download", "refused", "revoked")


async def test_refusals_are_explained_in_the_readers_language(client, db, settings):
    cast = await make_cast(db, settings)
    cast.member.locale = "fr"
    await sign_in(client, db, cast.member)
    url = await _link(client, cast)
    await db.execute(
        update(Grant).where(Grant.id == cast.grant.id).values(revoked_at=utcnow(), revoke_reason="Breach")
    )
    revoked = "L’autorisation sur ce jeu de données a été révoquée."
    for response in (await client.get(url), await client.submit(f"/data/files/{cast.file.id}/link")):
        assert response.status_code == 403 and revoked in response.text
    board = await client.get(f"/teams/{cast.team.id}/data")
    assert "L’autorisation a été révoquée." in board.text and "was revoked" not in board.text
    client.cookies.clear()
    cast.steward.locale = "fr"
    await sign_in(client, db, cast.steward)
    log = await client.get("/steward?outcome=refused")
    assert log.text.count(revoked) == 2 and "was revoked" not in log.text


async def test_a_member_who_leaves_loses_access_on_the_very_next_request(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    url = await _link(client, cast)
    assert (await client.get(url)).status_code == 200
    await db.execute(
        delete(TeamMember).where(TeamMember.team_id == cast.team.id, TeamMember.user_id == cast.member.id)
    )
    assert (await client.get(url)).status_code == 403
    assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code == 403
    assert [r.reason for r in (await log_rows(db, cast.dataset.id))[-2:]] == ["left_team", "left_team"]


async def test_a_forged_token_or_unknown_file_is_404(client, db, settings):
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    assert (await client.get("/data/download/not-a-token")).status_code == 404
    assert (await client.submit("/data/files/00000000-0000-0000-0000-000000000000/link")).status_code == 404


async def test_visitors_are_sent_to_sign_in(client, db, settings):
    cast = await make_cast(db, settings)
    assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code in (303, 401)
    assert (await client.post(f"/api/v1/data/files/{cast.file.id}/link")).status_code in (401, 403)
    assert (await log_rows(db, cast.dataset.id)) == []
    response = await client.get(
        f"/data/download/{links.sign(SECRET, cast.file.id, cast.member.id, utcnow())}"
    )
    assert response.status_code in (303, 401)
    assert (await client.get(f"/datasets/{cast.dataset.slug}/workspace")).status_code in (303, 401)


async def test_workspace_instructions_only_for_entitled_members_and_each_view_logged(client, db, settings):
    cast = await make_cast(db, settings, access_mode="workspace")
    await sign_in(client, db, cast.member)
    response = await client.get(f"/datasets/{cast.dataset.slug}/workspace")
    assert response.status_code == 200 and "workspace.example" in response.text
    await sign_in(client, db, cast.unnamed)
    response = await client.get(f"/datasets/{cast.dataset.slug}/workspace")
    assert response.status_code == 403 and "workspace.example" not in response.text
    rows = await log_rows(db, cast.dataset.id)
    assert [(r.action, r.outcome, r.user_id) for r in rows] == [
        ("workspace", "allowed", cast.member.id),
        ("workspace", "refused", cast.unnamed.id),
    ]
    # files of a workspace dataset are never served through links
    assert (await client.submit(f"/data/files/{cast.file.id}/link")).status_code == 404


class _PresigningStorage:
    """Stands for S3Storage: it can presign, so the download answers with a redirect."""

    def __init__(self) -> None:
        self.signed: list[str] = []

    async def signed_url(self, key, expires_in):
        self.signed.append(key)
        assert expires_in <= dt.timedelta(minutes=5)
        return f"https://bucket.example/{key}?X-Amz-Signature=abc"


async def test_with_s3_storage_the_download_redirects_to_a_presigned_url_after_the_same_checks(
    client, db, settings, monkeypatch
):
    from app.data_sharing import access_controllers

    storage = _PresigningStorage()
    monkeypatch.setattr(access_controllers, "storage_for", lambda _settings: storage)
    cast = await make_cast(db, settings)
    await sign_in(client, db, cast.member)
    url = await _link(client, cast)
    response = await client.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"https://bucket.example/{cast.file.storage_key}?")
    await db.execute(
        update(Grant).where(Grant.id == cast.grant.id).values(revoked_at=utcnow(), revoke_reason="Breach")
    )
    assert (await client.get(url)).status_code == 403
    assert storage.signed == [cast.file.storage_key]
