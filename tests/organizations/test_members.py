"""Members and roles: who sees whom, owners manage, members leave, and never an organization without owner."""

from __future__ import annotations

import asyncio

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import func, select, update

from app.accounts.sessions import actor_from_user
from app.organizations import members
from app.organizations.models import OrganizationMember
from app.platform.errors import Conflict
from tests.conftest import text_of
from tests.factories import make_organization, make_user
from tests.organizations.conftest import audit_entries, make_invitation


async def role_of(db, organization, user) -> str | None:
    return await db.scalar(
        select(OrganizationMember.role)
        .where(OrganizationMember.organization_id == organization.id, OrganizationMember.user_id == user.id)
        .execution_options(populate_existing=True)
    )


def page_url(cast, organization=None) -> str:
    return f"/organizations/{(organization or cast.organization).slug}"


async def test_members_and_roles_are_listed_for_members(cast, browser):
    member = await browser(cast.member)
    page = text_of((await member.get(page_url(cast))).text)
    assert "Olivia Owner" in page and "Marc Member" in page and "Owner" in page
    assert "Leave this organization" in page
    assert "Invite someone" not in page and "Change role" not in page


async def test_outsiders_see_the_organization_but_not_its_members(cast, browser):
    outsider = await browser(cast.user)
    response = await outsider.get(page_url(cast))
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Acme Health" in page and "Hospital" in page
    assert "2 members. Members are listed for the members of this organization." in page
    assert "Olivia Owner" not in page and "marc@acme.example" not in page


async def test_admins_see_members_for_support_but_cannot_manage(cast, browser):
    admin = await browser(cast.admin)
    page = text_of((await admin.get(page_url(cast))).text)
    assert "Marc Member" in page
    assert "Change role" not in page and "Invite someone" not in page


async def test_verified_badge_shows_on_the_organization_page(cast, browser, db):
    from app.db import utcnow

    cast.organization.verified_at = utcnow()
    await db.flush()
    page = text_of((await (await browser(cast.user)).get(page_url(cast))).text)
    assert "Acme Health Verified" in page


async def test_owner_makes_a_member_owner_and_back(cast, browser, db):
    owner = await browser(cast.owner)
    url = f"{page_url(cast)}/members/{cast.member.id}/role"
    assert (await owner.submit(url, {"role": "owner"})).status_code == 303
    assert await role_of(db, cast.organization, cast.member) == "owner"
    assert (await owner.submit(url, {"role": "member"})).status_code == 303
    assert await role_of(db, cast.organization, cast.member) == "member"
    changes = await audit_entries(db, "organization:role_change", cast.organization.id)
    assert [(e.details["from"], e.details["to"]) for e in changes] == [
        ("member", "owner"),
        ("owner", "member"),
    ]
    assert changes[0].details["email"] == "marc@acme.example"


async def test_the_last_owner_cannot_step_down(cast, browser, db):
    owner = await browser(cast.owner)
    response = await owner.submit(f"{page_url(cast)}/members/{cast.owner.id}/role", {"role": "member"})
    assert response.status_code == 409
    assert "An organization must keep at least one owner." in text_of(response.text)
    assert await role_of(db, cast.organization, cast.owner) == "owner"
    assert await audit_entries(db, "organization:role_change", cast.organization.id) == []


async def test_an_owner_may_step_down_once_there_is_another_owner(cast, browser, db):
    owner = await browser(cast.owner)
    await owner.submit(f"{page_url(cast)}/members/{cast.member.id}/role", {"role": "owner"})
    response = await owner.submit(f"{page_url(cast)}/members/{cast.owner.id}/role", {"role": "member"})
    assert response.status_code == 303
    assert await role_of(db, cast.organization, cast.owner) == "member"


async def test_unknown_role_is_refused_with_a_message(cast, browser, db):
    owner = await browser(cast.owner)
    response = await owner.submit(f"{page_url(cast)}/members/{cast.member.id}/role", {"role": "emperor"})
    assert response.status_code == 422
    assert "Choose a role from the list." in text_of(response.text)
    assert await role_of(db, cast.organization, cast.member) == "member"


async def test_owner_removes_a_member(cast, browser, db):
    owner = await browser(cast.owner)
    response = await owner.submit(f"{page_url(cast)}/members/{cast.member.id}/remove")
    assert response.status_code == 303
    assert await role_of(db, cast.organization, cast.member) is None
    [entry] = await audit_entries(db, "organization:member_remove", cast.organization.id)
    assert entry.details == {"user_id": str(cast.member.id), "email": "marc@acme.example", "role": "member"}


async def test_the_last_owner_cannot_be_removed(cast, browser, db):
    owner = await browser(cast.owner)
    response = await owner.submit(f"{page_url(cast)}/members/{cast.owner.id}/remove")
    assert response.status_code == 409
    assert await role_of(db, cast.organization, cast.owner) == "owner"


async def test_removing_someone_who_is_not_a_member_is_not_found(cast, browser):
    owner = await browser(cast.owner)
    response = await owner.submit(f"{page_url(cast)}/members/{cast.user.id}/remove")
    assert response.status_code == 404


async def test_member_leaves(cast, browser, db):
    member = await browser(cast.member)
    response = await member.submit(f"{page_url(cast)}/leave")
    assert response.status_code == 303 and response.headers["location"] == "/organizations"
    assert await role_of(db, cast.organization, cast.member) is None
    [entry] = await audit_entries(db, "organization:member_leave", cast.organization.id)
    assert entry.actor_id == cast.member.id
    assert "You have left Acme Health." in text_of((await member.get("/organizations")).text)


async def test_the_last_owner_cannot_leave(cast, browser, db):
    owner = await browser(cast.owner)
    response = await owner.submit(f"{page_url(cast)}/leave")
    assert response.status_code == 409
    assert "Make someone else an owner first." in text_of(response.text)
    assert await role_of(db, cast.organization, cast.owner) == "owner"


async def test_someone_outside_cannot_leave(cast, browser):
    outsider = await browser(cast.user)
    assert (await outsider.submit(f"{page_url(cast)}/leave")).status_code == 403


async def test_unknown_organization_is_not_found(cast, browser):
    owner = await browser(cast.owner)
    assert (await owner.get("/organizations/no-such-organization")).status_code == 404
    assert (await owner.submit("/organizations/no-such-organization/leave")).status_code == 404


# --- two organizations side by side --------------------------------------------------------------------


async def test_owner_of_another_organization_manages_nothing_here(cast, browser, db):
    other = await browser(cast.other_owner)
    base = page_url(cast)
    invitation = await make_invitation(db, cast.organization, cast.owner, "pending@example.org")
    attempts = [
        (f"{base}/edit", {"name": "Taken over", "kind": "startup", "country": "FR"}),
        (f"{base}/invitations", {"email": "spy@other.example", "role": "owner"}),
        (f"{base}/invitations/{invitation.id}/revoke", {}),
        (f"{base}/members/{cast.member.id}/role", {"role": "owner"}),
        (f"{base}/members/{cast.member.id}/remove", {}),
    ]
    for url, data in attempts:
        assert (await other.submit(url, data)).status_code == 403, url
    assert (await other.get(f"{base}/edit")).status_code == 403
    page = text_of((await other.get(base)).text)
    assert "Marc Member" not in page
    assert await role_of(db, cast.organization, cast.member) == "member"
    assert await role_of(db, cast.organization, cast.other_owner) is None


async def test_own_organization_in_the_path_does_not_reach_the_others_members(cast, browser, db):
    other = await browser(cast.other_owner)
    base = page_url(cast, cast.other)
    invitation = await make_invitation(db, cast.organization, cast.owner, "pending@example.org")
    assert (await other.submit(f"{base}/members/{cast.member.id}/remove")).status_code == 404
    assert (
        await other.submit(f"{base}/members/{cast.member.id}/role", {"role": "member"})
    ).status_code == 404
    assert (await other.submit(f"{base}/invitations/{invitation.id}/revoke")).status_code == 404
    assert await role_of(db, cast.organization, cast.member) == "member"
    await db.refresh(invitation)
    assert invitation.revoked_at is None


async def test_owners_of_one_organization_are_plain_users_of_the_other(cast, browser):
    owner = await browser(cast.owner)
    page = text_of((await owner.get(page_url(cast, cast.other))).text)
    assert "Oscar Other" not in page and "Edit details" not in page


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(race_sessions):
    async with race_sessions() as session:
        first, second = await make_user(session), await make_user(session)
        organization = await make_organization(session, owner=first)
        await session.execute(
            update(OrganizationMember)
            .where(OrganizationMember.organization_id == organization.id)
            .values(role="owner")
        )
        session.add(OrganizationMember(organization_id=organization.id, user_id=second.id, role="owner"))
        await session.commit()

    async def demote(actor_user, target) -> str:
        async with race_sessions() as session:
            try:
                await members.change_member_role(
                    session, actor_from_user(actor_user), organization.slug, target.id, "member"
                )
            except (Conflict, PermissionDeniedException):
                # Whoever waits finds themselves demoted (403), or the last owner (409).
                await session.rollback()
                return "refused"
            # Hold the organization's lock a moment, so that the other demotion really waits for it.
            await asyncio.sleep(0.2)
            await session.commit()
            return "demoted"

    assert sorted(await asyncio.gather(demote(first, second), demote(second, first))) == [
        "demoted",
        "refused",
    ]
    async with race_sessions() as session:
        owners = await session.scalar(
            select(func.count()).where(
                OrganizationMember.organization_id == organization.id, OrganizationMember.role == "owner"
            )
        )
    assert owners == 1
