"""Property tests: the hard rules hold on random events, and small events are checked
against an independent brute force (every possible arrangement)."""

from __future__ import annotations

import functools
import itertools
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.matching import Candidate, MatchResult, PastMeeting, Rules, interest_weights, match, pair_weight

INTERESTS = ["python", "rust", "ml", "design", "sales", "golf", "chess", "jazz"]
ROLES = [None, "recruiter", "candidate", "mentor"]
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    candidates: list[Candidate]
    history: list[PastMeeting]
    blocks: list[tuple[int, int]]
    rules: Rules
    seed: int


@st.composite
def events(draw: st.DrawFn, max_n: int = 40, min_n: int = 0) -> Event:
    """Random events. Small ones are drawn field by field (so Hypothesis can shrink
    them finely); bigger ones come from a drawn seed, which keeps generation fast."""
    n = draw(st.integers(min_n, max_n))
    rules = Rules(
        group_size=draw(st.sampled_from([2, 2, 3, 4])),
        cross_roles=draw(st.sampled_from([frozenset(), frozenset({frozenset({"recruiter", "candidate"})})])),
        max_per_role=draw(st.sampled_from([None, None, 1, 2])),
        prefer_within_hours=draw(st.sampled_from([None, 3.0])),
    )
    platforms = draw(st.sampled_from([["console"], ["slack", "telegram"]]))
    seed = draw(st.integers(0, 3))
    if n > 10:
        rnd = random.Random(draw(st.integers(0, 2**32)))
        ids = rnd.sample(range(1, 10_000), n)
        cands = [
            Candidate(
                member_id=m,
                interests=frozenset(rnd.sample(INTERESTS, rnd.randint(0, 4))),
                role=rnd.choice(ROLES),
                utc_offset_hours=rnd.choice([None, float(rnd.randint(-12, 14))]),
                platform=rnd.choice(platforms),
                cross_platform_ok=rnd.random() < 0.5,
                priority=rnd.random() < 0.1,
            )
            for m in ids
        ]
        blocks = [(rnd.choice(ids), rnd.choice(ids)) for _ in range(rnd.randint(0, n))]
        met = [((rnd.choice(ids), rnd.choice(ids)), rnd.randint(0, 400)) for _ in range(rnd.randint(0, 2 * n))]
    else:
        ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
        cands = [
            Candidate(
                member_id=m,
                interests=frozenset(draw(st.lists(st.sampled_from(INTERESTS), max_size=4))),
                role=draw(st.sampled_from(ROLES)),
                utc_offset_hours=draw(st.one_of(st.none(), st.integers(-12, 14).map(float))),
                platform=draw(st.sampled_from(platforms)),
                cross_platform_ok=draw(st.booleans()),
                priority=draw(st.integers(0, 9)) == 0,
            )
            for m in ids
        ]
        pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids)) if ids else st.nothing()
        blocks = draw(st.lists(pair, max_size=n)) if ids else []
        met = draw(st.lists(st.tuples(pair, st.integers(0, 400)), max_size=2 * n)) if ids else []
    history = [PastMeeting(a, b, T0 + timedelta(days=d)) for (a, b), d in met]
    return Event(cands, history, blocks, rules, seed)


class Oracle:
    """The rules, written independently of the implementation."""

    def __init__(self, ev: Event) -> None:
        self.ev = ev
        self.by_id = {c.member_id: c for c in ev.candidates}
        self.blocked = {frozenset(p) for p in ev.blocks}
        self.met: dict[frozenset[int], datetime] = {}
        for m in ev.history:
            k = frozenset((m.a, m.b))
            self.met[k] = max(self.met.get(k, m.when), m.when)

    def pair_ok(self, a: int, b: int) -> bool:
        ca, cb = self.by_id[a], self.by_id[b]
        if frozenset((a, b)) in self.blocked:
            return False
        if ca.platform != cb.platform and not (ca.cross_platform_ok and cb.cross_platform_ok):
            return False
        return not any(ca.role in s and cb.role in s and ca.role == cb.role for s in self.ev.rules.cross_roles)

    def group_ok(self, members: Sequence[int], allow_repeats: bool = True) -> bool:
        for x, a in enumerate(members):
            for b in members[x + 1 :]:
                if not self.pair_ok(a, b):
                    return False
                if not allow_repeats and frozenset((a, b)) in self.met:
                    return False
        cap = self.ev.rules.max_per_role
        roles = Counter(self.by_id[m].role for m in members if self.by_id[m].role is not None)
        return cap is None or all(k <= cap for k in roles.values())

    def best_arrangement(self) -> tuple[int, ...]:
        """The best key (see ``key``) over every set of disjoint valid groups, by a bitmask
        recursion over who is still unassigned: the lowest one is left out or starts a group."""
        ids = sorted(self.by_id)
        m = len(ids)
        sizes = self.sizes()
        groups: list[list[tuple[int, tuple[int, ...]]]] = [[] for _ in range(m)]
        for size in sizes:
            for combo in itertools.combinations(range(m), size):
                members = tuple(ids[x] for x in combo)
                if self.group_ok(members):
                    mask = sum(1 << x for x in combo)
                    groups[combo[0]].append((mask, self.key([members])))

        @functools.cache
        def best(mask: int) -> tuple[int, ...]:
            if mask == 0:
                return (0, 0, 0, 0, 0)
            low = (mask & -mask).bit_length() - 1
            top = best(mask & ~(1 << low))
            for gmask, value in groups[low]:
                if gmask & mask == gmask:
                    rest = best(mask & ~gmask)
                    top = max(top, tuple(a + b for a, b in zip(value, rest, strict=True)))
            return top

        return best((1 << m) - 1)

    def sizes(self) -> list[int]:
        g = self.ev.rules.group_size
        return [g - 1, g, g + 1] if g >= 3 else [g, g + 1]

    def key(self, groups: Sequence[Sequence[int]]) -> tuple[int, ...]:
        """What the matcher promises, in order: priority members placed, members placed,
        fewest groups off the configured size, fewest smaller ones, fewest repeat pairs."""
        g = self.ev.rules.group_size
        placed = [m for grp in groups for m in grp]
        repeats = sum(
            1 for grp in groups for x, a in enumerate(grp) for b in grp[x + 1 :] if frozenset((a, b)) in self.met
        )
        return (
            sum(self.by_id[m].priority for m in placed),
            len(placed),
            -sum(1 for grp in groups if len(grp) != g),
            -sum(1 for grp in groups if len(grp) < g),
            -repeats,
        )


def _combinations(items: list[int], k: int) -> Iterator[tuple[int, ...]]:
    if k == 0:
        yield ()
        return
    for x in range(len(items) - k + 1):
        for tail in _combinations(items[x + 1 :], k - 1):
            yield (items[x], *tail)


def check_invariants(ev: Event, res: MatchResult) -> Oracle:
    oracle = Oracle(ev)
    g = ev.rules.group_size
    placed = [m for grp in res.groups for m in grp.members]
    out = [lo.member_id for lo in res.left_out]
    assert sorted(placed + out) == sorted(oracle.by_id), "everyone exactly once"
    assert all(lo.reason for lo in res.left_out)
    weights = interest_weights(ev.candidates)
    for grp in res.groups:
        assert list(grp.members) == sorted(grp.members)
        assert len(grp.members) in oracle.sizes(), grp
        assert oracle.group_ok(grp.members), grp
        pairs = [(a, b) for x, a in enumerate(grp.members) for b in grp.members[x + 1 :]]
        assert grp.repeat == any(frozenset(p) in oracle.met for p in pairs)
        expected = sum(pair_weight(oracle.by_id[a], oracle.by_id[b], weights, ev.rules) for a, b in pairs)
        assert abs(grp.score - expected) < 1e-6
    assert abs(res.total_score - sum(grp.score for grp in res.groups)) < 1e-6
    # nobody left out who could simply have been added: no left-out member fits a group with room,
    # and the left-out members cannot form a group among themselves
    for m in out:
        for grp in res.groups:
            if len(grp.members) == g:
                assert not oracle.group_ok((*grp.members, m)), (m, grp)
    for group in _combinations(sorted(out), min(oracle.sizes())):
        assert not oracle.group_ok(group), group
    return oracle


def check_against_brute_force(oracle: Oracle, res: MatchResult) -> None:
    """Priority members, then everyone who can be, placed; group sizes as documented; no avoidable repeat."""
    ours = oracle.key([grp.members for grp in res.groups])
    assert ours == oracle.best_arrangement()


COMMON = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(events())
def test_hard_rules_hold(ev: Event) -> None:
    res = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed)
    check_invariants(ev, res)


@COMMON
@given(events())
def test_heuristic_path_holds_the_rules(ev: Event) -> None:
    res = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed, exact_limit=0)
    check_invariants(ev, res)


@settings(deadline=None, max_examples=300)
@given(events(max_n=11))
def test_small_events_match_brute_force(ev: Event) -> None:
    res = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed)
    check_against_brute_force(check_invariants(ev, res), res)


# Shrunk from --hypothesis-seed=125968306095781473760300981756874565953: without repeats 1, 2 and 4 need three
# groups (3, 3, 4); the count of 10 wants two groups of 5, which takes the one repeat 2-4. Balancing counted
# groups off the size but not how many were smaller, so it kept the two trios.
TWO_TRIOS_FOR_TWO_FIVES = Event(
    [Candidate(m, priority=True) for m in range(1, 11)],
    [PastMeeting(2, 4, T0)],
    [(1, 2), (1, 4)],
    Rules(group_size=4),
    seed=0,
)
# Without repeats the best is four pairs; 3, 3, 2 takes the repeat 947-9654 and needs all four pairs re-split
# at once (balancing tried two or three off-size groups at a time).
FOUR_PAIRS_FOR_TWO_TRIOS = Event(
    [
        Candidate(
            28, interests=frozenset({"chess", "rust"}), utc_offset_hours=11.0, platform="slack", cross_platform_ok=True
        ),
        Candidate(35, interests=frozenset({"python", "ml", "jazz"}), platform="telegram"),
        Candidate(241, interests=frozenset({"python", "ml", "sales"}), role="recruiter", platform="telegram"),
        Candidate(361, interests=frozenset({"golf"}), platform="telegram"),
        Candidate(947, platform="slack"),
        Candidate(
            3332,
            interests=frozenset({"python", "golf", "jazz", "sales"}),
            role="recruiter",
            platform="telegram",
            cross_platform_ok=True,
        ),
        Candidate(9654, interests=frozenset({"python", "sales"}), utc_offset_hours=4.0, platform="slack"),
        Candidate(9999, role="recruiter", platform="slack", cross_platform_ok=True, priority=True),
    ],
    [PastMeeting(947, 9654, T0)],
    [(3332, 35), (35, 28), (28, 9999)],
    Rules(group_size=3, cross_roles=frozenset({frozenset({"recruiter", "candidate"})}), max_per_role=1),
    seed=0,
)


@settings(deadline=None, max_examples=300)
@given(events(max_n=11))
@example(TWO_TRIOS_FOR_TWO_FIVES)
@example(FOUR_PAIRS_FOR_TWO_TRIOS)
def test_small_events_heuristic_path_matches_brute_force(ev: Event) -> None:
    res = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed, exact_limit=0)
    check_against_brute_force(check_invariants(ev, res), res)


@settings(deadline=None, max_examples=60)
@given(events())
def test_deterministic_and_order_independent(ev: Event) -> None:
    first = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed)
    again = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed)
    shuffled = list(ev.candidates)
    shuffled.reverse()
    reordered = match(shuffled, list(reversed(ev.history)), list(reversed(ev.blocks)), ev.rules, seed=ev.seed)
    assert first == again == reordered


@settings(deadline=None, max_examples=6)
@given(events(min_n=401, max_n=700), st.sampled_from([0, 3000]))
def test_sparse_graph_path_holds_the_rules(ev: Event, exact_limit: int) -> None:
    """Above graph.DENSE_LIMIT members the candidate graph is sparse."""
    res = match(ev.candidates, ev.history, ev.blocks, ev.rules, seed=ev.seed, exact_limit=exact_limit)
    check_invariants(ev, res)
