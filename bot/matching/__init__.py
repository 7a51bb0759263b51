"""Matching event attendees into introductions.

Pure: no I/O, no clock, no global state; deterministic for a given ``seed``.

``match`` pipeline:

1. ``scoring.Instance``: members re-indexed in id order; IDF-like interest
   weights (rarer shared interests count more), hard rules (blocks, platform
   consent, cross_roles, max_per_role) and the history of past meetings.
2. Events of a handful of people are solved exactly as a whole
   (``groups.exact_partition``). Otherwise:
3. ``graph.build_graph``: candidate graph of allowed pairs that never met, all of
   them for small events, a sparse one (inverted index on interests and interest
   pairs, plus random links) for large ones.
4. ``solver.solve_matching``: maximum-cardinality, maximum-weight pair matching,
   with a bonus for priority members larger than any total of points; exact
   blossom up to ``exact_limit`` nodes, greedy + local search beyond.
5. ``groups.form_groups``: pairs become groups of 3 or 4; ``groups.Placer`` then
   places whoever is still loose (new groups, joining a group with room, exact
   local re-solves), first without repeats, then allowing past meetings, oldest
   first. Whoever is still loose is left out, with a reason.

``random_pairing`` is the naive baseline the benchmark compares against.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence

from .graph import build_graph
from .groups import Placer, exact_partition, form_groups
from .scoring import (
    SCALE,
    Adjacency,
    Instance,
    complementary,
    hard_compatible,
    interest_weights,
    pair_weight,
    priority_bonus,
)
from .solver import solve_matching
from .types import Candidate, Group, LeftOut, MatchResult, PastMeeting, Rules

__all__ = [
    "Candidate",
    "Group",
    "LeftOut",
    "MatchResult",
    "PastMeeting",
    "Rules",
    "hard_compatible",
    "interest_weights",
    "match",
    "pair_weight",
    "random_pairing",
]

TINY = {2: 10, 3: 9, 4: 9}  # events up to this size are solved exactly as a whole
DEFAULT_RULES = Rules()



def match(
    candidates: Sequence[Candidate],
    history: Sequence[PastMeeting],
    blocks: Iterable[tuple[int, int]],
    rules: Rules = DEFAULT_RULES,
    *,
    seed: int = 0,
    exact_limit: int = 3000,
) -> MatchResult:
    """Split ``candidates`` into groups (see the package docstring).

    ``exact_limit``: graphs with at most this many nodes are matched exactly
    (rustworkx blossom); bigger ones by the heuristic. Same inputs and ``seed``,
    same result (input order does not matter either).
    """
    inst = Instance(candidates, history, blocks, rules)
    n = inst.n
    if n <= min(TINY[inst.g], exact_limit):
        _, tiny = exact_partition(inst, list(range(n)), allow_repeats=True)
        return _result(inst, [list(grp) for grp in tiny])
    rng = random.Random(seed)
    graph = build_graph(inst, rng)
    bonus = priority_bonus(graph.adj, inst.prio)
    prio = inst.prio
    wadj = graph.adj  # the local search may add priced pairs to it: they are valid edges
    if bonus:
        wadj = [{v: w + bonus * (prio[u] + prio[v]) for v, w in nb.items()} for u, nb in enumerate(graph.adj)]

    def pair_weight_of(u: int, v: int) -> int:
        w = inst.allowed_points(u, v)
        return w if w < 0 else w + bonus * (prio[u] + prio[v])

    def solve(adj: Adjacency) -> list[int]:
        return solve_matching(adj, len(adj) <= exact_limit)

    cap = [inst.cap_points(u) + bonus * (prio[u] + 1) for u in range(n)]
    mate = solve_matching(wadj, n <= exact_limit, pair_weight_of, cap)
    groups, _ = form_groups(inst, graph.adj, mate, solve, rng)
    placer = Placer(inst, graph.adj, groups, rng)
    placer.place(allow_repeats=False)
    placer.place(allow_repeats=True)
    return _result(inst, placer.result())


def random_pairing(
    candidates: Sequence[Candidate],
    history: Sequence[PastMeeting],
    blocks: Iterable[tuple[int, int]],
    rules: Rules = DEFAULT_RULES,
    *,
    seed: int = 0,
) -> MatchResult:
    """The peers' method: shuffle, then fill groups greedily in that order, skipping
    blocked, rule-breaking and repeat pairs. A member who finds no group is left out."""
    inst = Instance(candidates, history, blocks, rules)
    order = list(range(inst.n))
    random.Random(seed).shuffle(order)
    used = [False] * inst.n
    groups: list[list[int]] = []
    for x, u in enumerate(order):
        if used[u]:
            continue
        group = [u]
        for v in order[x + 1 :]:
            if len(group) == inst.g:
                break
            if not used[v] and inst.can_join(group, v, allow_repeats=False):
                group.append(v)
        if len(group) == inst.g:
            groups.append(group)
            for v in group:
                used[v] = True
    return _result(inst, groups)


def _result(inst: Instance, groups: list[list[int]]) -> MatchResult:
    out: list[tuple[Group, int]] = []
    placed = [False] * inst.n
    for grp in groups:
        for u in grp:
            placed[u] = True
        points = inst.group_points(grp)
        repeat = any(inst.is_repeat(i, j) for x, i in enumerate(grp) for j in grp[x + 1 :])
        members = tuple(sorted(inst.ids[u] for u in grp))
        out.append((Group(members, points / SCALE, _shared(inst, grp), _roles(inst, grp), repeat), points))
    out.sort(key=lambda item: item[0].members)
    loose = [u for u in range(inst.n) if not placed[u]]
    reasons = _reasons(inst, loose)
    return MatchResult(
        groups=tuple(grp for grp, _ in out),
        left_out=tuple(LeftOut(inst.ids[u], reasons[u]) for u in loose),
        total_score=sum(p for _, p in out) / SCALE,
    )


def _shared(inst: Instance, grp: list[int]) -> tuple[str, ...]:
    """Interests held by at least two members: most shared first, then rarest, then name."""
    held = Counter(i for u in grp for i in inst.interests[u])
    return tuple(sorted((i for i, k in held.items() if k >= 2), key=lambda i: (-held[i], inst.counts[i], i)))


def _roles(inst: Instance, grp: list[int]) -> tuple[str, ...]:
    """Roles of the members who meet across ``cross_roles`` in this group."""
    cross = inst.rules.cross_roles
    roles: set[str] = set()
    for x, i in enumerate(grp):
        for j in grp[x + 1 :]:
            ri, rj = inst.role[i], inst.role[j]
            if ri is not None and rj is not None and complementary(ri, rj, cross):
                roles.update((ri, rj))
    return tuple(sorted(roles))


def _reasons(inst: Instance, loose: list[int]) -> dict[int, str]:
    n, g = inst.n, inst.g
    if not loose:
        return {}
    if n < g:
        text = f"only {n} {'person' if n == 1 else 'people'} this round; a group needs {g}"
        return dict.fromkeys(loose, text)
    size = Counter(inst.klass)
    blocked_ok = Counter[int]()  # blocked partners that the class rules would otherwise allow
    wanted = set(loose)
    for k in sorted(inst.blocked):
        i, j = divmod(k, n)
        if inst.class_ok[inst.klass[i]][inst.klass[j]]:
            blocked_ok.update(x for x in (i, j) if x in wanted)
    out = {}
    for u in loose:
        ok = inst.class_ok[inst.klass[u]]
        allowed = sum(k for c, k in size.items() if ok[c]) - (1 if ok[inst.klass[u]] else 0) - blocked_ok[u]
        if allowed <= 0:
            out[u] = "everyone else is blocked or excluded by the platform or role rules"
        elif g == 2 and n % 2 == 1:
            out[u] = "odd number and no compatible group had room"
        else:
            out[u] = "no compatible group had room"
    return out
