"""A judge's rounds (/judge), the header's Judging link, and their queue in a round (page and API): only
their assigned entries free of conflict, each with its status, the progress, the judging clock; who may
open it; and a cost in queries that does not grow with the queue."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import select

from app.judging.models import Judge, Review
from tests.conftest import text_of
from tests.factories import make_judged_round
from tests.judging.scoring_support import add_judge, as_user, make_cast, set_clock
from tests.querycount import counting_statements


@pytest.fixture
async def cast(db):
    return await make_cast(db)


async def finalize_by_hand(db, user, entry):
    db.add(
        Review(
            submission_id=entry.id, user_id=user.id, round_id=entry.round_id, finalized_at=entry.submitted_at
        )
    )
    await db.flush()


def queue_rows(html: str) -> list[tuple[str, str]]:
    """(team, status) of each row of the queue table, in order."""
    rows = re.findall(
        r'<tr id="entry-[^"]+">\s*<td>([^<]+)</td>\s*<td><span class="review-status[^"]*">([^<]+)</span>',
        html,
    )
    return [(team.strip(), status.strip()) for team, status in rows]


# --- /judge: my rounds ----------------------------------------------------------------------------------------


async def test_my_judging_lists_each_round_with_progress_and_closing_time(client, db, cast):
    await finalize_by_hand(db, cast.judge, cast.judged.entries[1])
    elsewhere = await make_judged_round(db, teams=2, judges=0)
    db.add(
        Judge(
            round_id=elsewhere.round.id, challenge_id=elsewhere.challenge.id, email=cast.judge.email,
            user_id=cast.judge.id, accepted_at=elsewhere.now,
        )
    )  # fmt: skip
    await db.flush()
    await as_user(client, db, cast.judge)
    response = await client.get("/judge")
    assert response.status_code == 200
    page = text_of(response.text)
    assert cast.judged.challenge.title in page and elsewhere.challenge.title in page
    assert "1 of 3 scored" in page  # the first challenge: three entries, one finalized
    assert "0 of 0 scored" in page  # the second: on the panel, nothing assigned yet
    assert "Judging is open until" in page
    assert f'href="/judge/rounds/{cast.round.id}"' in response.text
    assert '<progress value="1" max="3"' in response.text


async def test_my_judging_counts_only_entries_free_of_conflict(client, db, cast):
    await as_user(client, db, cast.conflicted)
    page = text_of((await client.get("/judge")).text)
    assert "0 of 2 scored" in page


async def test_my_judging_leaves_out_removed_and_pending_seats(client, db, cast):
    seat = await db.scalar(select(Judge).where(Judge.user_id == cast.judge.id))
    seat.removed_at = cast.judged.now
    pending = await add_judge(db, cast.judged, "Pat Pending")
    pending_seat = await db.scalar(select(Judge).where(Judge.user_id == pending.id))
    pending_seat.accepted_at = None
    await db.flush()
    for person in (cast.judge, pending, cast.outsider):
        await as_user(client, db, person)
        response = await client.get("/judge")
        assert response.status_code == 200
        assert "You are not judging any round." in text_of(response.text)


@pytest.mark.parametrize(
    ("role", "rounds"),
    [
        ("judge", 1),
        ("unassigned", 1),
        ("conflicted", 1),
        ("founder", 0),
        ("member", 0),
        ("outsider", 0),
        ("admin", 0),
    ],
)
async def test_my_judging_shows_each_person_only_their_own_rounds(client, db, cast, role, rounds):
    await as_user(client, db, cast.role(role))
    response = await client.get("/judge")
    assert response.status_code == 200
    assert response.text.count(f'href="/judge/rounds/{cast.round.id}"') == rounds


async def test_my_judging_needs_signing_in(client):
    response = await client.get("/judge")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# --- the header's Judging link --------------------------------------------------------------------------------


async def test_judging_link_shows_only_to_people_who_judge(client, db, cast):
    link = '<a href="/judge">Judging</a>'
    for person, shown in (
        (cast.judge, True),
        (cast.unassigned, True),
        (cast.founder, False),
        (cast.outsider, False),
    ):
        await as_user(client, db, person)
        assert (link in (await client.get("/challenges")).text) is shown, person.name


async def test_judging_link_costs_no_query(client, db, connection, cast):
    counts = []
    for person in (cast.judge, cast.outsider):
        await as_user(client, db, person)
        await client.get("/challenges")  # the session's last_seen_at touch happens on the first request
        with counting_statements(connection) as statements:
            assert (await client.get("/challenges")).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


# --- the queue ------------------------------------------------------------------------------------------------


async def test_queue_lists_assigned_entries_with_status_and_progress(client, db, cast):
    first, second, _third = cast.judged.entries
    await finalize_by_hand(db, cast.judge, first)
    db.add(Review(submission_id=second.id, user_id=cast.judge.id, round_id=cast.round.id))
    await db.flush()
    await as_user(client, db, cast.judge)
    response = await client.get(cast.queue)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    names = [team.name for team in cast.judged.teams]
    # Entries still to finalize first, each group by team name.
    assert queue_rows(response.text) == [
        (names[1], "Draft"),
        (names[2], "Not started"),
        (names[0], "Finalized"),
    ]
    page = text_of(response.text)
    assert "1 of 3 scored" in page
    assert '<progress value="1" max="3"' in response.text
    assert "Judging is open until" in page
    for entry in cast.judged.entries:
        assert f'href="/judge/entries/{entry.id}"' in response.text


async def test_queue_never_shows_an_entry_in_conflict(client, db, cast):
    await as_user(client, db, cast.conflicted)
    response = await client.get(cast.queue)
    assert response.status_code == 200
    assert [team for team, _status in queue_rows(response.text)] == [t.name for t in cast.judged.teams[1:]]
    assert str(cast.entry.id) not in response.text
    assert cast.judged.teams[0].name not in response.text
    assert "0 of 2 scored" in text_of(response.text)


async def test_automatic_conflict_through_a_shared_organization_hides_the_entry(client, db, cast):
    from tests.factories import make_organization

    await make_organization(db, members=(cast.judge, cast.judged.captains[1]))
    await as_user(client, db, cast.judge)
    response = await client.get(cast.queue)
    assert [team for team, _s in queue_rows(response.text)] == [
        cast.judged.teams[0].name,
        cast.judged.teams[2].name,
    ]


async def test_unassigned_judge_sees_an_empty_queue(client, db, cast):
    await as_user(client, db, cast.unassigned)
    response = await client.get(cast.queue)
    assert response.status_code == 200
    assert "No entry is assigned to you in this round yet." in text_of(response.text)
    assert "0 of 0 scored" in text_of(response.text)


async def test_queue_before_the_deadline_and_after_close_says_so(client, db, cast):
    now = cast.judged.now
    await as_user(client, db, cast.judge)
    await set_clock(db, cast, deadline=now + dt.timedelta(days=1))
    page = text_of((await client.get(cast.queue)).text)
    assert "Judging opens on" in page and "Read" in page
    await set_clock(db, cast, deadline=now - dt.timedelta(days=3), closes_at=now - dt.timedelta(hours=1))
    page = text_of((await client.get(cast.queue)).text)
    assert "Judging closed on" in page


@pytest.mark.parametrize(
    ("role", "page_status", "api_status"),
    [
        ("judge", 200, 200),
        ("unassigned", 200, 200),
        ("conflicted", 200, 200),
        ("founder", 403, 403),
        ("member", 403, 403),
        ("outsider", 403, 403),
        ("admin", 403, 403),
        ("visitor", 303, 401),
    ],
)
async def test_queue_permissions(client, db, cast, role, page_status, api_status):
    await as_user(client, db, cast.role(role))
    assert (await client.get(cast.queue)).status_code == page_status
    response = await client.get(f"/api/v1/judge/rounds/{cast.round.id}/queue")
    assert response.status_code == api_status
    if api_status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_judge_of_another_round_or_an_unknown_round_gets_404(client, db, cast):
    judged = await make_judged_round(db, teams=1, judges=1, rounds=2)
    await as_user(client, db, judged.judges[0])
    second_round = judged.rounds[1]
    assert (await client.get(f"/judge/rounds/{second_round.id}")).status_code == 404
    assert (await client.get(f"/api/v1/judge/rounds/{second_round.id}/queue")).status_code == 404
    assert (await client.get(f"/judge/rounds/{uuid.uuid4()}")).status_code == 404


async def test_queue_api_gives_entries_status_and_progress(client, db, cast):
    await finalize_by_hand(db, cast.conflicted, cast.judged.entries[1])
    await as_user(client, db, cast.conflicted)
    body = (await client.get(f"/api/v1/judge/rounds/{cast.round.id}/queue")).json()
    assert body["scored"] == 1 and body["total"] == 2
    assert body["judging"]["state"] == "open"
    assert [entry["status"] for entry in body["entries"]] == ["not_started", "finalized"]
    assert (body["page"], body["per_page"], body["pages"]) == (1, 50, 1)
    assert str(cast.entry.id) not in str(body)


async def test_queue_costs_the_same_queries_for_3_or_30_entries(client, db, connection):
    counts = []
    for teams in (3, 30):
        judged = await make_judged_round(db, teams=teams, judges=1)
        await finalize_by_hand(db, judged.judges[0], judged.entries[0])
        await as_user(client, db, judged.judges[0])
        await client.get("/judge")
        for url in (
            f"/judge/rounds/{judged.round.id}",
            "/judge",
            f"/api/v1/judge/rounds/{judged.round.id}/queue",
        ):
            with counting_statements(connection) as statements:
                response = await client.get(url)
            assert response.status_code == 200
            counts.append(len(statements))
        assert f"1 of {teams} scored" in text_of((await client.get(f"/judge/rounds/{judged.round.id}")).text)
    assert counts[:3] == counts[3:]


async def test_an_entry_screened_out_or_withdrawn_after_assignment_leaves_the_queue_and_closes(
    client, db, cast
):
    from app.judging.models import Screening

    ineligible, withdrawn = cast.judged.entries[0], cast.judged.entries[1]
    screening = await db.get(Screening, ineligible.id)
    screening.decision, screening.reason = "ineligible", "Out of scope."
    withdrawn.status = "withdrawn"
    await db.flush()
    await as_user(client, db, cast.judge)
    page = (await client.get(f"/judge/rounds/{cast.round.id}")).text
    names = [team for team, _status in queue_rows(page)]
    assert names == [cast.judged.teams[2].name]
    for entry in (ineligible, withdrawn):
        assert (await client.get(f"/judge/entries/{entry.id}")).status_code == 404
        assert (await client.get(f"/api/v1/entries/{entry.id}/review")).status_code == 404


async def test_queue_pages_keep_unfinished_entries_first_and_count_the_whole_queue(client, db):
    judged = await make_judged_round(db, teams=53, judges=1)
    judge = judged.judges[0]
    by_name = sorted(
        judged.entries, key=lambda entry: next(t.name for t in judged.teams if t.id == entry.team_id).lower()
    )
    for entry in by_name[:3]:
        await finalize_by_hand(db, judge, entry)
    await as_user(client, db, judge)
    url = f"/judge/rounds/{judged.round.id}"
    first = (await client.get(url)).text
    rows = queue_rows(first)
    assert len(rows) == 50 and all(status == "Not started" for _team, status in rows)
    assert "Entries 1–50 of 53" in text_of(first) and "3 of 53 scored" in text_of(first)
    assert f'href="{url}?page=2" rel="next"' in first
    second = (await client.get(url, params={"page": 2})).text
    assert [status for _team, status in queue_rows(second)] == ["Finalized"] * 3
    assert "Entries 51–53 of 53" in text_of(second) and "3 of 53 scored" in text_of(second)
    assert f'href="{url}?page=1" rel="prev"' in second
    shown = [team for page in (first, second) for team, _status in queue_rows(page)]
    assert len(set(shown)) == 53
    # A page past the end shows the last one; a page that is not a number is refused.
    assert queue_rows((await client.get(url, params={"page": 9})).text) == queue_rows(second)
    assert (await client.get(url, params={"page": "x"})).status_code == 400


async def test_queue_api_pages_with_per_page(client, db, cast):
    first = cast.judged.entries[0]
    await finalize_by_hand(db, cast.judge, first)
    await as_user(client, db, cast.judge)
    url = f"/api/v1/judge/rounds/{cast.round.id}/queue"
    page_one = (await client.get(url, params={"per_page": 2})).json()
    assert (
        page_one["page"],
        page_one["per_page"],
        page_one["pages"],
        page_one["total"],
        page_one["scored"],
    ) == (1, 2, 2, 3, 1)
    assert [entry["status"] for entry in page_one["entries"]] == ["not_started", "not_started"]
    page_two = (await client.get(url, params={"per_page": 2, "page": 2})).json()
    assert [entry["submission_id"] for entry in page_two["entries"]] == [str(first.id)]
    assert (page_two["total"], page_two["scored"]) == (3, 1)
    everything = (await client.get(url, params={"per_page": 200})).json()
    assert len(everything["entries"]) == 3
    for bad in ({"per_page": 0}, {"per_page": 201}, {"page": 0}, {"page": "two"}):
        response = await client.get(url, params=bad)
        assert response.status_code == 400, bad
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_reading_the_queue_creates_no_judging_settings_and_reads_their_defaults(client, db, cast):
    from sqlalchemy import delete, func

    from app.judging.models import JudgingRound

    await db.execute(delete(JudgingRound).where(JudgingRound.round_id == cast.round.id))
    cast.judged.challenge.judging_ends_at = None
    await db.flush()
    await as_user(client, db, cast.judge)
    page = await client.get(cast.queue)
    assert page.status_code == 200
    assert "Judging is open until the founders close it." in text_of(page.text)
    api = await client.get(f"/api/v1/judge/rounds/{cast.round.id}/queue")
    assert api.status_code == 200 and api.json()["total"] == len(cast.judged.entries)
    count = select(func.count()).select_from(JudgingRound).where(JudgingRound.round_id == cast.round.id)
    assert await db.scalar(count) == 0
