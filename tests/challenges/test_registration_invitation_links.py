"""Invitation-only challenges: the founders' shareable link, rotating it, and following it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.challenges.models import Challenge, ChallengeInvitee
from tests.challenges.registration_support import as_user, audit_entries, registration_form
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder, make_user


@pytest.fixture
async def hidden(db):
    return await make_challenge(
        db, title="Secret Cardio", visibility="invitation", summary="Only for invited teams."
    )


async def token_of(db, challenge) -> str | None:
    return await db.scalar(
        select(Challenge.invitation_token)
        .where(Challenge.id == challenge.id)
        .execution_options(populate_existing=True)
    )


async def invited(db, challenge, user) -> bool:
    count = await db.scalar(
        select(func.count())
        .select_from(ChallengeInvitee)
        .where(ChallengeInvitee.challenge_id == challenge.id, ChallengeInvitee.user_id == user.id)
    )
    return count == 1


# --- the founders' page -----------------------------------------------------------------------------------


async def test_a_founder_creates_the_link_and_sees_it(hidden, client, db, settings):
    founder = await make_founder(db, hidden)
    await as_user(client, db, founder)
    page = await client.get(f"/challenges/{hidden.slug}/invitation")
    assert page.status_code == 200
    assert "There is no invitation link yet." in text_of(page.text)
    response = await client.submit(f"/challenges/{hidden.slug}/invitation")
    assert response.status_code == 303
    token = await token_of(db, hidden)
    assert token and len(token) >= 32
    page = await client.get(f"/challenges/{hidden.slug}/invitation")
    assert f'value="{settings.base_url}/challenges/join/{token}"' in page.text
    [entry] = await audit_entries(db, "challenge:invitation_link", hidden.id)
    assert entry.actor_id == founder.id and entry.details["replaced"] is False
    assert token not in str(entry.details)


async def test_rotating_the_link_makes_the_old_one_unknown(hidden, client, db):
    founder = await make_founder(db, hidden)
    await as_user(client, db, founder)
    await client.submit(f"/challenges/{hidden.slug}/invitation")
    old = await token_of(db, hidden)
    await client.submit(f"/challenges/{hidden.slug}/invitation")
    new = await token_of(db, hidden)
    assert new != old
    entries = await audit_entries(db, "challenge:invitation_link", hidden.id)
    assert [entry.details["replaced"] for entry in entries] == [False, True]
    await as_user(client, db, await make_user(db))
    assert (await client.get(f"/challenges/join/{old}")).status_code == 404
    assert (await client.submit(f"/challenges/join/{old}")).status_code == 404
    assert (await client.get(f"/challenges/join/{new}")).status_code == 200


async def test_turning_the_link_off_keeps_those_who_joined(hidden, client, db):
    founder = await make_founder(db, hidden)
    guest = await make_user(db)
    hidden.invitation_token = "a" * 32
    await db.flush()
    await as_user(client, db, guest)
    assert (await client.submit(f"/challenges/join/{'a' * 32}")).status_code == 303
    await as_user(client, db, founder)
    assert (await client.submit(f"/challenges/{hidden.slug}/invitation/disable")).status_code == 303
    assert await token_of(db, hidden) is None
    assert await invited(db, hidden, guest)
    assert len(await audit_entries(db, "challenge:invitation_link_disable", hidden.id)) == 1


async def test_only_founders_manage_the_link(hidden, client, db):
    await make_founder(db, hidden)
    await as_user(client, db, await make_user(db, admin=True))
    assert (await client.get(f"/challenges/{hidden.slug}/invitation")).status_code == 403
    assert (await client.submit(f"/challenges/{hidden.slug}/invitation")).status_code == 403
    await as_user(client, db, await make_user(db))
    assert (await client.get(f"/challenges/{hidden.slug}/invitation")).status_code == 404
    assert (await client.submit(f"/challenges/{hidden.slug}/invitation")).status_code == 404
    assert await token_of(db, hidden) is None


# --- following the link -----------------------------------------------------------------------------------


async def test_following_the_link_shows_what_one_joins_then_joining_reveals_the_challenge(hidden, client, db):
    hidden.invitation_token = "tok-" + "b" * 28
    await db.flush()
    guest = await make_user(db)
    await as_user(client, db, guest)
    assert (await client.get(f"/challenges/{hidden.slug}/register")).status_code == 404
    page = await client.get(f"/challenges/join/{hidden.invitation_token}")
    assert page.status_code == 200
    assert "You are invited to Secret Cardio" in text_of(page.text)
    assert not await invited(db, hidden, guest)  # a GET changes nothing
    response = await client.submit(f"/challenges/join/{hidden.invitation_token}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/challenges/{hidden.slug}"
    assert await invited(db, hidden, guest)
    assert len(await audit_entries(db, "challenge:join", hidden.id)) == 1
    # Now the challenge is theirs to see and register for.
    assert (await client.get(f"/challenges/{hidden.slug}/register")).status_code == 200
    assert (
        await client.submit(f"/challenges/{hidden.slug}/register", registration_form(hidden))
    ).status_code == 303
    # Following the link again leads straight to the challenge, and joins nothing twice.
    again = await client.get(f"/challenges/join/{hidden.invitation_token}")
    assert (again.status_code, again.headers["location"]) == (303, f"/challenges/{hidden.slug}")
    assert (await client.submit(f"/challenges/join/{hidden.invitation_token}")).status_code == 303
    assert len(await audit_entries(db, "challenge:join", hidden.id)) == 1


async def test_signed_out_people_are_sent_to_sign_in_and_back_to_the_link(hidden, client, db):
    hidden.invitation_token = "c" * 32
    await db.flush()
    response = await client.get(f"/challenges/join/{'c' * 32}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/challenges/join/{'c' * 32}"
    login = await client.get(response.headers["location"])
    assert f'value="/challenges/join/{"c" * 32}"' in login.text


@pytest.mark.parametrize("token", ["unknown-token", "x" * 500, "%00"])
async def test_unknown_tokens_lead_nowhere(hidden, client, db, token):
    await as_user(client, db, await make_user(db))
    assert (await client.get(f"/challenges/join/{token}")).status_code == 404
    assert (await client.submit(f"/challenges/join/{token}")).status_code == 404


async def test_the_link_of_a_draft_leads_nowhere_until_publication(client, db):
    draft = await make_challenge(db, visibility="invitation", published=False, invitation_token="d" * 32)
    guest = await make_user(db)
    await as_user(client, db, guest)
    assert (await client.get(f"/challenges/join/{'d' * 32}")).status_code == 404
    assert (await client.submit(f"/challenges/join/{'d' * 32}")).status_code == 404
    assert not await invited(db, draft, guest)


async def test_invitation_only_challenges_stay_hidden_in_pages_and_api(hidden, client, db):
    await as_user(client, db, await make_user(db))
    for url in (
        f"/challenges/{hidden.slug}/register",
        f"/challenges/{hidden.slug}/registration",
        f"/challenges/{hidden.slug}/registrations",
        f"/challenges/{hidden.slug}/invitation",
        f"/api/v1/challenges/{hidden.slug}/registration",
        f"/api/v1/challenges/{hidden.slug}/registrations",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "Secret Cardio" not in response.text
    response = await client.post(
        f"/api/v1/challenges/{hidden.slug}/registration",
        json={"accept_rules_version": 1},
        headers={"X-CSRF-Token": await client.csrf()},
    )
    assert response.status_code == 404
