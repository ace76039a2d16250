"""A person's way through accounts, over HTTP, in English and in French:
sign up, confirm the address from the e-mail, sign in, change the profile, sign out."""

from __future__ import annotations

from app.accounts.models import User
from tests.accounts.conftest import last_mail_to, link_in, log_in, log_out, sign_up, user_by_email
from tests.conftest import text_of, unique_email


async def test_journey_in_english(client, db):
    email = unique_email("journey")
    page = await client.get("/signup")
    assert page.status_code == 200
    assert "Create an account" in text_of(page.text)
    assert '<option value="en" selected>' in page.text

    created = await sign_up(client, email.upper(), name="Camille Martin")
    assert created.status_code == 303 and created.headers["location"] == "/account"
    account = await client.get("/account")
    assert "We have sent you a link to confirm your e-mail address" in text_of(account.text)
    assert "not confirmed yet" in text_of(account.text)
    user = await user_by_email(db, email)
    assert user.email == email.lower()
    assert user.locale == "en"

    mail = await last_mail_to(db, email.lower())
    assert mail.subject == "Confirm your e-mail address"
    link = link_in(mail, "/verify-email")
    confirm_page = await client.get(link)
    assert confirm_page.status_code == 200
    assert "Confirm my e-mail address" in text_of(confirm_page.text)
    # Opening the link changes nothing: the button does.
    await db.refresh(user)
    assert user.email_verified_at is None
    confirmed = await client.submit("/verify-email", {"token": link.split("token=")[1]})
    assert confirmed.status_code == 303
    await db.refresh(user)
    assert user.email_verified_at is not None

    assert (await log_out(client)).status_code == 303
    assert (await client.get("/account")).status_code == 303
    signed_in = await log_in(client, email, next="/account")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    account = await client.get("/account")
    assert "confirmed" in text_of(account.text) and "not confirmed yet" not in text_of(account.text)

    saved = await client.submit(
        "/account", {"name": "Camille Martin-Durand", "locale": "en", "notify_mode": "digest"}
    )
    assert saved.status_code == 303
    account = await client.get("/account")
    assert "Your profile has been saved." in text_of(account.text)
    assert 'value="Camille Martin-Durand"' in account.text
    await db.refresh(user)
    assert (user.name, user.notify_mode) == ("Camille Martin-Durand", "digest")

    await log_out(client)
    home = await client.get("/")
    assert "You are signed out." in text_of(home.text)
    assert (await client.get("/account")).headers["location"].startswith("/login")


async def test_journey_in_french(client, db):
    email = unique_email("parcours")
    switched = await client.submit("/language", {"locale": "fr", "next": "/signup"})
    assert switched.status_code == 303
    page = await client.get("/signup")
    assert "Créer un compte" in text_of(page.text)
    assert '<option value="fr" selected>' in page.text

    created = await sign_up(client, email, name="Élise Dupont", locale="fr")
    assert created.status_code == 303
    account = await client.get("/account")
    assert '<html lang="fr">' in account.text
    assert "Mon compte" in text_of(account.text)
    assert "Bienvenue sur Tremplin" in text_of(account.text)

    mail = await last_mail_to(db, email)
    assert mail.subject == "Confirmez votre adresse e-mail"
    assert "Bonjour Élise Dupont" in mail.body_text
    link = link_in(mail, "/verify-email")
    assert "Confirmer mon adresse e-mail" in text_of((await client.get(link)).text)
    await client.submit("/verify-email", {"token": link.split("token=")[1]})

    await log_out(client)
    login_page = await client.get("/login")
    assert "Mot de passe oublié ?" in text_of(login_page.text)
    assert (await log_in(client, email)).status_code == 303

    saved = await client.submit("/account", {"name": "Élise Dupont", "locale": "fr", "notify_mode": "digest"})
    assert saved.status_code == 303
    account = await client.get("/account")
    assert "Votre profil a été enregistré." in text_of(account.text)
    user = await user_by_email(db, email)
    assert isinstance(user, User) and user.email_verified_at is not None and user.notify_mode == "digest"

    await log_out(client)
    assert "Vous êtes déconnecté" in text_of((await client.get("/")).text)
