"""Krippendorff's alpha against published worked examples, and over a round's totals in one query.

Examples:
- Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), section C: 4 observers x 12 units
  with missing values; alpha = .743 (nominal), .815 (ordinal), .849 (interval), .797 (ratio).
  The krippendorff package's tests (pln-fing-udelar/fast-krippendorff) check .815 and .797 on it too.
- The same paper, section A: binary data, two observers, no missing value: alpha = .095.
- Section B: nominal data, two observers, no missing value: alpha = .692.
- Wikipedia's "Krippendorff's alpha" example: 3 coders x 15 units with missing values,
  nominal .691, interval .811 (also in the krippendorff package's tests).
"""

from __future__ import annotations

import pytest

from app.judging.agreement import Agreement, agreement_of, krippendorff_alpha, round_agreement
from tests.factories import make_judged_round
from tests.judging.ranking_support import score_all

N = None
PAPER_C = list(
    zip(
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
        strict=True,
    )
)
WIKIPEDIA = list(
    zip(
        [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
        [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
        [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
        strict=True,
    )
)


@pytest.mark.parametrize(
    ("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_paper_example_with_missing_data(level, expected):
    assert round(krippendorff_alpha(PAPER_C, level), 3) == expected


def test_wikipedia_example_with_missing_data():
    assert round(krippendorff_alpha(WIKIPEDIA, "nominal"), 6) == 0.691358
    assert round(krippendorff_alpha(WIKIPEDIA, "interval"), 6) == 0.810845


def test_paper_complete_binary_data():
    units = zip([0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0], strict=True)
    # 1 - (n - 1) o_01 / (n_0 n_1) = 1 - 19 x 4 / (14 x 6)
    assert krippendorff_alpha(list(units), "nominal") == pytest.approx(1 - 76 / 84)


def test_paper_complete_nominal_data():
    units = list(zip("aabbdcccedda", "babbbcccedd" + "d", strict=True))
    assert round(krippendorff_alpha(units, "nominal"), 3) == 0.692


def test_complete_interval_data_by_hand():
    # Values 1,1 | 2,2 | 3,4: D_o = 2/6, D_e = 82/30, alpha = 1 - 10/82.
    assert krippendorff_alpha([(1, 1), (2, 2), (3, 4)]) == pytest.approx(1 - 10 / 82)


def test_perfect_agreement_and_undefined_cases():
    assert krippendorff_alpha([(1, 1, 1), (2, 2, 2), (4, 4, None)]) == 1.0
    assert krippendorff_alpha([(1, None), (None, 2)]) is None  # nothing pairable
    assert krippendorff_alpha([(3, 3), (3, 3)]) is None  # no variation at all
    assert krippendorff_alpha([(3, 3), (3, 3)], "nominal") is None


def test_verdicts_in_plain_words():
    assert Agreement(0.85, 3, 6).verdict == "good"
    assert Agreement(0.8, 3, 6).verdict == "good"
    assert Agreement(0.7, 3, 6).verdict == "tentative"
    assert Agreement(0.5, 3, 6).verdict == "low"
    assert Agreement(None, 0, 0).verdict == "unknown"
    assert "Low agreement" in Agreement(-0.2, 3, 6).explanation()


def test_agreement_of_entry_totals_skips_single_ratings():
    totals = [("a", 10), ("a", 20), ("b", 50), ("b", 70), ("c", 90)]
    agreement = agreement_of(totals)
    assert agreement.units == 2 and agreement.pairable == 4
    assert agreement.alpha == pytest.approx(krippendorff_alpha([(10, 20), (50, 70)]))


async def test_round_agreement_over_weighted_totals(db):
    judged = await make_judged_round(db, teams=3, judges=3)
    # Totals (weights 1 and 2): judge 1: 100, 50, 0; judge 2: 80, 60, 20; judge 3: 90, none, 10.
    await score_all(
        db, judged, {0: [(10, 10), (5, 5), (0, 0)], 1: [(8, 8), (6, 6), (2, 2)], 2: [(9, 9), None, (1, 1)]}
    )
    agreement = await round_agreement(db, judged.round.id)
    expected = krippendorff_alpha([(100, 80, 90), (50, 60, None), (0, 20, 10)])
    assert agreement.alpha == pytest.approx(expected)
    assert agreement.units == 3 and agreement.pairable == 8
