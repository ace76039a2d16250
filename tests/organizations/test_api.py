"""The JSON API of organizations: same permissions as the pages, problem details, no mass assignment."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.organizations.models import Organization, OrganizationMember
from tests.factories import make_organization, make_user
from tests.organizations.conftest import send

BODY = {"name": "Api Health", "kind": "startup", "country": "de", "website": "https://api-health.example"}


def is_problem(response) -> bool:
    return (
        response.headers["content-type"].startswith("application/problem+json")
        and response.json()["status"] == response.status_code
    )


async def test_visitors_get_401_problem_details(browser):
    visitor = await browser()
    for method, url in (
        ("GET", "/api/v1/organizations"),
        ("POST", "/api/v1/organizations"),
        ("GET", "/api/v1/organizations/x/members"),
    ):
        response = await send(visitor, method, url, BODY)
        assert response.status_code == 401, url
        assert is_problem(response)


async def test_list_is_paginated_searchable_and_private(cast, browser, db):
    tag = uuid.uuid4().hex[:6]
    for number in range(22):
        await make_organization(
            db, name=f"{tag} Api {number:02d}", kind="company" if number % 2 else "startup"
        )
    client = await browser(cast.user)
    response = await client.get(f"/api/v1/organizations?q={tag}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 22, 2)
    assert [item["name"] for item in body["items"]][:2] == [f"{tag} Api 00", f"{tag} Api 01"]
    second = (await client.get(f"/api/v1/organizations?q={tag}&page=2")).json()
    assert [item["name"] for item in second["items"]] == [f"{tag} Api 20", f"{tag} Api 21"]
    startups = (await client.get(f"/api/v1/organizations?q={tag}&kind=startup")).json()
    assert startups["total"] == 11 and {item["kind"] for item in startups["items"]} == {"startup"}


async def test_bad_list_parameters_are_400_problems(cast, browser):
    client = await browser(cast.user)
    for query in ("page=0", "page=x", "kind=castle", "q=" + "x" * 201):
        response = await client.get(f"/api/v1/organizations?{query}")
        assert response.status_code == 400, query
        assert is_problem(response)


async def test_show_one_organization(cast, browser):
    client = await browser(cast.user)
    body = (await client.get(f"/api/v1/organizations/{cast.organization.slug}")).json()
    assert body["name"] == "Acme Health"
    assert (body["kind"], body["kind_label"], body["country"], body["country_name"]) == (
        "hospital",
        "Hospital",
        "FR",
        "France",
    )
    assert body["verified"] is False and body["member_count"] == 2
    missing = await client.get("/api/v1/organizations/no-such-organization")
    assert missing.status_code == 404 and is_problem(missing)


async def test_create_makes_the_caller_owner_and_answers_201(cast, browser, db):
    client = await browser(cast.user)
    response = await send(client, "POST", "/api/v1/organizations", BODY)
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "api-health" and body["country"] == "DE" and body["member_count"] == 1
    assert response.headers["location"] == "/api/v1/organizations/api-health"
    organization = await db.scalar(select(Organization).where(Organization.slug == "api-health"))
    role = await db.scalar(
        select(OrganizationMember.role).where(
            OrganizationMember.organization_id == organization.id, OrganizationMember.user_id == cast.user.id
        )
    )
    assert role == "owner"


async def test_create_refuses_fields_the_platform_sets(cast, browser, db):
    client = await browser(cast.user)
    for field, value in (
        ("verified", True),
        ("slug", "chosen"),
        ("id", str(uuid.uuid4())),
        ("verified_at", "2020-01-01T00:00:00Z"),
    ):
        response = await send(client, "POST", "/api/v1/organizations", {**BODY, field: value})
        assert response.status_code == 400, field
        assert is_problem(response)
        assert field in response.text
    assert await db.scalar(select(Organization).where(Organization.name == "Api Health")) is None


async def test_create_with_bad_fields_gives_422_with_a_message_per_field(cast, browser):
    client = await browser(cast.user)
    response = await send(
        client,
        "POST",
        "/api/v1/organizations",
        {"name": "", "kind": "castle", "country": "Narnia", "website": "ftp://x"},
    )
    assert response.status_code == 422
    assert is_problem(response)
    messages = {error["key"]: error["message"] for error in response.json()["errors"]}
    assert set(messages) == {"name", "kind", "country", "website"}
    assert messages["country"] == "Choose a country from the list."


async def test_create_with_wrong_types_or_no_json_is_400(cast, browser):
    client = await browser(cast.user)
    token = {"X-CSRF-Token": await client.csrf()}
    wrong_type = await client.post("/api/v1/organizations", json={**BODY, "name": 42}, headers=token)
    missing = await client.post("/api/v1/organizations", json={"name": "Only a name"}, headers=token)
    not_json = await client.post(
        "/api/v1/organizations", content=b"{not json", headers={**token, "content-type": "application/json"}
    )
    for response in (wrong_type, missing, not_json):
        assert response.status_code == 400
        assert is_problem(response)


async def test_members_are_listed_for_members_and_admins_only(cast, browser):
    url = f"/api/v1/organizations/{cast.organization.slug}/members"
    member = await browser(cast.member)
    members = (await member.get(url)).json()
    assert [(m["name"], m["role"]) for m in members] == [("Olivia Owner", "owner"), ("Marc Member", "member")]
    assert (await (await browser(cast.admin)).get(url)).status_code == 200
    for outsider in (cast.user, cast.other_owner):
        response = await (await browser(outsider)).get(url)
        assert response.status_code == 403
        assert is_problem(response)


async def test_api_and_pages_agree_on_the_directory(cast, browser, db):
    tag = uuid.uuid4().hex[:6]
    await make_organization(db, name=f"{tag} Agreed", owner=await make_user(db))
    client = await browser(cast.user)
    api = (await client.get(f"/api/v1/organizations?q={tag}")).json()
    page = await client.get(f"/organizations?q={tag}")
    assert [item["name"] for item in api["items"]] == [f"{tag} Agreed"]
    assert f"{tag} Agreed" in page.text


async def test_the_api_is_described_in_the_openapi_schema(cast, browser):
    schema = (await (await browser(cast.user)).get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/organizations"])
    assert "get" in paths["/api/v1/organizations/{slug}/members"]
    create = schema["components"]["schemas"]["OrganizationCreate"]
    assert set(create["properties"]) == {"name", "kind", "country", "website"}
