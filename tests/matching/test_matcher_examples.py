"""Example tests: each one uses inputs where a matcher without the feature would
choose differently (checked in the test itself where that is cheap)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.matching import (
    Candidate,
    MatchResult,
    PastMeeting,
    Rules,
    interest_weights,
    match,
    pair_weight,
    random_pairing,
)

OLD = datetime(2020, 1, 1, tzinfo=UTC)
NEW = datetime(2024, 6, 1, tzinfo=UTC)
PATHS = [pytest.param(3000, id="exact"), pytest.param(0, id="heuristic")]


def together(res: MatchResult, a: int, b: int) -> bool:
    return any(a in g.members and b in g.members for g in res.groups)


def left_ids(res: MatchResult) -> set[int]:
    return {lo.member_id for lo in res.left_out}


def crowd(n: int, start: int = 100) -> list[Candidate]:
    """Filler members who all share one popular interest."""
    return [Candidate(start + k, frozenset({"networking", f"hobby{k % 5}"})) for k in range(n)]


@pytest.mark.parametrize("exact_limit", PATHS)
@pytest.mark.parametrize("n", [7, 41])
def test_odd_count_makes_exactly_one_trio(n: int, exact_limit: int) -> None:
    res = match(crowd(n), [], [], exact_limit=exact_limit)
    assert not res.left_out
    assert sorted(len(g.members) for g in res.groups) == [2] * ((n - 3) // 2) + [3]


def test_lone_member_is_left_out_with_a_reason() -> None:
    res = match([Candidate(1, frozenset({"go"}))], [], [])
    assert res.groups == ()
    assert [lo.member_id for lo in res.left_out] == [1]
    assert "group needs 2" in res.left_out[0].reason


def test_member_blocked_by_everyone_is_left_out() -> None:
    cands = crowd(4)
    loner = 100
    res = match(cands, [], [(loner, 101), (102, loner), (loner, 103)])
    assert left_ids(res) == {loner}
    assert "blocked" in res.left_out[0].reason
    assert [len(g.members) for g in res.groups] == [3]


@pytest.mark.parametrize("exact_limit", PATHS)
def test_blocked_pair_is_kept_apart(exact_limit: int) -> None:
    a = Candidate(1, frozenset({"rust", "sailing", "origami"}))
    b = Candidate(2, frozenset({"rust", "sailing", "origami"}))
    cands = [a, b, *crowd(10)]
    assert together(match(cands, [], [], exact_limit=exact_limit), 1, 2)  # the natural pair
    res = match(cands, [], [(2, 1)], exact_limit=exact_limit)
    assert not together(res, 1, 2)
    assert not res.left_out


@pytest.mark.parametrize("exact_limit", PATHS)
def test_past_meeting_is_avoided_when_there_is_an_alternative(exact_limit: int) -> None:
    a = Candidate(1, frozenset({"rust", "sailing"}))
    b = Candidate(2, frozenset({"rust", "sailing"}))
    cands = [a, b, *crowd(10)]
    assert together(match(cands, [], [], exact_limit=exact_limit), 1, 2)
    res = match(cands, [PastMeeting(1, 2, NEW)], [], exact_limit=exact_limit)
    assert not together(res, 1, 2)
    assert not any(g.repeat for g in res.groups)


@pytest.mark.parametrize("exact_limit", PATHS)
@pytest.mark.parametrize("n", [4, 12])
def test_oldest_meeting_is_reused_first_when_repeats_are_unavoidable(n: int, exact_limit: int) -> None:
    # everyone has met everyone; the pairs (0,1), (2,3), ... met long ago, the rest
    # recently, and interests favour the recent pairs (1,2), (3,4), ...
    cands = [Candidate(k, frozenset({f"t{(k + 1) // 2}"})) for k in range(n)]
    history = [
        PastMeeting(a, b, OLD + timedelta(days=a) if a // 2 == b // 2 else NEW + timedelta(days=a + b))
        for a in range(n)
        for b in range(a + 1, n)
    ]
    res = match(cands, history, [], exact_limit=exact_limit)
    assert sorted(g.members for g in res.groups) == [(k, k + 1) for k in range(0, n, 2)]
    assert all(g.repeat for g in res.groups)


@pytest.mark.parametrize("exact_limit", PATHS)
def test_repeat_beats_leaving_someone_out(exact_limit: int) -> None:
    res = match([Candidate(1), Candidate(2)], [PastMeeting(1, 2, NEW)], [], exact_limit=exact_limit)
    assert [g.members for g in res.groups] == [(1, 2)]
    assert res.groups[0].repeat


@pytest.mark.parametrize("exact_limit", PATHS)
def test_rare_shared_interest_beats_two_popular_ones(exact_limit: int) -> None:
    a = Candidate(1, frozenset({"falconry", "python", "coffee"}))
    b = Candidate(2, frozenset({"falconry"}))
    c = Candidate(3, frozenset({"python", "coffee"}))
    others = [Candidate(10 + k, frozenset({"python", "coffee", f"x{k}"})) for k in range(17)]
    cands = [a, b, c, *others]
    weights = interest_weights(cands)
    # counting shared interests would prefer a+c (two) over a+b (one)
    assert pair_weight(a, b, weights) > pair_weight(a, c, weights)
    res = match(cands, [], [], exact_limit=exact_limit)
    assert together(res, 1, 2)
    group = next(g for g in res.groups if 1 in g.members)
    assert group.shared_interests[0] == "falconry"


def test_priority_member_is_placed_first() -> None:
    a = Candidate(1, frozenset({"chess"}))
    b = Candidate(2, frozenset({"chess"}))
    p = Candidate(3)
    blocks = [(2, 3)]  # no trio possible, so someone must be left out
    assert left_ids(match([a, b, p], [], blocks)) == {3}  # without priority: the weakest
    res = match([a, b, Candidate(3, priority=True)], [], blocks)
    assert left_ids(res) == {2}
    assert together(res, 1, 3)


@pytest.mark.parametrize("exact_limit", PATHS)
def test_priority_member_is_placed_first_in_a_large_event(exact_limit: int) -> None:
    # recruiters only meet candidates: 21 candidates, 20 recruiters, so one candidate
    # must sit out; the priority one has nothing in common with anybody
    rules = Rules(cross_roles=frozenset({frozenset({"recruiter", "candidate"})}))
    cands = [Candidate(k, frozenset({f"t{k % 20}"}), role="recruiter") for k in range(20)]
    cands += [Candidate(100 + k, frozenset({f"t{k % 20}"}), role="candidate") for k in range(20)]
    plain = [*cands, Candidate(999, role="candidate")]
    assert left_ids(match(plain, [], [], rules, exact_limit=exact_limit)) == {999}
    res = match([*cands, Candidate(999, role="candidate", priority=True)], [], [], rules, exact_limit=exact_limit)
    assert 999 not in left_ids(res)
    assert len(res.left_out) == 1


def test_cross_platform_needs_both_consents() -> None:
    s1 = Candidate(1, frozenset({"bonsai"}), platform="slack", cross_platform_ok=True)
    t1 = Candidate(2, frozenset({"bonsai"}), platform="telegram", cross_platform_ok=False)
    s2 = Candidate(3, platform="slack", cross_platform_ok=True)
    t2 = Candidate(4, platform="telegram", cross_platform_ok=True)
    res = match([s1, t1, s2, t2], [], [])
    assert sorted(g.members for g in res.groups) == [(1, 3), (2, 4)]
    consenting = [s1, Candidate(2, frozenset({"bonsai"}), platform="telegram", cross_platform_ok=True), s2, t2]
    assert together(match(consenting, [], []), 1, 2)


def test_cross_roles_and_complementary_roles() -> None:
    rules = Rules(cross_roles=frozenset({frozenset({"recruiter", "candidate"})}))
    r1 = Candidate(1, frozenset({"ml", "nlp"}), role="recruiter")
    r2 = Candidate(2, frozenset({"ml", "nlp"}), role="recruiter")
    c1 = Candidate(3, role="candidate")
    c2 = Candidate(4, role="candidate")
    assert together(match([r1, r2, c1, c2], [], []), 1, 2)  # unconstrained: the recruiters
    res = match([r1, r2, c1, c2], [], [], rules)
    assert not together(res, 1, 2)
    assert all(g.complementary_roles == ("candidate", "recruiter") for g in res.groups)


def test_max_per_role_caps_a_group() -> None:
    rules = Rules(group_size=4, max_per_role=2)
    cands = [Candidate(k, frozenset({"design", "ux"}), role="designer") for k in range(4)]
    cands += [Candidate(10 + k, frozenset({"sales"}), role="sales") for k in range(4)]
    free = match(cands, [], [], Rules(group_size=4))
    assert any({m // 10 for m in g.members} == {0} for g in free.groups)  # all designers together
    res = match(cands, [], [], rules)
    assert not res.left_out
    for g in res.groups:
        assert sum(1 for m in g.members if m < 10) <= 2
        assert sum(1 for m in g.members if m >= 10) <= 2


@pytest.mark.parametrize(
    ("n", "size", "expected", "left"),
    [
        (7, 2, [2, 2, 3], 0),
        (9, 3, [3, 3, 3], 0),
        (10, 3, [3, 3, 4], 0),
        (11, 3, [2, 3, 3, 3], 0),
        (5, 3, [2, 3], 0),
        (2, 3, [2], 0),
        (9, 4, [4, 5], 0),
        (10, 4, [5, 5], 0),
        (11, 4, [3, 4, 4], 0),
        (6, 4, [3, 3], 0),
        (7, 4, [3, 4], 0),
        (3, 4, [3], 0),
        (2, 4, [], 2),
    ],
)
def test_group_sizes(n: int, size: int, expected: list[int], left: int) -> None:
    """The documented sizes (bot.matching.sizes): the fewest groups one off the size, larger first on a tie."""
    res = match(crowd(n), [], [], Rules(group_size=size))
    assert sorted(len(g.members) for g in res.groups) == expected
    assert len(res.left_out) == left


def _expected_sizes(n: int, g: int) -> list[int]:
    """Written out by hand from the rule, independently of bot.matching.sizes."""
    q, r = divmod(n, g)
    if r == 0:
        return [g] * q
    if g == 2:
        return [2] * (q - 1) + [3]
    if g == 3:
        return [3] * (q - 1) + [4] if r == 1 else [2] + [3] * q
    return {1: [4] * (q - 1) + [5], 2: [4] * (q - 2) + [5, 5], 3: [3] + [4] * q}[r]


@pytest.mark.parametrize("exact_limit", PATHS)
@pytest.mark.parametrize(
    ("g", "n"), [(2, 500), (2, 501), (3, 600), (3, 601), (3, 602), (4, 800), (4, 801), (4, 802), (4, 803)]
)
def test_group_sizes_of_a_big_event_are_exact(g: int, n: int, exact_limit: int) -> None:
    """With group size 3 and a count divisible by 3, every group is a trio (and so on): on the dense-scoring
    path (above 400 members), with a popular interest so that plenty of groups tempt the matcher to grow."""
    rnd = random.Random(n)
    topics = [f"t{k}" for k in range(30)]
    cands = [Candidate(k, frozenset(rnd.sample(topics, rnd.randint(1, 3)))) for k in range(n)]
    res = match(cands, [], [], Rules(group_size=g), exact_limit=exact_limit)
    assert not res.left_out
    assert sorted(len(grp.members) for grp in res.groups) == sorted(_expected_sizes(n, g))


def test_shared_interests_are_ordered_most_shared_then_rarest() -> None:
    trio = [
        Candidate(1, frozenset({"python", "falconry", "jazz"})),
        Candidate(2, frozenset({"python", "falconry", "jazz"})),
        Candidate(3, frozenset({"python", "jazz"})),
    ]
    others = [Candidate(10 + k, frozenset({"python", "jazz", "chess"})) for k in range(9)]
    others[0] = Candidate(10, frozenset({"python", "chess"}))
    res = match(trio, [], [], Rules(group_size=3))
    # python and jazz are held by all three (tie: by name), falconry by two
    assert res.groups[0].shared_interests == ("jazz", "python", "falconry")
    pair = match([*trio[:2], *others], [], [])
    group = next(g for g in pair.groups if 1 in g.members)
    assert group.members == (1, 2)
    assert group.shared_interests == ("falconry", "jazz", "python")


def test_time_zone_preference_breaks_ties() -> None:
    cands = [Candidate(k, frozenset({"go"}), utc_offset_hours=tz) for k, tz in enumerate([-8.0, 9.0, -7.0, 10.0])]
    res = match(cands, [], [], Rules(prefer_within_hours=2.0))
    assert sorted(g.members for g in res.groups) == [(0, 2), (1, 3)]


def test_random_pairing_skips_blocked_and_repeat_pairs() -> None:
    cands = crowd(30)
    rnd = random.Random(5)
    blocks = [(100 + rnd.randrange(30), 100 + rnd.randrange(30)) for _ in range(40)]
    history = [PastMeeting(100 + rnd.randrange(30), 100 + rnd.randrange(30), NEW) for _ in range(40)]
    banned = {frozenset(b) for b in blocks} | {frozenset((m.a, m.b)) for m in history}
    res = random_pairing(cands, history, blocks, seed=3)
    assert all(frozenset(g.members) not in banned for g in res.groups)
    placed = [m for g in res.groups for m in g.members]
    assert sorted(placed + sorted(left_ids(res))) == list(range(100, 130))


def test_duplicate_members_are_rejected() -> None:
    with pytest.raises(ValueError, match="twice"):
        match([Candidate(1), Candidate(1)], [], [])


def test_large_event_is_deterministic_and_complete() -> None:
    rnd = random.Random(11)
    topics = [f"t{k}" for k in range(60)]
    cands = [Candidate(k, frozenset(rnd.sample(topics, rnd.randint(1, 4)))) for k in range(1200)]
    first = match(cands, [], [], seed=4)
    assert first == match(list(reversed(cands)), [], [], seed=4)
    assert not first.left_out
    assert sorted(m for g in first.groups for m in g.members) == list(range(1200))


def test_lean_graph_of_a_big_event_keeps_the_hard_rules_round_after_round() -> None:
    """Above 3,000 members the candidate graph is lean (few windows, few links kept): three rounds with
    blocks and accumulating history still place everyone once, in pairs and one trio, with no blocked pair
    and no repeat (plenty of fresh partners exist)."""
    rnd = random.Random(5)
    topics = [f"t{k}" for k in range(150)]
    weights = [1 / (k + 1) for k in range(150)]
    n = 3501
    cands = [
        Candidate(k, frozenset(rnd.choices(topics, weights, k=rnd.randint(1, 5))), platform="slack") for k in range(n)
    ]
    blocks = [(rnd.randrange(n), rnd.randrange(n)) for _ in range(300)]
    blocked = {frozenset(b) for b in blocks}
    history: list[PastMeeting] = []
    met: set[frozenset[int]] = set()
    for week in range(3):
        res = match(cands, history, blocks, seed=week)
        placed = sorted(m for g in res.groups for m in g.members)
        assert placed == list(range(n)) and not res.left_out
        assert sorted(len(g.members) for g in res.groups)[-2:] == [2, 3]
        pairs = {frozenset((a, b)) for g in res.groups for a in g.members for b in g.members if a < b}
        assert not pairs & blocked
        assert not pairs & met
        met |= pairs
        when = NEW + timedelta(weeks=week)
        history += [PastMeeting(min(p), max(p), when) for p in map(tuple, pairs)]
