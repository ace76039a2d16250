"""The home page: the welcome, and the challenges the reader may register for now, soonest closing first."""

from __future__ import annotations

import datetime as dt
import re

from app.challenges.models import ChallengeInvitee
from app.db import utcnow
from app.platform.controllers import HOME_CARDS
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder, make_user, sign_in
from tests.querycount import counting_statements

HOUR = dt.timedelta(hours=1)


def cards(html: str) -> list[str]:
    """The challenges of the home page's cards, in order, as their links."""
    return re.findall(r'<h3><a href="/challenges/([^"]+)">', html)


async def home(client) -> str:
    response = await client.get("/")
    assert response.status_code == 200, response.text
    return response.text


async def test_lists_only_challenges_open_for_registration_soonest_closing_first(client, db):
    now = utcnow()
    later = await make_challenge(db, registration_closes_at=now + 30 * HOUR)
    sooner = await make_challenge(db, registration_closes_at=now + 2 * HOUR)
    await make_challenge(db, registration_opens_at=now + 5 * HOUR, registration_closes_at=now + 9 * HOUR)
    await make_challenge(db, registration_opens_at=now - 9 * HOUR, registration_closes_at=now - HOUR)
    await make_challenge(db, published=False)
    assert cards(await home(client)) == [sooner.slug, later.slug]


async def test_a_card_says_when_registration_closes_in_the_readers_language(client, db):
    challenge = await make_challenge(db, title="Suivi à domicile", registration_closes_at=utcnow() + 3 * HOUR)
    html = await home(client)
    assert cards(html) == [challenge.slug]
    assert "Registration closes" in text_of(html)
    french = await client.get("/", headers={"accept-language": "fr"})
    assert "Inscriptions ouvertes" in text_of(french.text)
    assert "Clôture des inscriptions" in text_of(french.text)


async def test_invitation_only_challenges_only_for_their_invitees_and_founders(client, db):
    public = await make_challenge(db, registration_closes_at=utcnow() + 2 * HOUR)
    private = await make_challenge(db, visibility="invitation", registration_closes_at=utcnow() + HOUR)
    invitee = await make_user(db)
    db.add(ChallengeInvitee(challenge_id=private.id, user_id=invitee.id))
    founder = await make_founder(db, private)
    assert cards(await home(client)) == [public.slug]
    await sign_in(client, db, await make_user(db))
    assert cards(await home(client)) == [public.slug]
    for reader in (invitee, founder):
        await sign_in(client, db, reader)
        assert cards(await home(client)) == [private.slug, public.slug]


async def test_shows_a_few_and_links_to_all_of_them(client, db):
    now = utcnow()
    made = [
        await make_challenge(db, registration_closes_at=now + (index + 1) * HOUR)
        for index in range(HOME_CARDS + 2)
    ]
    html = await home(client)
    assert cards(html) == [challenge.slug for challenge in made[:HOME_CARDS]]
    assert f"See all {HOME_CARDS + 2} challenges open for registration" in text_of(html)
    assert 'href="/challenges?open=1"' in html


async def test_no_link_to_more_when_all_are_shown(client, db):
    await make_challenge(db)
    html = await home(client)
    assert len(cards(html)) == 1
    assert "open for registration" not in text_of(html).replace("Open for registration", "")


async def test_says_so_when_no_challenge_is_open(client, db):
    await make_challenge(
        db, registration_opens_at=utcnow() + HOUR, registration_closes_at=utcnow() + 9 * HOUR
    )
    html = await home(client)
    assert cards(html) == []
    assert "No challenge is open for registration right now." in text_of(html)


async def test_statements_do_not_grow_with_the_challenges(client, db, connection):
    await make_challenge(db)
    with counting_statements(connection) as few:
        assert len(cards(await home(client))) == 1
    for _ in range(HOME_CARDS + 3):
        await make_challenge(db)
    with counting_statements(connection) as many:
        assert len(cards(await home(client))) == HOME_CARDS
    assert few and len(many) == len(few)
