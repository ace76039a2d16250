"""Registering a dataset, its details, stewards and agreement versions; the catalogue shows descriptions and
never content; who may do what; the catalogue's cost does not grow with the datasets."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.data_sharing.models import AgreementVersion, Dataset, DatasetSteward
from tests.conftest import text_of
from tests.data_sharing.support import ROLES, as_role, audit_entries, denied, make_cast
from tests.factories import make_challenge, make_dataset, make_offering, make_organization, make_user, sign_in
from tests.querycount import counting_statements

FORM = {
    "title": "Échocardiographies 2024",
    "description": "Reports of **echocardiography**.",
    "sensitivity": "sensitive",
    "access_mode": "workspace",
    "workspace_instructions": "Log in to https://bastion.example with your badge.",
    "max_grant_days": "120",
    "agreement": "No re-identification.",
}


@pytest.fixture
async def cast(db):
    return await make_cast(db)


async def fresh(db, model, *criteria):
    return list(await db.scalars(select(model).where(*criteria).execution_options(populate_existing=True)))


# --- registering -------------------------------------------------------------------------------------------


async def test_a_member_registers_a_dataset_and_becomes_its_steward(client, db):
    member = await make_user(db, name="Mia")
    organization = await make_organization(db, owner=None, members=(member,))
    await sign_in(client, db, member)
    page = await client.get("/datasets/new")
    assert page.status_code == 200 and organization.name in page.text
    response = await client.submit("/datasets", {**FORM, "organization": organization.slug})
    assert response.status_code == 303
    [dataset] = await fresh(db, Dataset, Dataset.steward_organization_id == organization.id)
    assert response.headers["location"] == f"/datasets/{dataset.slug}"
    assert dataset.slug == "echocardiographies-2024"
    assert (dataset.sensitivity, dataset.access_mode, dataset.max_grant_days) == (
        "sensitive",
        "workspace",
        120,
    )
    assert dataset.workspace_instructions.startswith("Log in")
    assert [s.user_id for s in await fresh(db, DatasetSteward, DatasetSteward.dataset_id == dataset.id)] == [
        member.id
    ]
    [version] = await fresh(db, AgreementVersion, AgreementVersion.dataset_id == dataset.id)
    assert (version.version, version.text) == (1, "No re-identification.")
    [entry] = await audit_entries(db, "dataset:create", dataset.id)
    assert entry.actor_id == member.id
    shown = await client.get(f"/datasets/{dataset.slug}")
    assert "<strong>echocardiography</strong>" in shown.text


async def test_registering_says_what_is_missing(client, db):
    member = await make_user(db)
    await make_organization(db, owner=member)
    await sign_in(client, db, member)
    bad = {
        "title": "",
        "sensitivity": "secret",
        "access_mode": "workspace",
        "max_grant_days": "0",
        "agreement": " ",
    }
    response = await client.submit("/datasets", bad)
    assert response.status_code == 422
    page = text_of(response.text)
    for message in (
        "Give the dataset a title.",
        "Choose a sensitivity from the list.",
        "Say how granted members reach the secure workspace.",
        "Give a number of days between 1 and 1830.",
        "Write the data use agreement.",
        "Choose at least one of your organizations.",
    ):
        assert message in page
    assert await fresh(db, Dataset, Dataset.created_by_id == member.id) == []


async def test_nobody_registers_for_an_organization_they_do_not_belong_to(client, db):
    outsider = await make_user(db)
    await make_organization(db, owner=outsider)
    foreign = await make_organization(db)
    await sign_in(client, db, outsider)
    response = await client.submit("/datasets", {**FORM, "organization": foreign.slug})
    assert response.status_code == 422
    assert "Choose among the organizations you are a member of." in text_of(response.text)
    assert await fresh(db, Dataset, Dataset.steward_organization_id == foreign.id) == []


async def test_registering_needs_an_account(client, db):
    assert (await client.get("/datasets/new")).status_code == 303
    assert (await client.submit("/datasets", FORM)).status_code in (303, 401)


# --- the catalogue -----------------------------------------------------------------------------------------


async def test_catalogue_describes_datasets_and_never_shows_content(client, db, cast):
    cast.dataset.access_mode = "workspace"
    cast.dataset.workspace_instructions = "SECRET-BASTION-ADDRESS"
    await make_offering(db, cast.dataset, cast.challenge)
    pending = await make_challenge(db, title="Pending challenge")
    await make_offering(db, cast.dataset, pending, agreed=False)
    open_data = await make_dataset(db, sensitivity="open")
    open_data.title = "Open air quality"
    await db.flush()
    for role in ("other", "captain", "admin"):
        await as_role(client, db, cast, role)
        response = await client.get("/datasets")
        assert response.status_code == 200
        page = text_of(response.text)
        assert cast.dataset.title in page and open_data.title in page
        assert "Sensitive health data" in page and "Heart failure challenge" in page
        assert "Pending challenge" not in page and "SECRET-BASTION-ADDRESS" not in page
        detail = await client.get(f"/datasets/{cast.dataset.slug}")
        assert detail.status_code == 200 and "SECRET-BASTION-ADDRESS" not in detail.text
    filtered = text_of((await client.get("/datasets?sensitivity=open")).text)
    assert open_data.title in filtered and cast.dataset.title not in filtered
    searched = text_of((await client.get("/datasets?q=AIR")).text)
    assert open_data.title in searched and cast.dataset.title not in searched
    wrong = await client.get("/datasets?sensitivity=secret")
    assert wrong.status_code == 422 and "Choose a sensitivity from the list." in text_of(wrong.text)


async def test_stewards_see_their_workspace_instructions(client, db, cast):
    cast.dataset.access_mode = "workspace"
    cast.dataset.workspace_instructions = "SECRET-BASTION-ADDRESS"
    await as_role(client, db, cast, "steward")
    assert "SECRET-BASTION-ADDRESS" in (await client.get(f"/datasets/{cast.dataset.slug}")).text


async def test_catalogue_is_for_signed_in_people(client, db, cast):
    response = await client.get("/datasets")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_catalogue_queries_do_not_grow_with_datasets(client, db, connection):
    viewer = await make_user(db)
    challenge = await make_challenge(db)
    counts = []
    for extra in (3, 27):
        for _index in range(extra):
            dataset = await make_dataset(db)
            await make_offering(db, dataset, challenge)
        await sign_in(client, db, viewer)
        with counting_statements(connection) as statements:
            response = await client.get("/datasets")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- editing, stewards, agreement ---------------------------------------------------------------------------


async def test_stewards_edit_the_details(client, db, cast):
    await as_role(client, db, cast, "steward")
    assert (await client.get(f"/datasets/{cast.dataset.slug}/edit")).status_code == 200
    values = {**FORM, "title": "Renamed", "access_mode": "files", "sensitivity": "restricted"}
    response = await client.submit(f"/datasets/{cast.dataset.slug}/edit", values)
    assert response.status_code == 303
    [dataset] = await fresh(db, Dataset, Dataset.id == cast.dataset.id)
    assert (dataset.title, dataset.sensitivity, dataset.workspace_instructions) == (
        "Renamed",
        "restricted",
        "",
    )
    [entry] = await audit_entries(db, "dataset:edit", dataset.id)
    assert "title" in entry.details["fields"]
    bad = await client.submit(f"/datasets/{cast.dataset.slug}/edit", {**values, "max_grant_days": "9999"})
    assert bad.status_code == 422 and "Give a number of days between 1 and 1830." in text_of(bad.text)


async def test_stewards_name_and_remove_stewards_never_the_last(client, db, cast):
    url = f"/datasets/{cast.dataset.slug}/stewards"
    await as_role(client, db, cast, "steward")
    assert cast.org_member.name in (await client.get(f"/datasets/{cast.dataset.slug}")).text
    outsider = await client.submit(url, {"user": str(cast.other.id)})
    assert outsider.status_code == 422 and "Choose a member of the steward organization." in text_of(
        outsider.text
    )
    assert (await client.submit(url, {"user": "not-an-id"})).status_code == 422
    assert (await client.submit(url, {"user": str(cast.org_member.id)})).status_code == 303
    again = await client.submit(url, {"user": str(cast.org_member.id)})
    assert again.status_code == 422 and "is already a steward" in text_of(again.text)
    assert len(await audit_entries(db, "dataset:add_steward", cast.dataset.id)) == 1
    removed = await client.submit(f"{url}/{cast.steward.id}/remove")
    assert removed.status_code == 303
    stewards = await fresh(db, DatasetSteward, DatasetSteward.dataset_id == cast.dataset.id)
    assert [s.user_id for s in stewards] == [cast.org_member.id]
    assert len(await audit_entries(db, "dataset:remove_steward", cast.dataset.id)) == 1
    await as_role(client, db, cast, "org_member")
    last = await client.submit(f"{url}/{cast.org_member.id}/remove")
    assert last.status_code == 409
    assert "A dataset needs at least one steward." in text_of(last.text)


async def test_stewards_publish_agreement_versions(client, db, cast):
    url = f"/datasets/{cast.dataset.slug}/agreement"
    await as_role(client, db, cast, "steward")
    empty = await client.submit(url, {"agreement": "  "})
    assert empty.status_code == 422 and "Write the data use agreement." in text_of(empty.text)
    assert (await client.submit(url, {"agreement": "Version two: no sharing."})).status_code == 303
    versions = await fresh(db, AgreementVersion, AgreementVersion.dataset_id == cast.dataset.id)
    assert sorted(v.version for v in versions) == [1, 2]
    [entry] = await audit_entries(db, "dataset:new_agreement", cast.dataset.id)
    assert entry.details == {"version": 2}
    page = text_of((await client.get(f"/datasets/{cast.dataset.slug}")).text)
    assert (
        "Version 2, in force since" in page
        and "Version two: no sharing." in page
        and "Earlier versions" in page
    )


async def test_the_dataset_page_speaks_french_down_to_its_labels_and_dates(client, db, cast):
    await as_role(client, db, cast, "steward")
    cast.steward.locale = "fr"
    await db.flush()
    page = text_of((await client.get(f"/datasets/{cast.dataset.slug}")).text)
    assert "Données de santé sensibles" in page and "Fichiers fournis par la plateforme" in page
    assert "Sensitive health data" not in page and "Files served by the platform" not in page
    assert re.search(r"Version 1, en vigueur depuis le \d{1,2} [a-zéû]+\.? \d{4}", page), page


# --- who may do what ---------------------------------------------------------------------------------------

STEWARD_ONLY = {"steward"}


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_manage_a_dataset(client, db, cast, role):
    await as_role(client, db, cast, role)
    slug = cast.dataset.slug
    views = [await client.get(f"/datasets/{slug}"), await client.get("/datasets")]
    for response in views:
        assert response.status_code == 200 if role != "visitor" else denied(response.status_code, role)
    attempts = {
        "edit page": await client.get(f"/datasets/{slug}/edit"),
        "edit": await client.submit(f"/datasets/{slug}/edit", {**FORM, "title": "Hijacked"}),
        "agreement": await client.submit(f"/datasets/{slug}/agreement", {"agreement": "Hijacked"}),
        "add steward": await client.submit(f"/datasets/{slug}/stewards", {"user": str(cast.org_member.id)}),
        "remove steward": await client.submit(f"/datasets/{slug}/stewards/{cast.steward.id}/remove"),
    }
    for name, response in attempts.items():
        if role in STEWARD_ONLY:
            assert response.status_code in (200, 303, 409), (name, response.status_code)
        else:
            assert denied(response.status_code, role), (name, response.status_code)
    if role not in STEWARD_ONLY:
        [dataset] = await fresh(db, Dataset, Dataset.id == cast.dataset.id)
        assert dataset.title != "Hijacked"
        assert len(await fresh(db, AgreementVersion, AgreementVersion.dataset_id == dataset.id)) == 1


async def test_unknown_dataset_is_404(client, db, cast):
    await as_role(client, db, cast, "steward")
    assert (await client.get("/datasets/nothing-here")).status_code == 404
    assert (await client.submit("/datasets/nothing-here/agreement", {"agreement": "x"})).status_code == 404


async def test_catalogue_filters_refresh_the_results_alone(client, db, cast):
    await as_role(client, db, cast, "other")
    response = await client.htmx("GET", "/datasets?sensitivity=sensitive")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results"') and cast.dataset.title in response.text
