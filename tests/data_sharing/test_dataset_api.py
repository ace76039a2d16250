"""The datasets and offerings API: the same services and permissions as the pages, problem+json refusals,
and views that describe datasets without their content."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.data_sharing import dataset_files
from app.data_sharing.models import FIVE_SAFES, AgreementVersion, Offering
from app.platform.storage import LocalStorage
from tests.data_sharing.support import ROLES, as_role, audit_entries, denied, make_cast
from tests.factories import make_challenge, make_dataset, make_offering, make_organization, make_user, sign_in
from tests.querycount import counting_statements

SAFES = {safe: f"Our {safe} answer." for safe in FIVE_SAFES}


@pytest.fixture
async def cast(db):
    return await make_cast(db, access_mode="files")


@pytest.fixture
def storage_root(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_files, "storage_for", lambda settings: LocalStorage(tmp_path))
    return tmp_path


def error_keys(response) -> set[str]:
    return {error["key"] for error in response.json()["errors"]}


async def headers(client):
    return {"X-CSRF-Token": await client.csrf()}


async def test_create_read_update_a_dataset(client, db):
    member = await make_user(db)
    organization = await make_organization(db, owner=member)
    await sign_in(client, db, member)
    body = {
        "organization": organization.slug,
        "title": "Sleep apnea",
        "sensitivity": "restricted",
        "agreement": "Be careful.",
    }
    bad = await client.post(
        "/api/v1/datasets",
        json={**body, "max_grant_days": 0, "sensitivity": "x"},
        headers=await headers(client),
    )
    assert bad.status_code == 422
    assert error_keys(bad) == {"max_grant_days", "sensitivity"}
    created = await client.post("/api/v1/datasets", json=body, headers=await headers(client))
    assert created.status_code == 201, created.text
    view = created.json()
    assert (view["slug"], view["agreement_version"], view["is_steward"]) == ("sleep-apnea", 1, True)
    assert view["stewards"] == [{"id": str(member.id), "name": member.name}]
    patched = await client.patch(
        "/api/v1/datasets/sleep-apnea",
        json={"access_mode": "workspace", "workspace_instructions": "Use the bastion."},
        headers=await headers(client),
    )
    assert patched.status_code == 200 and patched.json()["workspace_instructions"] == "Use the bastion."
    assert patched.json()["title"] == "Sleep apnea"
    listed = (await client.get("/api/v1/datasets?sensitivity=restricted")).json()
    assert [item["slug"] for item in listed["items"]] == ["sleep-apnea"]
    assert (listed["page"], listed["per_page"], listed["total"], listed["pages"]) == (1, 50, 1, 1)
    assert "workspace_instructions" not in listed["items"][0]


async def test_others_never_see_workspace_instructions(client, db):
    cast = await make_cast(db, access_mode="workspace")
    await as_role(client, db, cast, "other")
    view = (await client.get(f"/api/v1/datasets/{cast.dataset.slug}")).json()
    assert view["workspace_instructions"] is None and view["is_steward"] is False


async def test_agreement_versions(client, db, cast):
    url = f"/api/v1/datasets/{cast.dataset.slug}/agreement"
    await as_role(client, db, cast, "steward")
    empty = await client.post(url, json={"text": " "}, headers=await headers(client))
    assert empty.status_code == 422 and error_keys(empty) == {"agreement"}
    assert (await client.post(url, json={"text": "V2"}, headers=await headers(client))).status_code == 201
    await as_role(client, db, cast, "captain")
    versions = (await client.get(url)).json()
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["text"] == "V2"


async def test_files_upload_and_list(client, db, cast, storage_root):
    await as_role(client, db, cast, "steward")
    url = f"/api/v1/datasets/{cast.dataset.slug}/files"
    uploaded = await client.post(url, files={"file": ("a.csv", b"x,y\n1,2\n")}, headers=await headers(client))
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    listed = (await client.get(url)).json()
    assert [item["name"] for item in listed] == ["a.csv"] and "url" not in listed[0]
    await as_role(client, db, cast, "org_member")
    assert (await client.get(url)).status_code in (403, 404)


async def test_offerings_ask_then_agree(client, db, cast):
    await as_role(client, db, cast, "founder")
    body = {"action": "ask", "dataset": cast.dataset.slug, "challenge": cast.challenge.slug, "from_round": 1}
    asked = await client.post("/api/v1/offerings", json=body, headers=await headers(client))
    assert asked.status_code == 201, asked.text
    offering_id = asked.json()["id"]
    assert asked.json()["available"] is False and asked.json()["from_round_id"]
    await as_role(client, db, cast, "steward")
    url = f"/api/v1/offerings/{offering_id}"
    incomplete = await client.post(url, json={"action": "agree"}, headers=await headers(client))
    assert incomplete.status_code == 422 and error_keys(incomplete) == set(FIVE_SAFES)
    agreed = await client.post(
        url, json={"action": "agree", "five_safes": SAFES}, headers=await headers(client)
    )
    assert agreed.status_code == 200 and agreed.json()["available"] is True
    await as_role(client, db, cast, "captain")
    assert (await client.get(url)).json()["five_safes"] == SAFES
    assert (
        await client.post(url, json={"action": "withdraw"}, headers=await headers(client))
    ).status_code in (403, 404)
    assert len(await audit_entries(db, "offering:agree")) == 1


async def test_a_steward_offers_through_the_api(client, db, cast):
    await as_role(client, db, cast, "steward")
    body = {"action": "offer", "dataset": cast.dataset.slug, "challenge": cast.challenge.slug}
    missing = await client.post("/api/v1/offerings", json=body, headers=await headers(client))
    assert missing.status_code == 422
    offered = await client.post(
        "/api/v1/offerings", json={**body, "five_safes": SAFES}, headers=await headers(client)
    )
    assert offered.status_code == 201 and offered.json()["steward_agreed_at"]
    again = await client.post(
        "/api/v1/offerings", json={**body, "five_safes": SAFES}, headers=await headers(client)
    )
    assert again.status_code == 409


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_use_the_api(client, db, cast, role, storage_root):
    pending = await make_offering(db, cast.dataset, cast.challenge, agreed=False)
    await as_role(client, db, cast, role)
    base = f"/api/v1/datasets/{cast.dataset.slug}"
    readers = [
        await client.get("/api/v1/datasets"),
        await client.get(base),
        await client.get(base + "/agreement"),
    ]
    for response in readers:
        assert response.status_code == 200 if role != "visitor" else response.status_code == 401
    managing = {
        "patch": await client.patch(base, json={"title": "Hijacked"}, headers=await headers(client)),
        "agreement": await client.post(
            base + "/agreement", json={"text": "Hijacked"}, headers=await headers(client)
        ),
        "files": await client.get(base + "/files"),
        "upload": await client.post(
            base + "/files", files={"file": ("a.csv", b"1")}, headers=await headers(client)
        ),
        "offer": await client.post(
            "/api/v1/offerings",
            json={
                "action": "offer",
                "dataset": cast.dataset.slug,
                "challenge": cast.challenge.slug,
                "five_safes": SAFES,
            },
            headers=await headers(client),
        ),
    }
    for name, response in managing.items():
        if role == "steward":
            assert response.status_code in (200, 201, 409), (name, response.status_code, response.text)
        elif role == "visitor":
            assert response.status_code == 401, name
        else:
            assert denied(response.status_code, role), (name, response.status_code)
    shown = await client.get(f"/api/v1/offerings/{pending.id}")
    if role in ("steward", "founder"):
        assert shown.status_code == 200
    else:
        assert shown.status_code in (401, 404)
    if role not in ("steward",):
        versions = list(
            await db.scalars(select(AgreementVersion).where(AgreementVersion.dataset_id == cast.dataset.id))
        )
        assert len(versions) == 1
        offering = await db.scalar(
            select(Offering).where(Offering.id == pending.id).execution_options(populate_existing=True)
        )
        assert offering.steward_agreed_at is None


async def test_the_dataset_list_is_paged_by_title_with_its_total(client, db, connection):
    challenge = await make_challenge(db, title="Paged challenge")
    made = [await make_dataset(db, sensitivity="open") for _ in range(5)]
    for dataset in made:
        await make_offering(db, dataset, challenge)
    titles = sorted((dataset.title for dataset in made), key=str.lower)
    await sign_in(client, db, await make_user(db))
    pages = []
    for number in (1, 2, 3):
        with counting_statements(connection) as statements:
            answer = (
                await client.get(
                    "/api/v1/datasets", params={"sensitivity": "open", "per_page": 2, "page": number}
                )
            ).json()
        pages.append(answer)
        if number == 1:
            first_count = len(statements)
        else:
            assert len(statements) == first_count  # the same statements whatever the page
    assert [(p["page"], p["per_page"], p["total"], p["pages"]) for p in pages] == [
        (1, 2, 5, 3),
        (2, 2, 5, 3),
        (3, 2, 5, 3),
    ]
    assert [item["title"] for p in pages for item in p["items"]] == titles
    assert pages[0]["items"][0]["offered_to"] == [{"slug": challenge.slug, "title": "Paged challenge"}]
    beyond = (await client.get("/api/v1/datasets", params={"sensitivity": "open", "page": 9})).json()
    assert beyond["items"] == [] and beyond["total"] == 5
    assert len((await client.get("/api/v1/datasets", params={"sensitivity": "open"})).json()["items"]) == 5
    for bad in ({"per_page": 0}, {"per_page": 201}, {"page": 0}, {"page": "two"}):
        assert (await client.get("/api/v1/datasets", params=bad)).status_code == 400, bad


async def test_the_dataset_list_searches_words_literally_and_shows_only_visible_challenges(client, db):
    public = await make_challenge(db, title="B public challenge")
    hidden = await make_challenge(db, title="A draft challenge", published=False)
    sleep, other = (await make_dataset(db, sensitivity="open"), await make_dataset(db, sensitivity="open"))
    sleep.title, sleep.description = "Sleep 100% cohort", "Night_shift nurses"
    other.title, other.description = "Sleep 100 cohort", "Day nurses"
    await db.flush()
    for challenge in (public, hidden):
        await make_offering(db, sleep, challenge)
    await make_offering(db, sleep, await make_challenge(db, title="Not agreed"), agreed=False)

    async def found(user, q: str) -> list[tuple[str, list[str]]]:
        await sign_in(client, db, user)
        items = (await client.get("/api/v1/datasets", params={"q": q})).json()["items"]
        return [(item["title"], [ref["title"] for ref in item["offered_to"]]) for item in items]

    person = await make_user(db)
    # every word in the title or the description, whatever the case; % and _ are plain characters
    assert await found(person, "SLEEP night_shift 100%") == [("Sleep 100% cohort", ["B public challenge"])]
    assert await found(person, "sleep nurses") == [
        ("Sleep 100 cohort", []),
        ("Sleep 100% cohort", ["B public challenge"]),
    ]
    assert await found(person, "sleep_100") == []
    # an administrator sees the unpublished challenge too, by title
    admin = await make_user(db, admin=True)
    assert await found(admin, "100%") == [("Sleep 100% cohort", ["A draft challenge", "B public challenge"])]
