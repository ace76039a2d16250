"""The founders' dashboard: their challenges by phase with registration counts, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import uuid

from app.challenges.models import Challenge, ChallengeOrganizer, Registration, Round
from app.db import utcnow
from tests.challenges.core.helpers import StatementCounter
from tests.conftest import text_of
from tests.factories import make_organization, make_registration, make_user

DAY = dt.timedelta(days=1)


async def test_challenges_are_grouped_by_phase_with_what_needs_action(cast, browser, db):
    pending = await make_user(db)
    await make_registration(db, cast.public, pending, status="pending")
    client = await browser(cast.founder)
    response = await client.get("/founder")
    assert response.status_code == 200
    page = text_of(response.text)
    assert page.index("Draft (1)") < page.index("Registration open (2)")
    assert (
        "Draft Lung Challenge" in page
        and "Public Heart Challenge" in page
        and "Private Kidney Challenge" in page
    )
    assert "Other Brain Challenge" not in page
    assert "1 approved, 1 pending" in page
    assert f'href="/challenges/{cast.public.slug}/registrations"' in response.text
    assert "Review 1 pending registration" in page
    assert f'href="/challenges/{cast.draft.slug}/edit#publish"' in response.text


async def test_someone_organizing_nothing_sees_an_empty_dashboard(cast, browser):
    page = text_of((await (await browser(cast.user)).get("/founder")).text)
    assert "None of your organizations organizes a challenge yet." in page


async def test_visitors_are_sent_to_sign_in(browser):
    response = await (await browser()).get("/founder")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def add_challenges(db, organization, count: int) -> None:
    """`count` published challenges with a round and two registrations each, inserted in bulk."""
    now = utcnow()
    people = [await make_user(db) for _ in range(2)]
    challenges, rows = [], []
    for index in range(count):
        challenge = Challenge(
            id=uuid.uuid4(),
            slug=f"bulk-{uuid.uuid4().hex[:10]}",
            title=f"Bulk {index}",
            published_at=now - DAY,
            registration_opens_at=now - DAY,
            registration_closes_at=now + DAY,
        )
        challenges.append(challenge)
        rows += [
            ChallengeOrganizer(challenge_id=challenge.id, organization_id=organization.id),
            Round(challenge_id=challenge.id, position=1, name="R", opens_at=now, deadline=now + 3 * DAY),
            *(
                Registration(
                    challenge_id=challenge.id,
                    user_id=person.id,
                    status=status,
                    rules_version=1,
                    rules_accepted_at=now,
                )
                for person, status in zip(people, ("pending", "approved"), strict=True)
            ),
        ]
    db.add_all(challenges)
    await db.flush()
    db.add_all(rows)
    await db.flush()


async def test_the_dashboard_costs_the_same_queries_for_5_and_50_challenges(browser, db, connection):
    counts = {}
    for size in (5, 50):
        founder = await make_user(db)
        organization = await make_organization(db, owner=founder)
        await add_challenges(db, organization, size)
        client = await browser(founder)
        await client.get("/founder")  # warm-up: first-use caches must not count
        with StatementCounter(connection) as counter:
            response = await client.get("/founder")
        assert response.status_code == 200
        assert text_of(response.text).count("1 approved, 1 pending") == size
        counts[size] = counter.count
    assert counts[5] == counts[50]
    assert counts[5] <= 8


async def test_each_challenge_shows_its_teams_and_submitted_entries(cast, browser, db):
    from sqlalchemy import select

    from app.teams.models import Submission
    from tests.factories import make_team

    first_round = await db.scalar(select(Round).where(Round.challenge_id == cast.public.id).limit(1))
    submitted = await make_team(db, cast.public, await make_user(db))
    await make_team(db, cast.public, await make_user(db))
    db.add(Submission(team_id=submitted.id, round_id=first_round.id, status="submitted", version=1))
    await db.flush()
    response = await (await browser(cast.founder)).get("/founder")
    row = next(part for part in response.text.split("<tr>") if cast.public.title in part)
    cells = [text_of("<td" + cell) for cell in row.split("<td")[1:]]
    # Challenge, next deadline, registrations, teams, submitted, to do.
    assert cells[3].endswith("2") and cells[4].endswith("1"), cells
    assert f'href="/challenges/{cast.public.slug}/teams"' in row
