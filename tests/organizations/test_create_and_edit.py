"""Creating an organization (its creator becomes owner, its slug is unique) and editing its details."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.organizations.models import Organization, OrganizationMember
from app.organizations.services import slugify
from tests.conftest import text_of
from tests.factories import make_organization, make_user, sign_in
from tests.organizations.conftest import audit_entries

VALID = {"name": "Clinique Saint-Étienne", "kind": "hospital", "country": "FR", "website": "clinique.example"}


async def organization_by_slug(db, slug: str) -> Organization | None:
    return await db.scalar(
        select(Organization).where(Organization.slug == slug).execution_options(populate_existing=True)
    )


async def test_creator_becomes_owner_and_creation_is_audited(client, db):
    creator = await make_user(db, name="Claire Creator")
    await sign_in(client, db, creator)
    response = await client.submit("/organizations", VALID)
    assert response.status_code == 303
    assert response.headers["location"] == "/organizations/clinique-saint-etienne"
    organization = await organization_by_slug(db, "clinique-saint-etienne")
    assert (organization.name, organization.kind, organization.country) == (
        "Clinique Saint-Étienne",
        "hospital",
        "FR",
    )
    assert organization.website == "https://clinique.example"
    assert organization.verified_at is None
    role = await db.scalar(
        select(OrganizationMember.role).where(
            OrganizationMember.organization_id == organization.id, OrganizationMember.user_id == creator.id
        )
    )
    assert role == "owner"
    [entry] = await audit_entries(db, "organization:create", organization.id)
    assert entry.actor_id == creator.id and entry.details["slug"] == "clinique-saint-etienne"
    page = await client.get(response.headers["location"])
    assert "Clinique Saint-Étienne has been created. You are its owner." in text_of(page.text)


async def test_same_name_gets_a_different_slug(client, db):
    await make_organization(db, name="Existing")  # slug org-…, not in the way
    await sign_in(client, db, await make_user(db))
    first = await client.submit("/organizations", {**VALID, "name": "Twin Health"})
    second = await client.submit("/organizations", {**VALID, "name": "Twin  Health"})
    assert first.headers["location"] == "/organizations/twin-health"
    assert second.headers["location"] == "/organizations/twin-health-2"


async def test_a_slug_never_shadows_the_new_organization_page(client, db):
    await sign_in(client, db, await make_user(db))
    response = await client.submit("/organizations", {**VALID, "name": "New"})
    assert response.headers["location"] == "/organizations/new-2"


def test_slugify_keeps_letters_and_digits_only():
    assert (
        slugify("  Hôpital Européen   Georges-Pompidou (AP-HP) ") == "hopital-europeen-georges-pompidou-ap-hp"
    )
    assert slugify("北京医院") == "organization"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", " ", "Enter the organization’s name."),
        ("name", "x" * 201, "Use at most 200 ordinary characters."),
        ("kind", "castle", "Choose a kind of organization from the list."),
        ("country", "XX", "Choose a country from the list."),
        ("country", "", "Choose a country from the list."),
        ("website", "javascript:alert(1)", "Enter a web address such as https://example.org."),
        ("website", "not a site", "Enter a web address such as https://example.org."),
    ],
)
async def test_bad_input_is_refused_with_a_message_beside_the_field(client, db, field, value, message):
    await sign_in(client, db, await make_user(db))
    response = await client.submit("/organizations", {**VALID, field: value})
    assert response.status_code == 422
    assert f'id="org-{field}-error"' in response.text
    assert message in text_of(response.text)
    assert await db.scalar(select(Organization).where(Organization.name == VALID["name"])) is None


async def test_missing_fields_are_refused_not_crashing(client, db):
    await sign_in(client, db, await make_user(db))
    response = await client.submit("/organizations", {})
    assert response.status_code == 422
    assert "Enter the organization’s name." in text_of(response.text)


async def test_form_offers_translated_kinds_and_countries_in_the_users_language(client, db):
    await sign_in(client, db, await make_user(db, locale="fr"))
    page = text_of((await client.get("/organizations/new")).text)
    assert "Laboratoire académique" in page and "Organisme public" in page
    assert "Allemagne" in page and "Côte d’Ivoire" in page
    await sign_in(client, db, await make_user(db, locale="en"))
    page = text_of((await client.get("/organizations/new")).text)
    assert "Academic lab" in page and "Germany" in page


async def test_owner_edits_details_and_the_change_is_audited(client, db):
    owner = await make_user(db)
    organization = await make_organization(db, name="Old Name", owner=owner)
    await sign_in(client, db, owner)
    url = f"/organizations/{organization.slug}/edit"
    assert (await client.get(url)).status_code == 200
    response = await client.submit(
        url, {"name": "New Name", "kind": "company", "country": "BE", "website": ""}
    )
    assert response.status_code == 303
    organization = await organization_by_slug(db, organization.slug)
    assert (organization.name, organization.kind, organization.country) == ("New Name", "company", "BE")
    [entry] = await audit_entries(db, "organization:edit", organization.id)
    assert entry.details["changed"] == {"name": "New Name", "kind": "company", "country": "BE"}


async def test_edit_with_bad_input_keeps_the_old_details(client, db):
    owner = await make_user(db)
    organization = await make_organization(db, name="Stable", owner=owner)
    await sign_in(client, db, owner)
    response = await client.submit(
        f"/organizations/{organization.slug}/edit", {"name": "", "kind": "startup", "country": "FR"}
    )
    assert response.status_code == 422
    assert "Enter the organization’s name." in text_of(response.text)
    assert (await organization_by_slug(db, organization.slug)).name == "Stable"


async def test_member_cannot_edit(client, db):
    member = await make_user(db)
    organization = await make_organization(db, owner=await make_user(db), members=(member,))
    await sign_in(client, db, member)
    response = await client.submit(f"/organizations/{organization.slug}/edit", {**VALID, "name": "Hijacked"})
    assert response.status_code == 403
    assert (await organization_by_slug(db, organization.slug)).name != "Hijacked"
