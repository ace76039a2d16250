"""Rounds, their forms and the timeline: times entered in the challenge's zone, stored in UTC, shown back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.challenges.models import Round, RoundField
from tests.challenges.core.helpers import reload
from tests.conftest import text_of
from tests.factories import make_challenge, make_founder

UTC = dt.UTC


async def rounds_of(db, challenge) -> list[Round]:
    return list(
        await db.scalars(
            select(Round)
            .where(Round.challenge_id == challenge.id)
            .order_by(Round.position)
            .execution_options(populate_existing=True)
        )
    )


async def fields_of(db, round_) -> list[RoundField]:
    return list(
        await db.scalars(
            select(RoundField)
            .where(RoundField.round_id == round_.id)
            .order_by(RoundField.position)
            .execution_options(populate_existing=True)
        )
    )


async def test_times_around_the_spring_change_are_stored_in_utc_and_shown_back_identically(cast, browser, db):
    client = await browser(cast.founder)
    response = await client.submit(
        f"/challenges/{cast.draft.slug}/rounds",
        {
            "name": "Night round",
            "opens_at": "2027-03-28T01:30",
            "deadline": "2027-03-28T03:30",
            "rubric_planned": "1",
        },
    )
    assert response.status_code == 303, text_of(response.text)
    night = (await rounds_of(db, cast.draft))[-1]
    # 01:30 is still winter time (UTC+1), 03:30 already summer time (UTC+2).
    assert night.opens_at == dt.datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert night.deadline == dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    page = await client.get(response.headers["location"])
    assert 'value="2027-03-28T01:30"' in page.text and 'value="2027-03-28T03:30"' in page.text
    preview = text_of((await client.get(f"/challenges/{cast.draft.slug}")).text)
    assert "From Mar 28, 2027, 1:30 AM (Europe/Paris) to Mar 28, 2027, 3:30 AM (Europe/Paris)" in preview


async def test_a_time_skipped_by_the_clock_change_is_refused(cast, browser, db):
    client = await browser(cast.founder)
    response = await client.submit(
        f"/challenges/{cast.draft.slug}/rounds",
        {"name": "Ghost", "opens_at": "2027-03-28T02:30", "deadline": "2027-04-01T12:00"},
    )
    assert response.status_code == 422
    assert "This time does not exist in Europe/Paris: the clocks change then." in text_of(response.text)
    assert len(await rounds_of(db, cast.draft)) == 1


async def test_the_repeated_autumn_hour_means_its_first_occurrence(cast, browser, db):
    client = await browser(cast.founder)
    await client.submit(
        f"/challenges/{cast.draft.slug}/timeline",
        {
            "registration_opens_at": "2027-10-31T02:30",
            "registration_closes_at": "2027-11-02T12:00",
            "judging_ends_at": "",
            "results_at": "",
        },
    )
    challenge = await reload(db, cast.draft)
    assert challenge.registration_opens_at == dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert challenge.judging_ends_at is None and challenge.results_at is None
    page = await client.get(f"/challenges/{cast.draft.slug}/edit")
    assert 'value="2027-10-31T02:30"' in page.text


async def test_times_follow_the_challenges_own_zone(db, browser):
    challenge = await make_challenge(db, published=False, timezone="America/New_York")
    founder = await make_founder(db, challenge)
    client = await browser(founder)
    await client.submit(
        f"/challenges/{challenge.slug}/timeline",
        {"registration_opens_at": "2027-07-01T09:00", "registration_closes_at": "2027-07-10T17:00"},
    )
    challenge = await reload(db, challenge)
    assert challenge.registration_opens_at == dt.datetime(2027, 7, 1, 13, 0, tzinfo=UTC)
    page = text_of((await client.get(f"/challenges/{challenge.slug}")).text)
    assert "Registration closes — Jul 10, 2027, 5:00 PM (America/New_York)" in page


async def test_bad_times_are_explained(cast, browser):
    client = await browser(cast.founder)
    response = await client.submit(
        f"/challenges/{cast.draft.slug}/timeline",
        {"registration_opens_at": "tomorrow", "results_at": "2027-13-45T10:00"},
    )
    assert response.status_code == 422
    assert text_of(response.text).count("Enter a date and time such as 2027-01-31 18:00.") == 2


async def test_a_published_registration_close_moves_only_by_extension(cast, browser, db):
    client = await browser(cast.founder)
    before = cast.public.registration_closes_at
    response = await client.submit(
        f"/challenges/{cast.public.slug}/timeline", {"registration_closes_at": "2030-01-01T10:00"}
    )
    assert response.status_code == 422
    assert "this date only moves later, with “Extend a deadline”" in text_of(response.text)
    assert (await reload(db, cast.public)).registration_closes_at == before
    # The form of a published challenge does not hold it, and saving the rest works.
    page = await client.get(f"/challenges/{cast.public.slug}/edit")
    assert 'name="registration_closes_at"' not in page.text


async def test_a_published_timeline_stays_in_order(cast, browser, db):
    client = await browser(cast.founder)
    round_ = (await rounds_of(db, cast.public))[0]
    earlier = (round_.deadline - dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    from app.challenges.inputs import local_input

    response = await client.submit(
        f"/challenges/{cast.public.slug}/timeline", {"judging_ends_at": local_input(earlier, "Europe/Paris")}
    )
    assert response.status_code == 422
    assert "Judging must end after the last round’s deadline." in text_of(response.text)


async def test_rounds_of_a_draft_are_added_reordered_and_removed(cast, browser, db):
    client = await browser(cast.founder)
    url = f"/challenges/{cast.draft.slug}/rounds"
    await client.submit(
        url, {"name": "Pitch", "opens_at": "2027-05-01T09:00", "deadline": "2027-05-15T18:00"}
    )
    first, second = await rounds_of(db, cast.draft)
    assert (first.position, second.position, second.name, second.rubric_planned) == (1, 2, "Pitch", False)
    await client.submit(f"{url}/{second.id}/move", {"direction": "up"})
    assert [r.name for r in await rounds_of(db, cast.draft)] == ["Pitch", "Round 1"]
    await client.submit(f"{url}/{second.id}/move", {"direction": "up"})
    assert [r.name for r in await rounds_of(db, cast.draft)] == ["Pitch", "Round 1"]
    response = await client.submit(f"{url}/{second.id}/remove")
    assert response.status_code == 303
    remaining = await rounds_of(db, cast.draft)
    assert [(r.name, r.position) for r in remaining] == [("Round 1", 1)]


async def test_rounds_of_a_published_challenge_are_neither_removed_nor_reordered(cast, browser, db):
    client = await browser(cast.founder)
    [round_] = await rounds_of(db, cast.public)
    for action in ("remove", "move"):
        response = await client.submit(
            f"/challenges/{cast.public.slug}/rounds/{round_.id}/{action}", {"direction": "down"}
        )
        assert response.status_code == 409
        assert "can no longer be removed or reordered" in text_of(response.text)
    assert len(await rounds_of(db, cast.public)) == 1


async def test_editing_a_round_checks_its_dates(cast, browser, db):
    client = await browser(cast.founder)
    [round_] = await rounds_of(db, cast.draft)
    url = f"/challenges/{cast.draft.slug}/rounds/{round_.id}"
    bad = await client.submit(
        url, {"name": "R", "opens_at": "2027-05-10T10:00", "deadline": "2027-05-10T10:00"}
    )
    assert bad.status_code == 422 and "The deadline must come after the opening." in text_of(bad.text)
    empty = await client.submit(url, {"name": "", "opens_at": "", "deadline": ""})
    assert empty.status_code == 422 and text_of(empty.text).count("This field is required.") == 3
    good = await client.submit(
        url,
        {
            "name": "Application",
            "opens_at": "2027-05-10T10:00",
            "deadline": "2027-05-20T10:00",
            "description": "Tell us",
            "rubric_planned": "1",
        },
    )
    assert good.status_code == 303
    round_ = (await rounds_of(db, cast.draft))[0]
    assert (round_.name, round_.description, round_.rubric_planned) == ("Application", "Tell us", True)
    assert round_.deadline == dt.datetime(2027, 5, 20, 8, 0, tzinfo=UTC)


async def test_a_published_rounds_deadline_is_not_in_its_form(cast, browser, db):
    client = await browser(cast.founder)
    [round_] = await rounds_of(db, cast.public)
    url = f"/challenges/{cast.public.slug}/rounds/{round_.id}"
    page = await client.get(url)
    assert 'name="deadline"' not in page.text and "Extend a deadline" in page.text
    from app.challenges.inputs import local_input

    opens = local_input(round_.opens_at, "Europe/Paris")
    assert (
        await client.submit(url, {"name": "Renamed", "opens_at": opens, "rubric_planned": "1"})
    ).status_code == 303
    pushed = await client.submit(
        url, {"name": "Renamed", "opens_at": opens, "deadline": "2040-01-01T10:00", "rubric_planned": "1"}
    )
    assert pushed.status_code == 422 and "Extend a deadline" in text_of(pushed.text)


async def test_a_round_of_another_challenge_is_not_found(cast, browser, db):
    client = await browser(cast.founder)
    [theirs] = await rounds_of(db, cast.other)
    assert (await client.get(f"/challenges/{cast.draft.slug}/rounds/{theirs.id}")).status_code == 404
    assert (
        await client.submit(f"/challenges/{cast.draft.slug}/rounds/{theirs.id}/remove")
    ).status_code == 404


FIELD = {
    "label": "Pitch deck",
    "kind": "file",
    "allowed_types": ["pdf", "pptx"],
    "max_size_mb": "20",
    "required": "1",
    "help_text": "10 slides at most",
}


async def test_the_submission_form_is_built_field_by_field(cast, browser, db):
    client = await browser(cast.founder)
    [round_] = await rounds_of(db, cast.draft)
    url = f"/challenges/{cast.draft.slug}/rounds/{round_.id}/fields"
    assert (await client.submit(url, FIELD)).status_code == 303
    assert (
        await client.submit(
            url, {"label": "Stage", "kind": "single_choice", "choices": "Idea\nPrototype\n\nMarket\n"}
        )
    ).status_code == 303
    assert (await client.submit(url, {"label": "Website", "kind": "url"})).status_code == 303
    deck, stage, site = await fields_of(db, round_)
    assert (deck.kind, deck.allowed_types, deck.max_size_mb, deck.required, deck.help_text) == (
        "file",
        ["pdf", "pptx"],
        20,
        True,
        "10 slides at most",
    )
    assert stage.choices == ["Idea", "Prototype", "Market"] and stage.max_size_mb is None
    assert len({deck.key, stage.key, site.key}) == 3
    await client.submit(f"{url}/{site.id}/move", {"direction": "up"})
    assert [f.label for f in await fields_of(db, round_)] == ["Pitch deck", "Website", "Stage"]
    response = await client.submit(f"{url}/{site.id}", {"label": "Web site", "kind": "long_text"})
    assert response.status_code == 303
    assert [(f.label, f.kind) for f in await fields_of(db, round_)][1] == ("Web site", "long_text")
    # Removing a field of a draft deletes it: nobody can have answered.
    await client.submit(f"{url}/{site.id}/remove")
    assert [f.label for f in await fields_of(db, round_)] == ["Pitch deck", "Stage"]
    page = await client.get(f"/challenges/{cast.draft.slug}/rounds/{round_.id}")
    assert "Pitch deck" in page.text and "Single choice" in page.text


async def test_bad_fields_are_explained(cast, browser, db):
    client = await browser(cast.founder)
    [round_] = await rounds_of(db, cast.draft)
    url = f"/challenges/{cast.draft.slug}/rounds/{round_.id}/fields"
    for data, message in (
        ({"label": "", "kind": "url"}, "This field is required."),
        ({"label": "X", "kind": "essay"}, "Choose a value from the list."),
        (
            {"label": "X", "kind": "multiple_choice", "choices": "Only one"},
            "Give at least two choices, one per line.",
        ),
        ({"label": "X", "kind": "file", "max_size_mb": "5"}, "Tick at least one type of file."),
        (
            {"label": "X", "kind": "file", "allowed_types": "exe", "max_size_mb": "5"},
            "Tick at least one type of file.",
        ),
        (
            {"label": "X", "kind": "file", "allowed_types": "pdf", "max_size_mb": "500"},
            "Enter a whole number between 1 and 100.",
        ),
    ):
        response = await client.submit(url, data)
        assert response.status_code == 422, data
        assert message in text_of(response.text), data
    assert await fields_of(db, round_) == []


async def test_removing_a_field_after_publishing_retires_it_and_its_kind_stays(cast, browser, db):
    client = await browser(cast.founder)
    [round_] = await rounds_of(db, cast.public)
    url = f"/challenges/{cast.public.slug}/rounds/{round_.id}/fields"
    await client.submit(url, FIELD)
    await client.submit(url, {"label": "Summary", "kind": "long_text"})
    deck, summary = await fields_of(db, round_)
    changed = await client.submit(f"{url}/{summary.id}", {"label": "Abstract", "kind": "url"})
    assert changed.status_code == 303
    summary = (await fields_of(db, round_))[1]
    assert (summary.label, summary.kind) == ("Abstract", "long_text")
    response = await client.submit(f"{url}/{deck.id}/remove")
    assert response.status_code == 303
    deck = (await fields_of(db, round_))[0]
    assert deck.retired_at is not None and deck.label == "Pitch deck"
    page = text_of((await client.get(f"/challenges/{cast.public.slug}/rounds/{round_.id}")).text)
    assert "Pitch deck — File Retired" in page
    again = await client.submit(f"{url}/{deck.id}/remove")
    assert again.status_code == 409 and "This field is already retired." in text_of(again.text)
    public = text_of((await (await browser()).get(f"/challenges/{cast.public.slug}")).text)
    assert "Abstract" in public and "Pitch deck" not in public
