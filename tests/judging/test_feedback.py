"""A team's feedback: per criterion the judges' mean and the scale, the overall mean and the number of judges,
every comment without any judge's name or id, for the team's members once the results are published."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.judging.models import Conflict
from tests.conftest import text_of
from tests.judging.results_support import as_user, give_score, judged
from tests.querycount import counting_statements


def url(team) -> str:
    return f"/teams/{team.id}/feedback"


async def publish(db, cast) -> None:
    cast.challenge.results_published_at = cast.now - dt.timedelta(minutes=5)
    await db.flush()


@pytest.fixture
async def cast(db):
    """Team 1 scored by two judges with comments, by a third in conflict, and by a fourth still drafting."""
    cast = await judged(db, rounds=1, scores=[])
    first, second = cast.judges
    entry = cast.entries[0]
    await give_score(
        db, cast, entry, first, [9, 8], comments=["Zesty pitch.", "Solid data plan."], overall="Keep going!"
    )
    await give_score(
        db, cast, entry, second, [6, 7], comments=["apt market study.", ""], overall="Clear and honest."
    )
    conflicted = await _extra_judge(db, cast, "Conrad Conflicted")
    await give_score(
        db, cast, entry, conflicted, [0, 0], comments=["Conflicted view."], overall="Should not show."
    )
    db.add(
        Conflict(
            challenge_id=cast.challenge.id,
            user_id=conflicted.id,
            team_id=cast.teams[0].id,
            reason="Former colleague",
        )
    )
    drafting = await _extra_judge(db, cast, "Dora Drafting")
    await give_score(
        db, cast, entry, drafting, [1, 1], comments=["Draft thought."], overall="Draft.", finalized=False
    )
    await db.flush()
    cast.extra_judges = [conflicted, drafting]
    return cast


async def _extra_judge(db, cast, name):
    from app.judging.models import Judge
    from tests.factories import make_user

    user = await make_user(db, name=name)
    db.add(
        Judge(
            round_id=cast.round.id,
            challenge_id=cast.challenge.id,
            email=user.email,
            user_id=user.id,
            accepted_at=cast.now,
        )
    )
    await db.flush()
    return user


async def test_members_read_means_scales_and_every_comment_without_judges(client, db, cast):
    await publish(db, cast)
    await as_user(client, db, cast.members[0])
    page = await client.get(url(cast.teams[0]))
    assert page.status_code == 200
    text = text_of(page.text)
    # Totals: (9*1 + 8*2) / 30 = 83.3 and (6 + 14) / 30 = 66.7, mean 75.
    assert "Round 1 Overall: 75 out of 100 · scored by 2 judges" in text
    assert (
        "Criterion 1 7.5 on a scale from 0 to 10" in text
        and "Criterion 2 7.5 on a scale from 0 to 10" in text
    )
    criterion_1 = text[text.index("Criterion 1 7.5") : text.index("Criterion 2")]
    assert criterion_1.endswith("apt market study. Zesty pitch. ")  # by text, not by judge
    assert "Overall comments Clear and honest. Keep going!" in text
    for absent in ("Conflicted view.", "Should not show.", "Draft thought.", "Draft."):
        assert absent not in text
    for judge in [*cast.judges, *cast.extra_judges]:
        assert judge.name not in page.text and str(judge.id) not in page.text and judge.email not in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_the_team_page_links_to_the_feedback_once_published(client, db, cast):
    await as_user(client, db, cast.captains[0])
    assert url(cast.teams[0]) not in (await client.get(f"/teams/{cast.teams[0].id}")).text
    await publish(db, cast)
    assert f'href="{url(cast.teams[0])}"' in (await client.get(f"/teams/{cast.teams[0].id}")).text


async def test_before_the_results_the_page_says_when_feedback_comes(client, db, cast):
    await as_user(client, db, cast.captains[0])
    page = await client.get(url(cast.teams[0]))
    assert page.status_code == 200
    text = text_of(page.text)
    assert (
        "The judges’ feedback will be available here when the results of the challenge are published." in text
    )
    assert "Zesty pitch." not in text and "Overall:" not in text


async def test_a_team_nobody_scored_is_told_so(client, db, cast):
    await publish(db, cast)
    await as_user(client, db, cast.captains[1])
    text = text_of((await client.get(url(cast.teams[1]))).text)
    assert "No judge scored your team’s entries." in text


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("captain", 200),
        ("member", 200),
        ("founder", 403),
        ("judge", 404),
        ("other_team", 404),
        ("outsider", 404),
        ("admin", 404),
    ],
)
async def test_only_the_teams_members_read_its_feedback(client, db, cast, who, status):
    await publish(db, cast)
    person = {
        "captain": cast.captains[0],
        "member": cast.members[0],
        "founder": cast.founder,
        "judge": cast.judges[0],
        "other_team": cast.captains[1],
        "outsider": cast.outsider,
        "admin": cast.admin,
    }[who]
    await as_user(client, db, person)
    page = await client.get(url(cast.teams[0]))
    assert page.status_code == status
    if status != 200:
        assert "Zesty pitch." not in page.text


async def test_visitors_are_sent_to_sign_in(client, db, cast):
    await publish(db, cast)
    response = await client.get(url(cast.teams[0]))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_feedback_page_costs_the_same_queries_for_3_or_30_teams(client, db, connection):
    counts = []
    for teams, judges in ((3, 2), (30, 6)):
        scores = [[(i % 10, (i + j) % 11) for j in range(judges)] for i in range(teams)]
        cast = await judged(db, rounds=1, teams=teams, judges=judges, scores=scores)
        await publish(db, cast)
        await as_user(client, db, cast.captains[0])
        with counting_statements(connection) as statements:
            page = await client.get(url(cast.teams[0]))
        assert page.status_code == 200
        assert f"scored by {judges} judges" in text_of(page.text)
        assert re.search(r"Overall: [\d.]+ out of 100", text_of(page.text))
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
