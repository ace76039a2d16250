"""Founders create a draft among their organizations, then edit its details, prizes, questions and organizers."""

from __future__ import annotations

from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeOrganizer, Prize, Program
from tests.challenges.core.helpers import audit_entries, reload
from tests.conftest import text_of
from tests.factories import make_challenge, make_organization, make_user

DETAILS = {
    "title": "Cardio Data Challenge",
    "summary": "Predict heart failure.",
    "description": "# Context\n\nData from **three** hospitals.",
    "rules": "Be fair.",
    "program": "",
    "contact_email": "team@acme.example",
    "visibility": "public",
    "timezone": "Europe/Paris",
    "team_min": "1",
    "team_max": "5",
    "approval_mode": "manual",
    "approval_domains": "",
}


async def test_creating_a_draft_names_organizers_among_ones_own_organizations(cast, browser, db):
    second = await make_organization(db, name="Acme Labs", owner=cast.founder)
    client = await browser(cast.founder)
    page = await client.get("/challenges/new")
    assert "Acme Hospital" in page.text and "Acme Labs" in page.text and "Other Lab" not in page.text
    response = await client.submit(
        "/challenges",
        {
            "title": "Heart Failure Challenge",
            "summary": "Predict it.",
            "organizations": [cast.organization.slug, second.slug],
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/challenges/heart-failure-challenge/edit"
    challenge = await db.scalar(select(Challenge).where(Challenge.slug == "heart-failure-challenge"))
    assert challenge.published_at is None and challenge.created_by_id == cast.founder.id
    organizers = set(
        await db.scalars(
            select(ChallengeOrganizer.organization_id).where(ChallengeOrganizer.challenge_id == challenge.id)
        )
    )
    assert organizers == {cast.organization.id, second.id}
    assert await audit_entries(db, "challenge:create", challenge.id)


async def test_creating_with_a_foreign_organization_or_none_is_refused(cast, browser):
    client = await browser(cast.founder)
    foreign = await client.submit(
        "/challenges", {"title": "Sneaky", "organizations": "other-lab-does-not-exist"}
    )
    assert foreign.status_code == 422
    assert "Choose among the organizations you are a member of." in text_of(foreign.text)
    none = await client.submit("/challenges", {"title": "Lonely"})
    assert none.status_code == 422 and "Choose at least one of your organizations." in text_of(none.text)
    lone = await browser(cast.user)
    refused = await lone.submit("/challenges", {"title": "Nobody's"})
    assert refused.status_code == 422
    assert "You need to be a member of an organization first." in text_of(refused.text)


async def test_the_slug_comes_from_the_title_and_stays_unique(cast, browser, db):
    client = await browser(cast.founder)
    for _ in range(2):
        response = await client.submit(
            "/challenges", {"title": "Santé Numérique!", "organizations": cast.organization.slug}
        )
        assert response.status_code == 303
    slugs = set(await db.scalars(select(Challenge.slug).where(Challenge.title == "Santé Numérique!")))
    assert slugs == {"sante-numerique", "sante-numerique-2"}


async def test_reserved_titles_do_not_shadow_pages(cast, browser):
    client = await browser(cast.founder)
    response = await client.submit("/challenges", {"title": "New", "organizations": cast.organization.slug})
    assert response.headers["location"] == "/challenges/new-2/edit"


async def test_founders_edit_the_details_of_a_draft(cast, browser, db):
    program = Program(
        slug="cardio-2027",
        title="Cardio 2027",
        kind="pathology",
        starts_on=__import__("datetime").date(2027, 1, 1),
        ends_on=__import__("datetime").date(2027, 12, 31),
    )
    db.add(program)
    await db.flush()
    client = await browser(cast.founder)
    page = await client.get(f"/challenges/{cast.draft.slug}/edit")
    assert page.status_code == 200 and "Before publishing:" not in page.text
    data = {
        **DETAILS,
        "slug": "cardio-data",
        "program": "cardio-2027",
        "allowed_kinds": ["startup", "company"],
        "allowed_countries": ["FR", "BE"],
        "approval_mode": "domain",
        "approval_domains": "acme.example\n@Other.org\n",
    }
    response = await client.submit(f"/challenges/{cast.draft.slug}/edit", data)
    assert response.status_code == 303, text_of(response.text)
    assert response.headers["location"] == "/challenges/cardio-data/edit"
    challenge = await reload(db, cast.draft)
    assert challenge.slug == "cardio-data" and challenge.program_id == program.id
    assert challenge.allowed_kinds == ["company", "startup"] and challenge.allowed_countries == ["BE", "FR"]
    assert challenge.approval_domains == ["acme.example", "other.org"]
    assert challenge.contact_email == "team@acme.example"
    assert challenge.rules_version == 1


async def test_bad_details_come_back_with_a_message_beside_each_field(cast, browser, db):
    client = await browser(cast.founder)
    data = {
        **DETAILS,
        "title": "",
        "slug": "Not A Slug",
        "contact_email": "nope",
        "visibility": "secret",
        "timezone": "Mars/Olympus",
        "team_min": "6",
        "team_max": "3",
        "allowed_kinds": "wizard",
        "allowed_countries": "XX",
        "approval_mode": "bribe",
        "approval_domains": "not a domain",
        "program": "ghost",
    }
    response = await client.submit(f"/challenges/{cast.draft.slug}/edit", data)
    assert response.status_code == 422
    page = text_of(response.text)
    for message in (
        "This field is required.",
        "Enter a valid e-mail address.",
        "Choose a time zone from the list.",
        "Choose kinds of organization from the list.",
        "Choose countries from the list.",
        "These are not e-mail domains: not a domain.",
    ):
        assert message in page, message
    assert (await reload(db, cast.draft)).title == "Draft Lung Challenge"
    # One at a time, the remaining checks answer too.
    for field, value, message in (
        ("slug", "Not A Slug", "Use 3 to 80 lower-case letters"),
        ("slug", cast.public.slug, "Another challenge already uses this address."),
        ("slug", "join", "This address is reserved."),
        ("program", "ghost", "Choose a program from the list."),
        ("team_min", "6", "The maximum cannot be smaller than the minimum."),
        ("team_max", "99", "Enter a whole number between 1 and 50."),
    ):
        values = {**DETAILS, "slug": cast.draft.slug, "team_min": "1", "team_max": "5", field: value}
        response = await client.submit(f"/challenges/{cast.draft.slug}/edit", values)
        assert response.status_code == 422 and message in text_of(response.text), (field, value)


async def test_htmx_gets_only_the_refused_section(cast, browser):
    client = await browser(cast.founder)
    response = await client.htmx("POST", f"/challenges/{cast.draft.slug}/edit", data={**DETAILS, "title": ""})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="details">')
    assert "<html" not in response.text


async def test_the_slug_of_a_published_challenge_never_changes(cast, browser, db):
    client = await browser(cast.founder)
    data = {
        **DETAILS,
        "title": "Public Heart Challenge",
        "slug": "new-address",
        "summary": "s",
        "description": "d",
        "rules": "r",
    }
    response = await client.submit(f"/challenges/{cast.public.slug}/edit", data)
    assert response.status_code == 422
    assert "The address of a published challenge cannot change" in text_of(response.text)
    assert (await reload(db, cast.public)).slug != "new-address"


async def test_changing_the_rules_after_publishing_raises_their_version(cast, browser, db):
    client = await browser(cast.founder)
    base = {**DETAILS, "title": cast.public.title, "summary": "s", "description": "d"}
    await client.submit(f"/challenges/{cast.public.slug}/edit", {**base, "rules": "Be kind."})
    assert (await reload(db, cast.public)).rules_version == 1
    response = await client.submit(
        f"/challenges/{cast.public.slug}/edit", {**base, "rules": "Be kind. No plagiarism."}
    )
    assert response.status_code == 303
    challenge = await reload(db, cast.public)
    assert challenge.rules_version == 2
    assert await audit_entries(db, "challenge:edit_rules", challenge.id)
    # Drafts keep version 1 however often their rules change.
    await client.submit(
        f"/challenges/{cast.draft.slug}/edit", {**base, "slug": cast.draft.slug, "rules": "Other."}
    )
    assert (await reload(db, cast.draft)).rules_version == 1


async def test_a_published_challenge_cannot_lose_what_made_it_complete(cast, browser, db):
    client = await browser(cast.founder)
    data = {**DETAILS, "title": cast.public.title, "rules": "", "approval_mode": "domain"}
    response = await client.submit(f"/challenges/{cast.public.slug}/edit", data)
    assert response.status_code == 422
    page = text_of(response.text)
    assert "This change would leave the published challenge inconsistent." in page
    assert "Write the rules." in page
    assert "List the e-mail domains whose registrations are approved automatically." in page
    assert (await reload(db, cast.public)).rules == "Be kind."


async def test_founders_add_their_other_organizations_as_co_organizers(cast, browser, db):
    labs = await make_organization(db, name="Acme Labs", owner=cast.founder, verified=False)
    client = await browser(cast.founder)
    response = await client.submit(f"/challenges/{cast.draft.slug}/organizers", {"organization": labs.slug})
    assert response.status_code == 303
    colleague = await make_user(db)
    await make_organization(db, owner=colleague)
    from app.organizations.models import OrganizationMember

    db.add(OrganizationMember(organization_id=labs.id, user_id=colleague.id, role="member"))
    await db.flush()
    assert (await (await browser(colleague)).get(f"/challenges/{cast.draft.slug}/edit")).status_code == 200
    again = await client.submit(f"/challenges/{cast.draft.slug}/organizers", {"organization": labs.slug})
    assert again.status_code == 422 and "Acme Labs already organizes this challenge." in text_of(again.text)
    foreign = await client.submit(f"/challenges/{cast.draft.slug}/organizers", {"organization": "other-lab"})
    assert foreign.status_code == 422
    assert await audit_entries(db, "challenge:add_organizer", cast.draft.id)


async def test_prizes_are_added_edited_reordered_and_removed(cast, browser, db):
    client = await browser(cast.founder)
    url = f"/challenges/{cast.draft.slug}/prizes"
    for title in ("First", "Second", "Third"):
        assert (
            await client.submit(url, {"title": title, "reward": "1 000 €", "description": "*nice*"})
        ).status_code == 303

    async def titles():
        rows = await db.scalars(
            select(Prize)
            .where(Prize.challenge_id == cast.draft.id)
            .order_by(Prize.position)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    first, second, third = await titles()
    await client.submit(f"{url}/{third.id}/move", {"direction": "up"})
    assert [p.title for p in await titles()] == ["First", "Third", "Second"]
    await client.submit(f"{url}/{first.id}/remove")
    assert [p.title for p in await titles()] == ["Third", "Second"]
    assert [p.position for p in await titles()] == [1, 2]
    response = await client.submit(
        f"{url}/{second.id}", {"title": "Runner-up", "reward": "", "description": ""}
    )
    assert response.status_code == 303
    assert [p.title for p in await titles()] == ["Third", "Runner-up"]
    bad = await client.submit(f"{url}/{second.id}", {"title": " ", "reward": "x" * 300})
    assert bad.status_code == 422
    assert "This field is required." in text_of(
        bad.text
    ) and "Use at most 200 ordinary characters." in text_of(bad.text)
    # A prize of another challenge is not reachable through this one.
    other_prize = Prize(challenge_id=cast.other.id, title="Theirs")
    db.add(other_prize)
    await db.flush()
    assert (await client.submit(f"{url}/{other_prize.id}/remove")).status_code == 404


async def test_registration_questions_keep_their_keys(cast, browser, db):
    client = await browser(cast.founder)
    url = f"/challenges/{cast.draft.slug}/questions"
    await client.submit(url, {"label": "Why you?", "required": "1"})
    await client.submit(url, {"label": "Your stage?"})
    questions = (await reload(db, cast.draft)).registration_questions
    assert [(q["label"], q["required"]) for q in questions] == [("Why you?", True), ("Your stage?", False)]
    first, second = (q["key"] for q in questions)
    await client.submit(f"{url}/{second}/move", {"direction": "up"})
    await client.submit(f"{url}/{first}", {"label": "Why your team?"})
    questions = (await reload(db, cast.draft)).registration_questions
    assert [(q["key"], q["label"], q["required"]) for q in questions] == [
        (second, "Your stage?", False),
        (first, "Why your team?", False),
    ]
    await client.submit(f"{url}/{first}/remove")
    await client.submit(url, {"label": "New one"})
    keys = [q["key"] for q in (await reload(db, cast.draft)).registration_questions]
    assert keys[0] == second and first not in keys and len(keys) == 2
    assert (await client.submit(url, {"label": ""})).status_code == 422
    assert (await client.submit(f"{url}/q-nothere/remove")).status_code == 404


async def test_other_people_cannot_edit(cast, browser, db):
    for person, status in (
        (cast.user, 403),
        (cast.participant, 403),
        (cast.other_founder, 403),
        (cast.admin, 403),
    ):
        client = await browser(person)
        assert (await client.get(f"/challenges/{cast.public.slug}/edit")).status_code == status
        assert (await client.get(f"/challenges/{cast.draft.slug}/edit")).status_code == (
            403 if person is cast.admin else 404
        )
        response = await client.submit(f"/challenges/{cast.public.slug}/edit", {**DETAILS, "title": "Hacked"})
        assert response.status_code == status
    assert (await reload(db, cast.public)).title == "Public Heart Challenge"


async def test_an_unrelated_challenge_keeps_its_own_founders(db, browser):
    challenge = await make_challenge(db, published=False)
    outsider = await make_user(db)
    assert (await (await browser(outsider)).get(f"/challenges/{challenge.slug}/edit")).status_code == 404
