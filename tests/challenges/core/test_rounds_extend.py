"""Extending a deadline: later only, never into the past (the request's arrival decides), audited, and
everyone registered is told. Boundaries are tested exactly, with the clock held still."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from app.challenges.models import Round
from app.notifications.kinds import render
from app.notifications.models import Notification
from app.platform.i18n import in_locale
from tests.challenges.core.helpers import audit_entries, reload, send, sessions_from
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder, make_registration, make_user

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)  # 10:00 in Paris
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


def plain(text: str) -> str:
    """Babel puts narrow no-break spaces in times; compare them as plain spaces."""
    return " ".join(text.split())


def paris(value: dt.datetime) -> str:
    from app.challenges.inputs import local_input

    return local_input(value, "Europe/Paris")


async def setup(db, browser, **fields):
    challenge = await make_challenge(
        db, now=NOW, title="Heart Challenge", results_at=NOW + 60 * DAY, **fields
    )
    founder = await make_founder(db, challenge)
    client = await browser(founder)
    await sessions_from(db, NOW)
    round_ = await db.scalar(select(Round).where(Round.challenge_id == challenge.id))
    return challenge, founder, client, round_


async def extend(client, challenge, target, until):
    with time_machine.travel(NOW, tick=False):
        return await client.submit(
            f"/challenges/{challenge.slug}/extend", {"target": str(target), "until": paris(until)}
        )


async def test_registration_close_moves_later_and_everyone_registered_is_told(db, browser):
    challenge, founder, client, _round = await setup(db, browser)
    approved = await make_registration(db, challenge, await make_user(db, locale="fr"))
    pending = await make_registration(db, challenge, await make_user(db), status="pending")
    rejected = await make_registration(db, challenge, await make_user(db), status="rejected")
    before = challenge.registration_closes_at
    response = await extend(client, challenge, "registration", before + DAY)
    assert response.status_code == 303, text_of(response.text)
    assert (await reload(db, challenge)).registration_closes_at == before + DAY
    notified = {
        n.user_id: n
        for n in await db.scalars(select(Notification).where(Notification.kind == "deadline_extended"))
    }
    assert set(notified) == {approved.user_id, pending.user_id}
    assert rejected.user_id not in notified
    note = notified[pending.user_id]
    assert note.link == f"/challenges/{challenge.slug}"
    assert render(note.kind, note.params).title == "Heart Challenge: a deadline has been extended"
    assert (
        plain(render(note.kind, note.params).body)
        == "New closing time for registration: Mar 18, 2027, 10:00 AM (Europe/Paris)."
    )
    with in_locale("fr"):
        assert (
            plain(render(note.kind, note.params).body)
            == "Nouvelle heure de clôture pour les inscriptions : 18 mars 2027, 10:00 (Europe/Paris)."
        )
    [entry] = await audit_entries(db, "challenge:extend_deadline", challenge.id)
    assert entry.actor_id == founder.id
    assert entry.details["from"] == before.isoformat() and entry.details["to"] == (before + DAY).isoformat()


async def test_a_deadline_is_never_shortened_nor_set_to_itself(db, browser):
    challenge, _founder, client, _round = await setup(db, browser)
    current = challenge.registration_closes_at
    shorter = await extend(client, challenge, "registration", current - MINUTE)
    assert shorter.status_code == 422
    assert "A deadline cannot be shortened once the challenge is published." in text_of(shorter.text)
    same = await extend(client, challenge, "registration", current)
    assert same.status_code == 422 and "This is already the deadline: choose a later time." in text_of(
        same.text
    )
    longer = await extend(client, challenge, "registration", current + MINUTE)
    assert longer.status_code == 303
    assert not await audit_entries(db, "challenge:notexisting")
    assert len(await audit_entries(db, "challenge:extend_deadline", challenge.id)) == 1


async def test_a_passed_deadline_reopens_from_now_on_but_never_in_the_past(db, browser):
    challenge, _founder, client, _round = await setup(
        db, browser, registration_opens_at=NOW - 5 * DAY, registration_closes_at=NOW - 2 * DAY
    )
    past = await extend(client, challenge, "registration", NOW - MINUTE)
    assert past.status_code == 422 and "Choose a time that is not already past." in text_of(past.text)
    exactly_now = await extend(client, challenge, "registration", NOW)
    assert exactly_now.status_code == 303
    assert (await reload(db, challenge)).registration_closes_at == NOW


async def test_a_rounds_deadline_is_extended_to_the_second_through_the_api(db, browser):
    challenge, _founder, client, round_ = await setup(db, browser)
    url = f"/api/v1/challenges/{challenge.slug}/rounds/{round_.id}/extend"
    current = round_.deadline.replace(microsecond=0)
    round_.deadline = current
    await db.flush()
    with time_machine.travel(NOW, tick=False):
        shorter = await send(client, "POST", url, {"until": (current - SECOND).isoformat()})
        same = await send(client, "POST", url, {"until": current.isoformat()})
        later = await send(client, "POST", url, {"until": (current + SECOND).isoformat()})
    assert shorter.status_code == 422
    assert shorter.json()["errors"] == [
        {
            "key": "until",
            "message": "A deadline cannot be shortened once the challenge is published.",
            "source": "body",
        }
    ]
    assert same.status_code == 422
    assert later.status_code == 200 and later.json()["deadline"] == (current + SECOND).isoformat().replace(
        "+00:00", "Z"
    )


async def test_an_extension_that_would_break_the_timeline_is_refused(db, browser):
    challenge, _founder, client, round_ = await setup(db, browser)
    too_far = await extend(client, challenge, round_.id, challenge.judging_ends_at + DAY)
    assert too_far.status_code == 422
    assert "Judging must end after the last round’s deadline." in text_of(too_far.text)
    beyond_round = await extend(client, challenge, "registration", round_.deadline + DAY)
    assert "Registration must close no later than the first round’s deadline." in text_of(beyond_round.text)
    assert not await audit_entries(db, "challenge:extend_deadline", challenge.id)


async def test_drafts_have_no_extensions_and_unknown_targets_are_not_found(db, browser):
    challenge, _founder, client, _round = await setup(db, browser)
    other = await make_challenge(db, now=NOW)
    other_round = await db.scalar(select(Round).where(Round.challenge_id == other.id))
    assert (await extend(client, challenge, other_round.id, NOW + 30 * DAY)).status_code == 404
    unknown = await extend(client, challenge, "everything", NOW + 30 * DAY)
    assert unknown.status_code == 422 and "Choose a deadline from the list." in text_of(unknown.text)
    with time_machine.travel(NOW, tick=False):
        blank = await client.submit(
            f"/challenges/{challenge.slug}/extend", {"target": "registration", "until": ""}
        )
    assert blank.status_code == 422 and "This field is required." in text_of(blank.text)
    draft = await make_challenge(db, now=NOW, published=False)
    founder = await make_founder(db, draft)
    draft_client = await browser(founder)
    await sessions_from(db, NOW)
    response = await extend(draft_client, draft, "registration", NOW + 30 * DAY)
    assert response.status_code == 409
    assert "This challenge is not published yet: change its dates directly." in text_of(response.text)


async def test_only_founders_extend(db, browser):
    challenge, _founder, _client, _round = await setup(db, browser)
    registered = await make_user(db)
    await make_registration(db, challenge, registered)
    for person, status in (
        (await make_user(db), 403),
        (registered, 403),
        (await make_user(db, admin=True), 403),
        (None, "login"),
    ):
        client = await browser(person)
        await sessions_from(db, NOW)
        response = await extend(client, challenge, "registration", challenge.registration_closes_at + DAY)
        assert (
            response.status_code if status != "login" else response.headers["location"].split("?")[0]
        ) == (status if status != "login" else "/login")
    assert (await reload(db, challenge)).registration_closes_at == NOW + 7 * DAY
