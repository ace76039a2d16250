"""The assignment algorithm (app.judging.assignment), pure: k judges per entry without conflicts, balanced
loads, the same result for the same seed, pairs of judges spread, every judge for "all", kept pairs kept."""

from __future__ import annotations

import math
import random

import pytest

from app.judging.assignment import assign


def random_conflicts(entries: int, judges: int, rate: float, seed: int) -> set[tuple[int, int]]:
    rng = random.Random(seed)
    return {(j, e) for j in range(judges) for e in range(entries) if rng.random() < rate}


def check_k_per_entry(result, entries, judges, k, conflicts) -> None:
    assert set(result.by_entry) == set(entries)
    for entry, chosen in result.by_entry.items():
        assert len(chosen) == k, entry
        assert len(set(chosen)) == k
        assert not {(judge, entry) for judge in chosen} & conflicts
    loads = list(result.loads.values())
    assert max(loads) - min(loads) <= 1
    assert result.short == {}


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_200_entries_25_judges_k3_with_random_conflicts(seed):
    entries, judges = range(200), range(25)
    conflicts = random_conflicts(200, 25, 0.1, seed)
    assert len(conflicts) > 300  # about one pair in ten
    result = assign(entries, judges, 3, conflicts, seed=seed)
    check_k_per_entry(result, entries, judges, 3, conflicts)
    assert sum(result.loads.values()) == 600 and set(result.loads.values()) == {24}


def test_same_seed_same_result_and_another_seed_another():
    conflicts = random_conflicts(200, 25, 0.1, 7)
    first = assign(range(200), range(25), 3, conflicts, seed=11)
    again = assign(reversed(range(200)), list(reversed(range(25))), 3, set(conflicts), seed=11)
    other = assign(range(200), range(25), 3, conflicts, seed=12)
    assert first.by_entry == again.by_entry  # input order does not matter, only the seed
    assert first.by_entry != other.by_entry
    check_k_per_entry(other, range(200), range(25), 3, conflicts)


def test_pairs_of_judges_are_spread_across_entries():
    """600 seats make 600 pairs of judges over 300 possible pairs: about 2 each. Choosing, among the least
    loaded judges, the one least often seated with the entry's other judges keeps every pair near that."""
    conflicts = random_conflicts(200, 25, 0.1, 3)
    result = assign(range(200), range(25), 3, conflicts, seed=5)
    together = result.co_occurrence()
    pairs_used = sum(together.values())
    assert pairs_used == 200 * 3
    average = pairs_used / (25 * 24 / 2)
    assert max(together.values()) <= math.ceil(average) + 2
    assert len(together) >= 0.9 * 300  # nearly every judge is compared with nearly every other


def test_pair_spread_beats_choosing_by_load_alone():
    """Against a baseline that picks any least-loaded judge at random, the spread of pairs is tighter."""
    rng = random.Random(9)
    loads = dict.fromkeys(range(25), 0)
    baseline: dict[tuple[int, int], int] = {}
    for _entry in range(200):
        chosen: list[int] = []
        for _seat in range(3):
            free = [j for j in range(25) if j not in chosen]
            low = min(loads[j] for j in free)
            pick = rng.choice([j for j in free if loads[j] == low])
            for other in chosen:
                key = (min(pick, other), max(pick, other))
                baseline[key] = baseline.get(key, 0) + 1
            chosen.append(pick)
            loads[pick] += 1
    spread = assign(range(200), range(25), 3, set(), seed=9).co_occurrence()
    assert max(spread.values()) < max(baseline.values())
    assert len(spread) >= len(baseline)


def test_too_many_conflicts_give_every_judge_possible_and_say_so():
    conflicts = {(judge, 0) for judge in range(4)} | {(judge, 1) for judge in range(6)}
    result = assign(range(10), range(6), 3, conflicts, seed=1)
    assert result.by_entry[0] == (4, 5)
    assert result.by_entry[1] == ()
    assert result.short == {0: 2, 1: 0}
    assert all(len(result.by_entry[e]) == 3 for e in range(2, 10))


def test_fewer_judges_than_k():
    result = assign(range(4), ["a", "b"], 3, set(), seed=1)
    assert all(chosen == ("a", "b") for chosen in result.by_entry.values())
    assert result.short == {0: 2, 1: 2, 2: 2, 3: 2}


def test_loads_balance_among_judges_who_can_take_the_entries():
    """A judge in conflict with all but one entry cannot carry an equal share; the others stay within one."""
    conflicts = {(0, entry) for entry in range(1, 60)}
    result = assign(range(60), range(10), 2, conflicts, seed=4)
    assert result.loads[0] == 1
    others = [result.loads[j] for j in range(1, 10)]
    assert max(others) - min(others) <= 1 and sum(others) == 119


def test_conflicts_that_trap_the_greedy_choice_are_repaired():
    """Entries 0-9 can only go to judges 0-2; the rest to anyone. Loads still differ by at most one."""
    conflicts = {(judge, entry) for entry in range(10) for judge in range(3, 12)}
    for seed in range(10):
        result = assign(range(40), range(12), 3, conflicts, seed=seed)
        assert all(len(chosen) == 3 for chosen in result.by_entry.values())
        assert not result.pairs & conflicts
        assert result.loads[0] == result.loads[1] == result.loads[2] == 10
        assert max(result.loads.values()) - min(result.loads.values()) <= 1


def test_policy_all_gives_every_judge_without_a_conflict():
    conflicts = {("b", 1), ("c", 2)}
    result = assign(range(3), ["a", "b", "c"], 1, conflicts, seed=1, policy="all")
    assert result.by_entry == {0: ("a", "b", "c"), 1: ("a", "c"), 2: ("a", "b")}
    assert result.loads == {"a": 3, "b": 2, "c": 2}
    assert result.short == {}


def test_existing_pairs_are_kept_and_counted():
    """Kept pairs (reviewed, or by hand) stay, count towards k and towards the judge's load."""
    kept = {(0, entry) for entry in range(10)} | {(1, 0)}
    result = assign(range(30), range(6), 2, set(), seed=3, existing=kept)
    assert kept <= result.pairs
    assert result.by_entry[0] == (0, 1)
    assert all(len(chosen) == 2 for chosen in result.by_entry.values())
    assert result.loads[0] == 10  # already the most loaded: nothing more
    assert max(result.loads.values()) - min(result.loads.values()) <= 1


def test_existing_pairs_in_conflict_or_with_unknown_judges_are_not_counted():
    result = assign(range(2), ["a", "b", "c"], 1, {("a", 0)}, seed=1, existing={("a", 0), ("z", 1)})
    assert ("a", 0) not in result.pairs and "z" not in result.loads


def test_bad_policy_or_k():
    with pytest.raises(ValueError):
        assign(range(2), range(2), 1, set(), seed=1, policy="random")
    with pytest.raises(ValueError):
        assign(range(2), range(2), 0, set(), seed=1)


def test_no_entries_or_no_judges():
    assert assign([], range(3), 2, set(), seed=1).by_entry == {}
    nobody = assign(range(2), [], 2, set(), seed=1)
    assert nobody.short == {0: 0, 1: 0} and nobody.loads == {}
