"""The demo data: a person per role who can sign in, an organization of each kind, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from app import demo
from app.accounts.models import User
from app.accounts.passwords import password_problem, verify_password
from app.organizations.models import ORGANIZATION_KINDS, Organization, OrganizationMember
from app.platform.models import AuditEntry


async def count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_demo_has_an_organization_of_each_kind_and_a_person_per_role_in_both_languages(db):
    result = await demo.load_demo(db)
    assert (result.organizations, result.people) == (len(demo.ORGANIZATIONS), len(demo.PEOPLE))
    kinds = set(
        await db.scalars(
            select(Organization.kind).where(Organization.slug.in_([o.slug for o in demo.ORGANIZATIONS]))
        )
    )
    assert kinds == set(ORGANIZATION_KINDS)
    people = list(await db.scalars(select(User).where(User.email.like(f"%@{demo.DEMO_DOMAIN}"))))
    assert {user.email.split("@")[0] for user in people} == {
        "admin",
        "founder",
        "judge",
        "steward",
        "captain",
        "member",
    }
    assert {user.locale for user in people} == {"en", "fr"}
    assert [user.email for user in people if user.is_admin] == [f"admin@{demo.DEMO_DOMAIN}"]
    assert all(user.email_verified_at is not None for user in people)
    assert all(verify_password(user.password_hash, demo.DEMO_PASSWORD) for user in people)


async def test_demo_password_passes_the_password_policy():
    for email, _, _ in demo.accounts_summary():
        assert password_problem(demo.DEMO_PASSWORD, email=email) is None


async def test_loading_the_demo_twice_adds_nothing(db):
    audited_before = await count(db, AuditEntry, AuditEntry.action == "demo:load")
    first = await demo.load_demo(db)
    members_before = await count(db, OrganizationMember)
    second = await demo.load_demo(db)
    assert first.created > 0 and second.created == 0
    assert await count(db, User, User.email.like(f"%@{demo.DEMO_DOMAIN}")) == len(demo.PEOPLE)
    assert await count(db, OrganizationMember) == members_before
    assert await count(db, AuditEntry, AuditEntry.action == "demo:load") == audited_before + 1


async def test_demo_keeps_a_password_changed_since(db):
    await demo.load_demo(db)
    founder = await db.scalar(select(User).where(User.email == f"founder@{demo.DEMO_DOMAIN}"))
    founder.password_hash = "changed"
    await db.flush()
    await demo.load_demo(db)
    await db.refresh(founder)
    assert founder.password_hash == "changed"


async def test_every_demo_account_signs_in_through_the_login_form(client, db):
    await demo.load_demo(db)
    for email, _role, _locale in demo.accounts_summary():
        client.cookies.clear()
        response = await client.submit("/login", {"email": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 303, f"{email} could not sign in"
        client.cookies.clear()
