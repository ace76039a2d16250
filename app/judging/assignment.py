"""Who reviews what: a pure, deterministic assignment of judges to entries, with no database in sight.

Two policies (app.judging.models.ASSIGNMENT_POLICIES):

- "all": every judge reviews every entry they are not in conflict with;
- "k_per_entry": every entry gets `k` judges it is not in conflict with (or every such judge when
  fewer exist: the result lists those entries in `short`), and judges' loads differ by at most one
  wherever the conflicts allow it.

How "k_per_entry" works, and why:
1. Pairs already decided (`existing`: assignments with a review, or added by hand) are kept and count
   towards both the entry's k and the judge's load: re-running never takes away work already done.
2. Entries are visited from the most constrained (fewest judges free to review it) to the least, so
   that the entries with little choice are served while their few judges still have room; ties in a
   shuffled order drawn from `seed`.
3. For each missing seat the entry takes, among the judges still free for it, the least loaded; among
   those, the one that has sat least often with the judges already chosen for this entry (so the same
   pairs of judges are not always together, and every judge is compared with many others); a last tie
   is broken by the seeded random generator. Same inputs and seed, same result; another seed usually
   gives another result.
4. Greedy choices can still leave one judge two above another when conflicts narrow the choice. A repair
   pass then moves entries along chains of judges (a -> b -> ... -> z, each handing one entry to the
   next who may take it) from the most loaded judges to the least loaded, until no such chain exists.
   When none exists the spread left is forced by the conflicts themselves.

Inputs are any hashable, sortable ids (uuids in the app, small ints in tests); the input order does not
matter, only the seed does.
"""

from __future__ import annotations

import collections
import dataclasses
import random
from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

J = TypeVar("J", bound=Hashable)
E = TypeVar("E", bound=Hashable)

POLICIES = ("all", "k_per_entry")


@dataclasses.dataclass(frozen=True, slots=True)
class Assignment(Generic[J, E]):
    """The outcome: judges per entry, each judge's load, and the entries that could not get k judges."""

    policy: str
    k: int
    by_entry: dict[E, tuple[J, ...]]
    loads: dict[J, int]
    # entry -> how many judges it got, for entries below k (too many conflicts, too few judges).
    short: dict[E, int]

    @property
    def pairs(self) -> set[tuple[J, E]]:
        return {(judge, entry) for entry, judges in self.by_entry.items() for judge in judges}

    def co_occurrence(self) -> collections.Counter[tuple[J, J]]:
        """How often each pair of judges reviews the same entry (pairs ordered by sort key)."""
        counts: collections.Counter[tuple[J, J]] = collections.Counter()
        for judges in self.by_entry.values():
            ordered = sorted(judges, key=_key)
            for index, first in enumerate(ordered):
                for second in ordered[index + 1 :]:
                    counts[(first, second)] += 1
        return counts


def _key(value: object) -> str:
    # uuids and ints sort by their text: stable whatever the id type, and the same across runs.
    return f"{value!s:>40}"


def assign(
    entries: Iterable[E],
    judges: Iterable[J],
    k: int,
    conflicts: set[tuple[J, E]],
    seed: int,
    existing: Iterable[tuple[J, E]] = (),
    policy: str = "k_per_entry",
) -> Assignment[J, E]:
    """Assign `judges` to `entries` under `policy` (see the module docstring); `conflicts` holds the
    (judge, entry) pairs that must never be assigned, `existing` the pairs to keep."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    if k < 1:
        raise ValueError("k must be at least 1")
    entry_list = sorted(set(entries), key=_key)
    judge_list = sorted(set(judges), key=_key)
    if policy == "all":
        by_entry = {e: tuple(j for j in judge_list if (j, e) not in conflicts) for e in entry_list}
        return _outcome(policy, k, by_entry, judge_list, short={})
    state = _State(entry_list, judge_list, conflicts, existing, random.Random(seed))  # noqa: S311 (reproducible, not secret)
    short = state.fill(k)
    state.repair()
    return _outcome(policy, k, state.frozen(), judge_list, short)


def _outcome(
    policy: str, k: int, by_entry: dict[E, tuple[J, ...]], judges: Sequence[J], short: dict[E, int]
) -> Assignment[J, E]:
    loads = dict.fromkeys(judges, 0)
    for chosen in by_entry.values():
        for judge in chosen:
            loads[judge] += 1
    return Assignment(policy, k, by_entry, loads, short)


class _State(Generic[J, E]):
    """The assignment being built: seats per entry, loads, and how often two judges sat together."""

    def __init__(
        self,
        entries: list[E],
        judges: list[J],
        conflicts: set[tuple[J, E]],
        existing: Iterable[tuple[J, E]],
        rng: random.Random,
    ) -> None:
        self.entries = entries
        self.judges = judges
        self.conflicts = conflicts
        self.rng = rng
        self.seats: dict[E, list[J]] = {e: [] for e in entries}
        self.fixed: set[tuple[J, E]] = set()
        self.loads: dict[J, int] = dict.fromkeys(judges, 0)
        self.together: collections.Counter[tuple[J, J]] = collections.Counter()
        known_judges = set(judges)
        for judge, entry in sorted(set(existing), key=lambda pair: (_key(pair[1]), _key(pair[0]))):
            if entry in self.seats and judge in known_judges and (judge, entry) not in conflicts:
                self.fixed.add((judge, entry))
                self._seat(judge, entry)

    def free_for(self, entry: E) -> list[J]:
        taken = self.seats[entry]
        return [j for j in self.judges if (j, entry) not in self.conflicts and j not in taken]

    def _seat(self, judge: J, entry: E) -> None:
        for other in self.seats[entry]:
            self.together[_pair(judge, other)] += 1
        self.seats[entry].append(judge)
        self.loads[judge] += 1

    def _unseat(self, judge: J, entry: E) -> None:
        self.seats[entry].remove(judge)
        self.loads[judge] -= 1
        for other in self.seats[entry]:
            self.together[_pair(judge, other)] -= 1

    def fill(self, k: int) -> dict[E, int]:
        """Greedy: the most constrained entries first, each seat to the least loaded, least paired judge."""
        order = list(self.entries)
        self.rng.shuffle(order)
        order.sort(key=lambda e: len(self.free_for(e)) + len(self.seats[e]))
        short: dict[E, int] = {}
        for entry in order:
            while len(self.seats[entry]) < k:
                candidates = self.free_for(entry)
                if not candidates:
                    short[entry] = len(self.seats[entry])
                    break
                self._seat(self._best(entry, candidates), entry)
        return short

    def _best(self, entry: E, candidates: list[J]) -> J:
        seated = self.seats[entry]

        def cost(judge: J) -> tuple[int, int, float]:
            paired = sum(self.together[_pair(judge, other)] for other in seated)
            return (self.loads[judge], paired, self.rng.random())

        return min(candidates, key=cost)

    def repair(self) -> None:
        """Move entries along chains from the most to the least loaded judges while that narrows the spread."""
        while True:
            path = self._chain()
            if path is None:
                return
            for giver, entry, taker in path:
                self._unseat(giver, entry)
                self._seat(taker, entry)

    def _chain(self) -> list[tuple[J, E, J]] | None:
        """A shortest chain of hand-overs from a judge at some load to one at least two below, if any.

        Breadth-first from every judge at a given load, highest loads first: judge a reaches judge b when
        a holds a movable entry (not kept) that b may take (no conflict, not already seated on it)."""
        held = self._movable_by_judge()
        for level in sorted(set(self.loads.values()), reverse=True):
            starts = [j for j in self.judges if self.loads[j] == level]
            came_from: dict[J, tuple[J, E] | None] = dict.fromkeys(starts)
            queue = collections.deque(starts)
            while queue:
                giver = queue.popleft()
                for entry in held[giver]:
                    for taker in self.free_for(entry):
                        if taker in came_from:
                            continue
                        came_from[taker] = (giver, entry)
                        if self.loads[taker] <= level - 2:
                            return _path(came_from, taker)
                        queue.append(taker)
        return None

    def _movable_by_judge(self) -> dict[J, list[E]]:
        held: dict[J, list[E]] = {j: [] for j in self.judges}
        for entry in self.entries:
            for judge in self.seats[entry]:
                if (judge, entry) not in self.fixed:
                    held[judge].append(entry)
        return held

    def frozen(self) -> dict[E, tuple[J, ...]]:
        return {e: tuple(sorted(self.seats[e], key=_key)) for e in self.entries}


def _pair(first: J, second: J) -> tuple[J, J]:
    return (first, second) if _key(first) <= _key(second) else (second, first)


def _path(came_from: dict[J, tuple[J, E] | None], end: J) -> list[tuple[J, E, J]]:
    steps: list[tuple[J, E, J]] = []
    taker = end
    while (step := came_from[taker]) is not None:
        giver, entry = step
        steps.append((giver, entry, taker))
        taker = giver
    steps.reverse()
    return steps
