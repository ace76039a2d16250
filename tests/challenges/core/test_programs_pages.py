"""Programs: co-founded by the creator's organizations, one or two years long, listing their visible challenges."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.challenges.models import Program, ProgramOrganization
from app.challenges.programs import _flush_checked
from app.platform.errors import InvalidInput
from tests.challenges.core.helpers import audit_entries, send
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization, make_user

PROGRAM = {
    "title": "Cardiovascular 2027–2028",
    "kind": "pathology",
    "starts_on": "2027-01-01",
    "ends_on": "2028-12-31",
    "description": "Heart **health**.",
}


async def create(client, organization, **changes):
    return await client.submit("/programs", {**PROGRAM, "organizations": organization.slug, **changes})


async def test_a_founder_creates_a_program_for_their_organizations(cast, browser, db):
    client = await browser(cast.founder)
    form = await client.get("/programs/new")
    assert "Acme Hospital" in form.text and "Other Lab" not in form.text
    response = await create(client, cast.organization)
    assert (
        response.status_code == 303 and response.headers["location"] == "/programs/cardiovascular-2027-2028"
    )
    program = await db.scalar(select(Program).where(Program.slug == "cardiovascular-2027-2028"))
    assert (program.kind, program.starts_on, program.ends_on) == (
        "pathology",
        dt.date(2027, 1, 1),
        dt.date(2028, 12, 31),
    )
    founders = set(
        await db.scalars(
            select(ProgramOrganization.organization_id).where(ProgramOrganization.program_id == program.id)
        )
    )
    assert founders == {cast.organization.id}
    assert await audit_entries(db, "program:create", program.id)
    page = await (await browser()).get("/programs/cardiovascular-2027-2028")
    assert page.status_code == 200
    assert "Pathology" in text_of(page.text) and "<strong>health</strong>" in page.text
    assert "Acme Hospital Verified" in text_of(page.text)


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"ends_on": "2029-01-02"}, "A program lasts at most two years."),
        ({"ends_on": "2026-12-31"}, "The program must end after it starts."),
        ({"ends_on": "2027-01-01"}, "The program must end after it starts."),
        ({"starts_on": "01/01/2027"}, "Enter a date such as 2027-01-31."),
        ({"kind": "astrology"}, "Choose a value from the list."),
        ({"title": "   "}, "This field is required."),
        ({"organizations": "other-lab"}, "Choose among the organizations you are a member of."),
    ],
)
async def test_bad_programs_are_refused_with_a_message_beside_the_field(
    cast, browser, db, changes, field_message
):
    client = await browser(cast.founder)
    response = await create(client, cast.organization, **changes)
    assert response.status_code == 422
    assert field_message in text_of(response.text)
    assert await db.scalar(select(Program)) is None


async def test_exactly_two_years_is_allowed_and_29_february_counts_like_the_database(cast, browser, db):
    client = await browser(cast.founder)
    assert (
        await create(
            client, cast.organization, title="Two years", ends_on="2029-01-01", starts_on="2027-01-01"
        )
    ).status_code == 303
    assert (
        await create(client, cast.organization, title="Leap", starts_on="2028-02-29", ends_on="2030-02-28")
    ).status_code == 303
    refused = await create(
        client, cast.organization, title="Leap+1", starts_on="2028-02-29", ends_on="2030-03-01"
    )
    assert refused.status_code == 422


async def test_the_databases_own_period_check_becomes_the_same_field_message(db):
    program = Program(
        slug="too-long",
        title="Too long",
        kind="technology",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2031, 1, 1),
    )
    with pytest.raises(InvalidInput) as refused:
        await _flush_checked(db, program)
    assert refused.value.errors == {"ends_on": "A program lasts at most two years, and ends after it starts."}


async def test_the_program_page_lists_only_published_challenges_the_viewer_may_see(cast, browser, db):
    program = Program(
        slug="lungs",
        title="Lungs",
        kind="patient_population",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    db.add(program)
    await db.flush()
    for challenge in (cast.public, cast.draft, cast.private):
        challenge.program_id = program.id
    await db.flush()
    visitor_page = text_of((await (await browser()).get("/programs/lungs")).text)
    assert "Public Heart Challenge" in visitor_page
    assert "Draft Lung Challenge" not in visitor_page and "Private Kidney Challenge" not in visitor_page
    founder_page = text_of((await (await browser(cast.founder)).get("/programs/lungs")).text)
    assert "Private Kidney Challenge" in founder_page and "Draft Lung Challenge" not in founder_page
    listing = text_of((await (await browser()).get("/programs")).text)
    assert "Lungs" in listing and "Patient population" in listing and "1 challenge" in listing


async def test_program_founders_edit_and_add_co_founders_others_cannot(cast, browser, db):
    client = await browser(cast.founder)
    await create(client, cast.organization)
    slug = "cardiovascular-2027-2028"
    labs = await make_organization(db, name="Acme Labs", owner=cast.founder)
    response = await client.submit(
        f"/programs/{slug}/edit", {**PROGRAM, "title": "Heart 2027", "organizations": labs.slug}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/programs/{slug}"
    program = await db.scalar(
        select(Program).where(Program.slug == slug).execution_options(populate_existing=True)
    )
    assert program.title == "Heart 2027"
    founders = set(
        await db.scalars(
            select(ProgramOrganization.organization_id).where(ProgramOrganization.program_id == program.id)
        )
    )
    assert founders == {cast.organization.id, labs.id}
    bad = await client.submit(f"/programs/{slug}/edit", {**PROGRAM, "ends_on": "2035-01-01"})
    assert bad.status_code == 422 and "A program lasts at most two years." in text_of(bad.text)
    for person in (cast.user, cast.other_founder, cast.admin, cast.participant):
        other = await browser(person)
        assert (await other.get(f"/programs/{slug}/edit")).status_code == 403
        assert (await other.submit(f"/programs/{slug}/edit", PROGRAM)).status_code == 403
    assert (await (await browser()).get(f"/programs/{slug}/edit")).status_code == 303
    assert (await client.get("/programs/nothing/edit")).status_code == 404


async def test_a_person_without_an_organization_is_told_to_create_one(browser, db):
    loner = await make_user(db)
    client = await browser(loner)
    assert "You are not a member of any organization yet." in text_of(
        (await client.get("/programs/new")).text
    )
    response = await client.submit("/programs", PROGRAM)
    assert response.status_code == 422 and "You need to be a member of an organization first." in text_of(
        response.text
    )


async def test_programs_through_the_api(cast, browser, db):
    client = await browser(cast.founder)
    body = {**PROGRAM, "organizations": [cast.organization.slug]}
    created = await send(client, "POST", "/api/v1/programs", body)
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    assert created.headers["location"] == f"/api/v1/programs/{slug}"
    assert created.json()["organizations"] == [
        {"slug": cast.organization.slug, "name": "Acme Hospital", "verified": True}
    ]
    patched = await send(client, "PATCH", f"/api/v1/programs/{slug}", {"title": "Renamed"})
    assert (
        patched.status_code == 200
        and patched.json()["title"] == "Renamed"
        and patched.json()["kind"] == "pathology"
    )
    too_long = await send(client, "PATCH", f"/api/v1/programs/{slug}", {"ends_on": "2031-01-01"})
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == [
        {"key": "ends_on", "message": "A program lasts at most two years.", "source": "body"}
    ]
    sneaky = await send(client, "PATCH", f"/api/v1/programs/{slug}", {"slug": "mine", "id": "x"})
    assert sneaky.status_code == 400
    listing = await (await browser()).get("/api/v1/programs")
    assert listing.status_code == 200 and [p["slug"] for p in listing.json()["items"]] == [slug]
    assert (await (await browser()).get(f"/api/v1/programs/{slug}")).json()["title"] == "Renamed"
    outsider = await send(await browser(cast.user), "PATCH", f"/api/v1/programs/{slug}", {"title": "Mine"})
    assert outsider.status_code == 403
    visitor = await send(await browser(), "POST", "/api/v1/programs", body)
    assert visitor.status_code == 401
    missing = await send(client, "POST", "/api/v1/programs", {"title": "x"})
    assert missing.status_code == 400
    bad = await send(client, "POST", "/api/v1/programs", {**body, "kind": "magic", "organizations": []})
    assert bad.status_code == 422
    assert {e["key"] for e in bad.json()["errors"]} == {"kind"}


async def test_a_program_may_group_challenges_of_anyone(cast, browser, db):
    program = Program(
        slug="open",
        title="Open",
        kind="technology",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 6, 30),
    )
    db.add(program)
    await db.flush()
    await make_challenge(db)
    client = await browser(cast.other_founder)
    response = await client.submit(
        f"/challenges/{cast.other.slug}/edit",
        {
            "title": cast.other.title,
            "summary": "s",
            "description": "d",
            "rules": "r",
            "program": "open",
            "visibility": "public",
            "timezone": "Europe/Paris",
            "team_min": "1",
            "team_max": "5",
            "approval_mode": "manual",
        },
    )
    assert response.status_code == 303, text_of(response.text)
