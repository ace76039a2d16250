"""The account page: name, language, notification preference, organizations, password change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.platform.models import AuditEntry
from tests.accounts.conftest import log_in
from tests.conftest import text_of
from tests.factories import DEFAULT_PASSWORD, make_organization, make_user, sign_in

NEW_PASSWORD = "a quite different pass phrase"


async def test_account_page_needs_sign_in(client):
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"


async def test_account_page_shows_the_profile_and_is_not_cached(client, db):
    user = await make_user(db, name="Ada Lovelace", notify_mode="digest")
    await sign_in(client, db, user)
    page = await client.get("/account")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'value="Ada Lovelace"' in page.text
    assert user.email in text_of(page.text)
    assert 'value="digest" checked' in page.text


async def test_account_page_lists_organization_memberships_with_links(client, db):
    user = await make_user(db)
    owned = await make_organization(db, name="CHU de Lyon", kind="hospital", owner=user)
    joined = await make_organization(db, name="Accélérateur Santé", members=(user,))
    await make_organization(db, name="Someone Else's Lab")
    await sign_in(client, db, user)
    page = await client.get("/account")
    text = text_of(page.text)
    assert "CHU de Lyon — owner" in text and "Accélérateur Santé — member" in text
    assert "Someone Else's Lab" not in text
    assert (
        f'href="/organizations/{owned.slug}"' in page.text
        and f'href="/organizations/{joined.slug}"' in page.text
    )


async def test_account_page_without_organizations_says_so(client, db):
    await sign_in(client, db, await make_user(db))
    assert "You are not a member of any organization yet." in text_of((await client.get("/account")).text)


async def test_chosen_language_is_used_on_the_next_pages(client, db):
    user = await make_user(db)
    await sign_in(client, db, user)
    response = await client.submit(
        "/account", {"name": user.name, "locale": "fr", "notify_mode": "immediate"}
    )
    assert response.status_code == 303
    assert any(c.startswith("lang=fr") for c in response.headers.get_list("set-cookie"))
    page = await client.get("/account")
    assert '<html lang="fr">' in page.text
    assert "Votre profil a été enregistré." in text_of(page.text)
    assert "Mon compte" in text_of((await client.get("/")).text)
    await db.refresh(user)
    assert user.locale == "fr"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 121}, "name", "Use at most 120 characters."),
        ({"name": "Ada\x00"}, "name", "Remove the invisible or unreadable characters."),
        ({"locale": "de"}, "locale", "Choose one of the options."),
        ({"locale": ""}, "locale", "Choose one of the options."),
        ({"notify_mode": "weekly"}, "notify_mode", "Choose one of the options."),
    ],
)
async def test_bad_profile_values_are_named_and_nothing_is_saved(client, db, fields, field, message):
    user = await make_user(db, name="Ada")
    await sign_in(client, db, user)
    response = await client.submit(
        "/account", {"name": "Grace", "locale": "en", "notify_mode": "immediate", **fields}
    )
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert f'id="{field}-error"' in response.text
    await db.refresh(user)
    assert user.name == "Ada"


async def test_profile_form_through_htmx_gets_its_block_back(client, db):
    await sign_in(client, db, await make_user(db))
    response = await client.htmx(
        "POST", "/account", data={"name": "", "locale": "en", "notify_mode": "immediate"}
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="profile_form"')


# --- password change ---------------------------------------------------------------------------------


async def change(client, current: str, new: str):
    return await client.submit("/account/password", {"current_password": current, "new_password": new})


async def test_password_change_needs_the_current_password(client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    response = await change(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    assert "This is not your current password." in text_of(response.text)
    await client.submit("/logout", {})
    assert (await log_in(client, user.email, DEFAULT_PASSWORD)).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("", NEW_PASSWORD, "This field is required."),
        (DEFAULT_PASSWORD, "short", "Use at least 10 characters."),
        (DEFAULT_PASSWORD, "qwertyuiop", "This password is too common."),
        (DEFAULT_PASSWORD, DEFAULT_PASSWORD, "Choose a password different from the current one."),
    ],
)
async def test_bad_password_changes_are_refused(client, db, current, new, message):
    await log_in(client, (await make_user(db)).email)
    response = await change(client, current, new)
    assert response.status_code == 422
    assert message in text_of(response.text)


async def test_password_change_works_and_is_audited(client, db):
    user = await make_user(db)
    await log_in(client, user.email)
    response = await change(client, DEFAULT_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert "Your password has been changed." in text_of((await client.get("/account")).text)
    entry = await db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "account:password_change", AuditEntry.object_id == str(user.id)
        )
    )
    assert entry is not None and entry.actor_id == user.id
    await client.submit("/logout", {})
    assert (await log_in(client, user.email, NEW_PASSWORD)).status_code == 303


async def test_guessing_the_current_password_is_throttled(client, db, settings):
    user = await make_user(db)
    await log_in(client, user.email)
    for _ in range(settings.login_rate_limit):
        assert (await change(client, "a wrong guess", NEW_PASSWORD)).status_code == 422
    blocked = await change(client, DEFAULT_PASSWORD, NEW_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in text_of(blocked.text)
