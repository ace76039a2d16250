"""The administration: dashboard, verifying organizations, admin rights, the audit log and its export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from app.accounts.models import User
from app.admin.services import grant_admin
from app.organizations.models import Organization
from app.platform.audit import record
from app.platform.csv import csv_cell
from tests.conftest import text_of
from tests.factories import make_user
from tests.organizations.conftest import audit_entries


async def reload(db, model, id_):
    return await db.scalar(select(model).where(model.id == id_).execution_options(populate_existing=True))


async def test_dashboard_shows_the_figures_and_latest_actions(cast, browser, db):
    await record(db, None, "organization:verify", "organization", "x", {"name": "Dash Check"})
    admin = await browser(cast.admin)
    response = await admin.get("/admin")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = text_of(response.text)
    assert "Awaiting verification" in page and "Latest governance actions" in page
    assert "organization:verify" in page and "name: Dash Check" in page


async def test_non_admins_do_not_even_see_the_administration(cast, browser):
    for person in (cast.user, cast.owner):
        client = await browser(person)
        for url in ("/admin", "/admin/organizations", "/admin/users", "/admin/audit", "/admin/audit.csv"):
            assert (await client.get(url)).status_code == 404, url
        assert "Administration" not in text_of((await client.get("/")).text)


# --- verification --------------------------------------------------------------------------------------


async def test_admin_verifies_then_unverifies_an_organization_and_both_are_audited(cast, browser, db):
    admin = await browser(cast.admin)
    listing = text_of((await admin.get("/admin/organizations")).text)
    assert "Acme Health" in listing and "Other Lab" in listing
    response = await admin.submit(
        f"/admin/organizations/{cast.organization.slug}/verify", {"status": "unverified"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/organizations?status=unverified"
    organization = await reload(db, Organization, cast.organization.id)
    assert organization.verified_at is not None and organization.verified_by_id == cast.admin.id
    link = f'href="/organizations/{cast.organization.slug}"'
    assert link not in (await admin.get("/admin/organizations?status=unverified")).text
    assert link in (await admin.get("/admin/organizations?status=verified")).text
    assert "Verified" in text_of((await admin.get(f"/organizations/{cast.organization.slug}")).text)

    assert (
        await admin.submit(f"/admin/organizations/{cast.organization.slug}/unverify", {"status": "verified"})
    ).status_code == 303
    organization = await reload(db, Organization, cast.organization.id)
    assert organization.verified_at is None and organization.verified_by_id is None
    [verified] = await audit_entries(db, "organization:verify", cast.organization.id)
    [unverified] = await audit_entries(db, "organization:unverify", cast.organization.id)
    assert verified.actor_id == unverified.actor_id == cast.admin.id


async def test_verifying_twice_records_once(cast, browser, db):
    admin = await browser(cast.admin)
    for _ in range(2):
        assert (
            await admin.submit(f"/admin/organizations/{cast.organization.slug}/verify")
        ).status_code == 303
    assert len(await audit_entries(db, "organization:verify", cast.organization.id)) == 1


async def test_owners_cannot_verify_their_own_organization(cast, browser, db):
    owner = await browser(cast.owner)
    assert (await owner.submit(f"/admin/organizations/{cast.organization.slug}/verify")).status_code == 403
    assert (await reload(db, Organization, cast.organization.id)).verified_at is None


async def test_unknown_review_status_or_organization_is_a_client_error(cast, browser):
    admin = await browser(cast.admin)
    assert (await admin.get("/admin/organizations?status=sideways")).status_code == 400
    assert (await admin.submit("/admin/organizations/no-such-organization/verify")).status_code == 404


# --- users and admin rights ----------------------------------------------------------------------------


async def test_users_are_searchable_by_name_or_email(cast, browser):
    admin = await browser(cast.admin)
    page = text_of((await admin.get("/admin/users?q=acme.example")).text)
    assert "Olivia Owner" in page and "Marc Member" in page and "Ursula User" not in page
    assert "Ursula User" in text_of((await admin.get("/admin/users?q=ursula")).text)
    assert "Nobody matches your search." in text_of((await admin.get("/admin/users?q=%25_nobody_%25")).text)


async def test_admin_grants_and_revokes_admin_rights_audited(cast, browser, db):
    admin = await browser(cast.admin)
    assert (await admin.submit(f"/admin/users/{cast.user.id}/grant-admin")).status_code == 303
    assert (await reload(db, User, cast.user.id)).is_admin
    assert (await admin.submit(f"/admin/users/{cast.user.id}/revoke-admin")).status_code == 303
    assert not (await reload(db, User, cast.user.id)).is_admin
    [granted] = await audit_entries(db, "user:grant_admin", cast.user.id)
    [revoked] = await audit_entries(db, "user:revoke_admin", cast.user.id)
    assert granted.actor_id == revoked.actor_id == cast.admin.id
    assert granted.details == {"email": "ursula@example.org"}


async def test_a_new_admin_reaches_the_administration_at_once(cast, browser):
    admin = await browser(cast.admin)
    user = await browser(cast.user)
    assert (await user.get("/admin")).status_code == 404
    await admin.submit(f"/admin/users/{cast.user.id}/grant-admin")
    assert (await user.get("/admin")).status_code == 200


async def test_an_admin_cannot_remove_their_own_right(cast, browser, db):
    admin = await browser(cast.admin)
    response = await admin.submit(f"/admin/users/{cast.admin.id}/revoke-admin")
    assert response.status_code == 409
    assert "You cannot remove your own administrator right." in text_of(response.text)
    assert (await reload(db, User, cast.admin.id)).is_admin
    assert await audit_entries(db, "user:revoke_admin") == []


async def test_granting_to_an_unknown_user_is_not_found(cast, browser):
    admin = await browser(cast.admin)
    assert (await admin.submit(f"/admin/users/{uuid.uuid4()}/grant-admin")).status_code == 404


async def test_grant_admin_from_the_command_line_is_audited_without_actor(db):
    user = await make_user(db)
    await grant_admin(db, None, user.id)
    assert (await reload(db, User, user.id)).is_admin
    [entry] = await audit_entries(db, "user:grant_admin", user.id)
    assert entry.actor_id is None and entry.details["via"] == "command line"


# --- audit log -----------------------------------------------------------------------------------------


@pytest.fixture
async def entries(db, cast):
    """Three entries a day apart, by two people, on two object types."""
    tag = uuid.uuid4().hex[:6]
    made = [
        await record(db, _actor(cast.owner), f"test:{tag}:create", "organization", "o1", {"n": 1}),
        await record(db, _actor(cast.admin), f"test:{tag}:verify", "organization", "o1", {"n": 2}),
        await record(db, _actor(cast.admin), f"test:{tag}:grant", "user", "u1", {"n": 3}),
    ]
    # The trigger forbids UPDATE, so the dates are spread by inserting dated copies.
    for days, entry in zip((3, 2, 1), made, strict=True):
        await db.execute(
            text(
                "INSERT INTO audit_log (at, actor_id, action, object_type, object_id, details) "
                "SELECT now() - make_interval(days => :days), actor_id, action || :suffix, object_type, "
                "object_id, details "
                "FROM audit_log WHERE id = :id"
            ),
            {"days": days, "id": entry.id, "suffix": ":dated"},
        )
    return tag


def _actor(user):
    from app.accounts.sessions import actor_from_user

    return actor_from_user(user)


def actions_on(html: str, tag: str) -> list[str]:
    import re

    return re.findall(rf"<code>(test:{tag}:[\w:]+)</code>", html)


async def test_audit_log_filters_by_action_actor_type_and_dates(cast, browser, entries):
    tag = entries
    admin = await browser(cast.admin)
    every = actions_on((await admin.get("/admin/audit")).text, tag)
    assert set(every) == {
        f"test:{tag}:{verb}{suffix}" for verb in ("create", "verify", "grant") for suffix in ("", ":dated")
    }
    assert actions_on((await admin.get(f"/admin/audit?action=test:{tag}:verify")).text, tag) == [
        f"test:{tag}:verify"
    ]
    by_owner = actions_on((await admin.get("/admin/audit?actor=OLIVIA@acme")).text, tag)
    assert set(by_owner) == {f"test:{tag}:create", f"test:{tag}:create:dated"}
    users = actions_on((await admin.get("/admin/audit?object_type=user&actor=ada@")).text, tag)
    assert set(users) == {f"test:{tag}:grant", f"test:{tag}:grant:dated"}
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    since, until = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    window = f"since={since.isoformat()}&until={until.isoformat()}"
    in_window = actions_on((await admin.get(f"/admin/audit?{window}")).text, tag)
    assert in_window == [f"test:{tag}:grant:dated", f"test:{tag}:verify:dated"]


async def test_audit_log_is_paginated_newest_first(cast, browser, db):
    tag = uuid.uuid4().hex[:6]
    for number in range(55):
        await record(db, None, f"test:{tag}:n{number:02d}", "thing")
    admin = await browser(cast.admin)
    first = await admin.get("/admin/audit?actor=&object_type=thing")
    names = actions_on(first.text, tag)
    assert names[0] == f"test:{tag}:n54" and len(names) == 50
    assert "page=2" in first.text
    second = actions_on((await admin.get("/admin/audit?object_type=thing&page=2")).text, tag)
    assert second[-1] == f"test:{tag}:n00"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("since=yesterday", "since", "Enter a date as YYYY-MM-DD."),
        ("until=2026-13-40", "until", "Enter a date as YYYY-MM-DD."),
        ("since=2026-05-02&until=2026-05-01", "until", "The end date must not be before the start date."),
    ],
)
async def test_bad_audit_filters_are_refused_beside_the_field(cast, browser, query, field, message):
    admin = await browser(cast.admin)
    response = await admin.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    assert f'id="audit-{field}-error"' in response.text and message in text_of(response.text)
    assert (await admin.get(f"/admin/audit.csv?{query}")).status_code == 422


async def test_csv_export_streams_the_filtered_entries_escaped_and_defused(cast, browser, db):
    tag = uuid.uuid4().hex[:6]
    tricky = {"note": 'He said "hi", then\nleft; =SUM(A1)'}
    await record(db, _actor(cast.owner), f"test:{tag}:tricky", "organization", "=cmd|' /C calc'!A0", tricky)
    await record(db, _actor(cast.owner), f"test:{tag}:plain", "organization", "o2")
    admin = await browser(cast.admin)
    response = await admin.get("/admin/audit.csv?actor=olivia&object_type=organization")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="tremplin-audit-')
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    mine = {row["action"]: row for row in rows if row["action"].startswith(f"test:{tag}")}
    assert list(mine) == [f"test:{tag}:plain", f"test:{tag}:tricky"]
    tricky_row = mine[f"test:{tag}:tricky"]
    assert tricky_row["object_id"] == "'=cmd|' /C calc'!A0"
    assert tricky_row["actor_email"] == "olivia@acme.example"
    assert tricky_row["details"] == '{"note": "He said \\"hi\\", then\\nleft; =SUM(A1)"}'
    assert {row["actor_email"] for row in rows} == {"olivia@acme.example"}
    [export] = await audit_entries(db, "audit:export")
    assert export.actor_id == cast.admin.id and "actor=olivia" in export.details["filters"]


async def test_csv_export_of_many_entries_comes_in_several_batches(cast, browser, db):
    tag = uuid.uuid4().hex[:6]
    await db.execute(
        text(
            "INSERT INTO audit_log (action, object_type, details) "
            "SELECT :action, 'bulk', jsonb_build_object('n', n) FROM generate_series(1, 1203) AS n"
        ),
        {"action": f"test:{tag}:bulk"},
    )
    admin = await browser(cast.admin)
    response = await admin.get(f"/admin/audit.csv?action=test:{tag}:bulk")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "at", "actor_email", "action", "object_type", "object_id", "details", "ip"]
    assert len(rows) == 1 + 1203
    assert len({row[0] for row in rows[1:]}) == 1203


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (None, ""),
        (42, "42"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_defused(value, expected):
    assert csv_cell(value) == expected
