"""The timeline as an iCalendar file: valid lines, escaping, folding, stable UIDs, visible only to who may see."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.challenges.ical import escape, fold
from app.challenges.models import Round
from tests.factories import make_challenge

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)
TITLE = "Cœur; données, \\ et «santé» — un très long titre qui dépasse largement soixante-quinze octets"


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def events(lines: list[str]) -> list[dict[str, str]]:
    found, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, _sep, value = line.partition(":")
            current[name] = value
    return found


async def calendar(client, challenge):
    return await client.get(f"/challenges/{challenge.slug}/calendar.ics")


async def test_one_event_per_milestone_with_escaped_text_and_folded_crlf_lines(db, browser):
    challenge = await make_challenge(
        db, now=NOW, title=TITLE, rounds=2, results_at=NOW + 50 * dt.timedelta(days=1)
    )
    response = await calendar(await browser(), challenge)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{challenge.slug}.ics"'
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
    lines = unfold(response.text)
    found = events(lines)
    # Registration opens and closes, two rounds opening and closing, judging ends, results.
    assert len(found) == 8
    first = found[0]
    escaped = (
        "Cœur\\; données\\, \\\\ et «santé» — un très long titre qui dépasse largement soixante-quinze octets"
    )
    assert first["SUMMARY"] == f"{escaped} — Registration opens"
    assert first["DTSTART"] == (NOW - dt.timedelta(days=1)).strftime("%Y%m%dT%H%M%SZ")
    assert all(event["UID"].startswith(str(challenge.id)) for event in found)
    assert len({event["UID"] for event in found}) == 8
    assert found[0]["URL"] == f"http://testserver.local/challenges/{challenge.slug}"
    assert all("DTSTAMP" in event for event in found)


async def test_uids_stay_when_a_deadline_moves(db, browser):
    challenge = await make_challenge(db, now=NOW)
    client = await browser()
    before = events(unfold((await calendar(client, challenge)).text))
    round_ = await db.scalar(select(Round).where(Round.challenge_id == challenge.id))
    round_.deadline = round_.deadline + dt.timedelta(days=2)
    await db.flush()
    after = events(unfold((await calendar(client, challenge)).text))
    deadline_before = next(e for e in before if "round_deadline" in e["UID"])
    deadline_after = next(e for e in after if "round_deadline" in e["UID"])
    assert deadline_before["UID"] == deadline_after["UID"]
    assert deadline_before["DTSTART"] != deadline_after["DTSTART"]
    assert str(round_.id) in deadline_after["UID"]


async def test_the_calendar_speaks_the_readers_language(db, browser):
    from tests.factories import make_user

    challenge = await make_challenge(db, now=NOW, title="Défi")
    reader = await make_user(db, locale="fr")
    body = (await calendar(await browser(reader), challenge)).text
    assert "SUMMARY:Défi — Ouverture des inscriptions" in unfold(body)


async def test_drafts_and_invitation_only_calendars_are_not_found_for_outsiders(cast, browser):
    for person in (None, cast.user, cast.other_founder):
        client = await browser(person)
        assert (await calendar(client, cast.draft)).status_code == 404
        assert (await calendar(client, cast.private)).status_code == 404
    assert (await calendar(await browser(cast.founder), cast.draft)).status_code == 200
    assert (await calendar(await browser(), cast.public)).status_code == 200


def test_escaping_and_folding_by_the_rules():
    assert escape("a;b,c\\d\r\ne\nf\x07") == "a\\;b\\,c\\\\d\\ne\\nf"
    folded = fold("SUMMARY:" + "é" * 80)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if index else part for index, part in enumerate(parts)) == "SUMMARY:" + "é" * 80
    assert fold("SHORT:line") == "SHORT:line"
