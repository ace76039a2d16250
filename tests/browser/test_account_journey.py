"""Someone new signs up, confirms their address from the e-mail, signs in, edits their profile and signs out,
in English and in French, the way a person does it: by the labels they read."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest
from playwright.async_api import expect

from tests.conftest import _asyncpg_dsn

TEXTS = {
    "en": {
        "signup": "Create an account",
        "name": "Your name",
        "email": "E-mail address",
        "password": "Password",
        "create": "Create my account",
        "confirm": "Confirm my e-mail address",
        "confirmed": "confirmed",
        "sign_out": "Sign out",
        "sign_in": "Sign in",
        "my_account": "My account",
        "save": "Save",
        "saved": "Your profile has been saved.",
        "site_language": "Site language",
    },
    "fr": {
        "signup": "Créer un compte",
        "name": "Votre nom",
        "email": "Adresse e-mail",
        "password": "Mot de passe",
        "create": "Créer mon compte",
        "confirm": "Confirmer mon adresse e-mail",
        "confirmed": "confirmée",
        "sign_out": "Se déconnecter",
        "sign_in": "Se connecter",
        "my_account": "Mon compte",
        "save": "Enregistrer",
        "saved": "Votre profil a été enregistré.",
        "site_language": "Langue du site",
    },
}


async def verification_link(live_server, email: str) -> str:
    """Read the confirmation e-mail from the mail log, as an admin of a self-hosted instance would."""
    conn = await asyncpg.connect(_asyncpg_dsn(live_server.settings.database_url))
    try:
        body = await conn.fetchval(
            "SELECT body_text FROM mail_messages WHERE to_address = $1 ORDER BY created_at DESC LIMIT 1",
            email,
        )
    finally:
        await conn.close()
    assert body, f"no e-mail was recorded for {email}"
    match = re.search(r"https?://\S+/verify-email\?token=\S+", body)
    assert match, body
    return match.group(0)


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_sign_up_confirm_sign_in_edit_profile_sign_out(page, live_server, lang):
    t = TEXTS[lang]
    email = f"journey-{lang}-{uuid.uuid4().hex[:8]}@example.org"
    password = "a long and quiet river at dawn"

    await page.goto("/")
    if lang == "fr":
        await page.get_by_label("Site language").select_option("fr")
        await expect(page.get_by_label(t["site_language"])).to_have_value("fr")
    await page.get_by_role("button", name=t["signup"]).first.click()
    await page.get_by_label(t["name"]).fill("Camille Martin")
    await page.get_by_label(t["email"]).fill(email)
    await page.get_by_label(t["password"]).fill(password)
    await page.shoot(f"signup-{lang}")
    await page.get_by_role("button", name=t["create"]).click()
    await expect(page.get_by_role("heading", name=t["my_account"], exact=True)).to_be_visible()
    await page.shoot(f"account-unconfirmed-{lang}")

    await page.goto(await verification_link(live_server, email))
    await page.shoot(f"verify-{lang}")
    await page.get_by_role("button", name=t["confirm"]).click()
    # Confirming leads back to the account page, now showing the address as confirmed.
    await expect(page.get_by_text(t["confirmed"], exact=True)).to_be_visible()

    await page.get_by_role("button", name=t["sign_out"]).click()
    await expect(page.get_by_role("link", name=t["sign_in"])).to_be_visible()
    await page.get_by_role("link", name=t["sign_in"]).click()
    await page.get_by_label(t["email"]).fill(email)
    await page.get_by_label(t["password"]).fill(password)
    await page.shoot(f"login-{lang}")
    await page.get_by_role("button", name=t["sign_in"]).click()
    await expect(page.get_by_role("button", name=t["sign_out"])).to_be_visible()

    await page.goto("/account")
    await page.get_by_label(t["name"]).fill("Camille Martin-Durand")
    await page.get_by_role("button", name=t["save"], exact=True).click()
    # Wait for the save to be confirmed before reloading, or the reload could overtake it.
    await expect(page.get_by_text(t["saved"])).to_be_visible()
    await page.reload()
    await expect(page.get_by_label(t["name"])).to_have_value("Camille Martin-Durand")
    await page.shoot(f"profile-{lang}")

    await page.get_by_role("button", name=t["sign_out"]).click()
    await expect(page.get_by_role("link", name=t["sign_in"])).to_be_visible()
    await page.goto("/account")
    await expect(page).to_have_url(re.compile(r"/login"))
