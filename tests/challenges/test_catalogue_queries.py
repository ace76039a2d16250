"""The catalogue costs the same number of SQL statements with 5 challenges as with 500."""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy import event, insert

from app.challenges.catalogue import PAGE_SIZE
from app.challenges.models import Challenge, ChallengeOrganizer, Prize, Round
from app.db import utcnow
from tests.challenges.test_catalogue_page import slugs
from tests.challenges.timelines import DAY, make_program
from tests.factories import make_organization, make_user, sign_in


@contextlib.contextmanager
def counting_statements(connection):
    """Every SQL statement sent on the test's connection (the app's sessions share it)."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", before_cursor_execute)


async def bulk_challenges(db, count: int, organizers, program) -> None:
    """`count` published challenges with an organizer, a round and a prize each, in four statements."""
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(count)]
    await db.execute(
        insert(Challenge),
        [
            {
                "id": challenge_id,
                "slug": f"bulk-{challenge_id.hex[:12]}",
                "title": f"Bulk challenge {index} on heart failure",
                "summary": "Many of them.",
                "description": "Détecter l’insuffisance cardiaque.",
                "published_at": now - DAY,
                "registration_opens_at": now - DAY,
                "registration_closes_at": now + (index % 30 + 1) * DAY,
                "program_id": program.id,
            }
            for index, challenge_id in enumerate(ids)
        ],
    )
    await db.execute(
        insert(ChallengeOrganizer),
        [
            {"challenge_id": challenge_id, "organization_id": organizer.id}
            for challenge_id in ids
            for organizer in organizers
        ],
    )
    await db.execute(
        insert(Round),
        [
            {
                "id": uuid.uuid4(),
                "challenge_id": c,
                "position": 1,
                "name": "Round 1",
                "opens_at": now,
                "deadline": now + 40 * DAY,
            }
            for c in ids
        ],
    )
    await db.execute(
        insert(Prize),
        [{"id": uuid.uuid4(), "challenge_id": c, "title": "Prize", "reward": "1 000 €"} for c in ids],
    )


async def statements_for(client, connection, url: str) -> tuple[int, list[str]]:
    with counting_statements(connection) as statements:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return len(statements), slugs(response.text)


async def test_the_page_costs_the_same_queries_with_5_and_500_challenges(client, db, connection):
    organizers = (await make_organization(db), await make_organization(db))
    program = await make_program(db)
    await sign_in(client, db, await make_user(db))
    urls = [
        f"/challenges?organizer={organizers[0].slug}",
        f"/challenges?organizer={organizers[0].slug}&q=heart&program={program.slug}&open=1",
        f"/challenges?organizer={organizers[0].slug}&phase=registration_open&sort=newest&page=2",
    ]
    await bulk_challenges(db, 5, organizers, program)
    await client.get("/challenges")  # the browser's first visit settles its session
    with_five = [await statements_for(client, connection, url) for url in urls]
    assert len(with_five[0][1]) == 5

    await bulk_challenges(db, 495, organizers, program)
    with_five_hundred = [await statements_for(client, connection, url) for url in urls]
    assert len(with_five_hundred[0][1]) == PAGE_SIZE
    assert len(with_five_hundred[1][1]) == PAGE_SIZE
    assert [count for count, _ in with_five_hundred] == [count for count, _ in with_five]
    # The page itself: rows, their total, and the filters' two option lists in one query, plus the session's
    # own work and the two savepoints standing for BEGIN and COMMIT.
    assert with_five[0][0] <= 7


async def test_the_htmx_results_block_skips_the_filter_options_it_does_not_show(client, db, connection):
    organizers = (await make_organization(db),)
    program = await make_program(db)
    await bulk_challenges(db, 5, organizers, program)
    await sign_in(client, db, await make_user(db))
    url = f"/challenges?program={program.slug}"
    await client.get(url)  # the browser's first visit settles its session
    page_count, page_slugs = await statements_for(client, connection, url)
    with counting_statements(connection) as statements:
        block = await client.get(url, headers={"HX-Request": "true"})
    assert block.status_code == 200
    assert "<html" not in block.text and 'id="catalogue_results"' in block.text
    assert slugs(block.text) == page_slugs and len(page_slugs) == 5
    assert len(statements) == page_count - 1


async def test_the_api_costs_the_same_queries_with_5_and_500_challenges(client, db, connection):
    organizers = (await make_organization(db),)
    program = await make_program(db)
    await bulk_challenges(db, 5, organizers, program)
    await client.get("/api/v1/challenges")
    url = f"/api/v1/challenges?organizer={organizers[0].slug}&per_page=100"
    with counting_statements(connection) as five:
        assert len((await client.get(url)).json()["items"]) == 5
    await bulk_challenges(db, 495, organizers, program)
    with counting_statements(connection) as five_hundred:
        assert len((await client.get(url)).json()["items"]) == 100
    assert len(five_hundred) == len(five)
