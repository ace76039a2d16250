"""The ranking's arithmetic on a hand-computed example.

Rubric of make_judged_round: two criteria scored 0-10 with weights 1 and 2, so a judge's total is
100 x (v1/10 + 2 v2/10) / 3. Three judges score five entries A-E:

    entry  judge 1          judge 2        judge 3 (same score for all)
    A      (10, 10) = 100   (8, 8) = 80    (6, 6) = 60
    B      (4, 7)   =  60   (5, 5) = 50    (6, 6) = 60
    C      (7, 4)   =  50   (5, 5) = 50    (6, 6) = 60
    D      (1, 1)   =  10   (2, 2) = 20    (6, 6) = 60
    E      (7, 4)   =  50   (5, 5) = 50    (6, 6) = 60

B and C have the same values in another order: weights tell them apart (60 against 50).
Means: A 80, B 56.667, C 53.333, D 30, E 53.333; medians: A 80, B 60, C 50, D 20, E 50.
Judge 1: mean 54, population SD sqrt(824) = 28.7054; judge 2: mean 50, SD sqrt(360) = 18.9737;
judge 3 has SD 0, so all their z-scores are 0 (not a division by zero). z means:
A (1.60248 + 1.58114 + 0) / 3 = 1.06121, B (0.20902 + 0 + 0) / 3 = 0.06967,
C and E (-0.13935 + 0 + 0) / 3 = -0.04645, D (-1.53282 - 1.58114) / 3 = -1.03799.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.judging.models import Conflict, Screening
from app.judging.ranking import compute_ranking
from tests.factories import make_judged_round
from tests.judging.ranking_support import give_review, score_all

TABLE = {
    0: [(10, 10), (4, 7), (7, 4), (1, 1), (7, 4)],
    1: [(8, 8), (5, 5), (5, 5), (2, 2), (5, 5)],
    2: [(6, 6)] * 5,
}


@pytest.fixture
async def judged(db):
    judged = await make_judged_round(db, teams=5, judges=3)
    await score_all(db, judged, TABLE)
    return judged


def by_team(ranking, judged):
    names = {team.id: letter for team, letter in zip(judged.teams, "ABCDEF", strict=False)}
    return {names[entry.team_id]: entry for entry in ranking.entries}


async def test_weighted_totals_mean_median_spread(db, judged):
    ranking = await compute_ranking(db, judged.round.id, "mean")
    rows = by_team(ranking, judged)
    assert ranking.method == "mean" and ranking.judges == 3 and not ranking.subsets_differ
    expected_mean = {"A": 80, "B": 56.6666667, "C": 53.3333333, "D": 30, "E": 53.3333333}
    expected_median = {"A": 80, "B": 60, "C": 50, "D": 20, "E": 50}
    expected_spread = {"A": 40, "B": 10, "C": 10, "D": 50, "E": 10}
    for letter, row in rows.items():
        assert row.judges == 3
        assert float(row.mean) == pytest.approx(expected_mean[letter])
        assert float(row.median) == pytest.approx(expected_median[letter])
        assert float(row.spread) == pytest.approx(expected_spread[letter])
    # Population SD of A's totals 100, 80, 60.
    assert float(rows["A"].stdev) == pytest.approx(16.3299316)


async def test_z_scores_with_a_judge_who_gave_everyone_the_same(db, judged):
    ranking = await compute_ranking(db, judged.round.id, "z")
    rows = by_team(ranking, judged)
    expected = {"A": 1.06121, "B": 0.06967, "C": -0.04645, "D": -1.03799, "E": -0.04645}
    for letter, value in expected.items():
        assert float(rows[letter].z_mean) == pytest.approx(value, abs=1e-5)
    assert [row.rank for row in ranking.entries] == [1, 2, 3, 3, 5]


async def test_ties_share_a_rank_and_the_next_rank_is_skipped(db, judged):
    ranking = await compute_ranking(db, judged.round.id, "mean")
    rows = by_team(ranking, judged)
    assert [row.rank for row in ranking.entries] == [1, 2, 3, 3, 5]
    assert (rows["A"].rank, rows["B"].rank, rows["C"].rank, rows["E"].rank, rows["D"].rank) == (1, 2, 3, 3, 5)
    # Ranked by the median, B (60) comes before C and E (50, tied) and D (20).
    median = by_team(await compute_ranking(db, judged.round.id, "median"), judged)
    assert (median["A"].rank, median["B"].rank, median["C"].rank, median["E"].rank, median["D"].rank) == (
        1,
        2,
        3,
        3,
        5,
    )


async def test_auto_uses_the_mean_when_every_judge_saw_every_entry(db, judged):
    ranking = await compute_ranking(db, judged.round.id)
    assert ranking.method == "mean" and not ranking.subsets_differ
    assert [row.score for row in ranking.entries] == [row.mean for row in ranking.entries]


async def test_auto_uses_z_scores_when_judges_saw_different_subsets(db):
    judged = await make_judged_round(db, teams=3, judges=2)
    await score_all(db, judged, {0: [(10, 10), (5, 5), (0, 0)], 1: [(6, 6), None, (2, 2)]})
    ranking = await compute_ranking(db, judged.round.id)
    assert ranking.method == "z" and ranking.subsets_differ
    assert [row.score for row in ranking.entries] == [row.z_mean for row in ranking.entries]
    assert [row.judges for row in ranking.entries] == [2, 1, 2]


async def test_only_judge_with_constant_scores_gives_zero_z_and_a_tie(db):
    judged = await make_judged_round(db, teams=3, judges=1)
    await score_all(db, judged, {0: [(5, 5), (5, 5), (5, 5)]})
    ranking = await compute_ranking(db, judged.round.id, "z")
    assert [float(row.z_mean) for row in ranking.entries] == [0, 0, 0]
    assert [row.rank for row in ranking.entries] == [1, 1, 1]


async def test_drafts_conflicts_and_ineligible_entries_do_not_count(db):
    judged = await make_judged_round(db, teams=4, judges=3)
    # Entries 0-2 as in a small table; entry 3 is screened out later.
    await score_all(db, judged, {0: [(10, 10), (5, 5), (0, 0), None], 1: [(8, 8), (6, 6), (2, 2), None]})
    judge3 = judged.judges[2]
    await give_review(db, judged, judge3, judged.entries[0], (0, 0))  # finalized, then a conflict is declared
    await give_review(db, judged, judge3, judged.entries[1], (10, 10), final=False)  # a draft
    db.add(
        Conflict(
            challenge_id=judged.challenge.id, user_id=judge3.id, team_id=judged.teams[0].id, reason="Advisor"
        )
    )
    # Judge 1 also scored entry 3 (0 points), which is then screened ineligible: it must not move judge 1's z-scores.
    await give_review(db, judged, judged.judges[0], judged.entries[3], (0, 0))
    screening = await db.scalar(select(Screening).where(Screening.submission_id == judged.entries[3].id))
    screening.decision = "ineligible"
    await db.flush()
    ranking = await compute_ranking(db, judged.round.id, "z")
    assert ranking.judges == 2
    assert [row.team_id for row in ranking.entries] == [team.id for team in judged.teams[:3]]
    assert [row.judges for row in ranking.entries] == [2, 2, 2]
    assert float(ranking.entries[0].mean) == pytest.approx(90)
    # Judge 1: 100, 50, 0 -> z 1.2247, 0, -1.2247; judge 2: 80, 60, 20 -> mean 53.33, SD 24.944.
    assert float(ranking.entries[0].z_mean) == pytest.approx((1.2247449 + 1.0690450) / 2, abs=1e-6)


async def test_entries_without_reviews_come_last_unranked(db):
    judged = await make_judged_round(db, teams=3, judges=2)
    await score_all(db, judged, {0: [(10, 10), None, (4, 4)], 1: [(9, 9), None, (4, 4)]})
    ranking = await compute_ranking(db, judged.round.id)
    last = ranking.entries[-1]
    assert last.team_id == judged.teams[1].id and last.rank is None and last.judges == 0 and last.mean is None
    assert [row.rank for row in ranking.entries[:2]] == [1, 2]


async def test_empty_round(db):
    judged = await make_judged_round(db, teams=0, judges=0)
    ranking = await compute_ranking(db, judged.round.id)
    assert ranking.entries == [] and ranking.judges == 0 and ranking.method == "mean"


async def test_large_weights_do_not_overflow(db):
    judged = await make_judged_round(db, teams=2, judges=1)
    for criterion in judged.criteria:
        criterion.weight = 9000
    await db.flush()
    await score_all(db, judged, {0: [(10, 0), (0, 10)]})
    ranking = await compute_ranking(db, judged.round.id, "mean")
    assert [float(row.mean) for row in ranking.entries] == [50, 50]


def test_z_scores_are_shown_with_their_sign_in_the_reader_language():
    from app.judging.ranking_views import format_z
    from app.platform import i18n

    assert [format_z(v) for v in (1.056, -0.05, -0.001, 0, None)] == [
        "+1.06",
        "\u22120.05",
        "+0.00",
        "+0.00",
        "—",
    ]
    token = i18n.set_locale("fr")
    try:
        assert format_z(-1.5) == "\u22121,50"
    finally:
        i18n.reset_locale(token)


def test_a_judges_gap_to_the_panel_has_a_minus_sign_not_a_hyphen():
    from app.judging.ranking_views import format_gap
    from app.platform import i18n

    assert [format_gap(v) for v in (6.21, -6.3, -0.04, 0, None)] == ["+6.2", "\u22126.3", "+0.0", "+0.0", "—"]
    token = i18n.set_locale("fr")
    try:
        assert format_gap(-12.5) == "\u221212,5"
    finally:
        i18n.reset_locale(token)


async def test_the_database_keeps_each_final_review_total_whatever_writes_the_scores(db):
    from sqlalchemy import update

    from app.judging.models import Criterion, Review, Score
    from tests.factories import make_judged_round

    judged = await make_judged_round(db, teams=1, judges=1, criteria=2)  # weights 1 and 2, scales 0-10
    review = Review(submission_id=judged.entries[0].id, user_id=judged.judges[0].id, round_id=judged.round.id)
    db.add(review)
    await db.flush()
    db.add_all([Score(review_id=review.id, criterion_id=judged.criteria[0].id, value=10),
                Score(review_id=review.id, criterion_id=judged.criteria[1].id, value=4)])  # fmt: skip
    await db.flush()

    async def total():
        return await db.scalar(select(Review.total).where(Review.id == review.id))

    assert await total() is None  # a draft has no total
    await db.execute(update(Review).where(Review.id == review.id).values(finalized_at=judged.now))
    assert await total() == pytest.approx(100 * (1 * 1.0 + 2 * 0.4) / 3)
    await db.execute(update(Score).where(Score.criterion_id == judged.criteria[1].id).values(value=10))
    assert await total() == pytest.approx(100.0)
    await db.execute(update(Criterion).where(Criterion.id == judged.criteria[0].id).values(scale_max=20))
    assert await total() == pytest.approx(100 * (1 * 0.5 + 2 * 1.0) / 3)
