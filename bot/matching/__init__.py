"""Matching event attendees into introductions.

Pure: no I/O, no clock, no global state; deterministic for a given ``seed``; all
arguments are frozen values (picklable, so it can run in another process).

What a round promises, in order (``sizes`` has the details): priority members
placed, then as many members as any arrangement can place, then group sizes as
configured (the fewest groups one off the size that the count forces), then the
fewest repeats (the oldest first), then the most points.

``match`` pipeline:

1. ``scoring.Instance``: members re-indexed in id order; IDF-like interest
   weights (rarer shared interests count more), hard rules (blocks, platform
   consent, cross_roles, max_per_role) and the history of past meetings.
2. Events of a dozen people are solved exactly as a whole
   (``groups.exact_partition``). Otherwise:
3. ``graph.build_graph``: candidate graph of allowed pairs that never met: all of
   them up to 400 members; up to 3,000 each member's best partners from every
   pair's exact score (``dense``); above, a sparse one (inverted index on
   interests and interest pairs, plus random links; built with numpy, ``sparse``).
4. ``solver.solve_matching``: maximum-cardinality, maximum-weight pair matching,
   with a bonus for priority members larger than any total of points; exact
   blossom up to ``exact_limit`` nodes, greedy + local search beyond (whose
   improving chains are found for all nodes at once, ``screening``).
5. ``groups.form_groups``: pairs become groups of exactly 3 or 4;
   ``placer.Placer`` then places whoever is still loose (new groups, exact local
   re-solves, joining a group with room), first without repeats, then allowing
   past meetings, oldest first; evens out sizes and re-solves around repeats.
   Whoever is still loose is left out, with a reason that holds (``reasons``).

``random_pairing`` is the naive baseline the benchmark compares against.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .graph import build_graph
from .groups import exact_partition, form_groups
from .placer import Placer
from .reasons import left_out_reasons
from .scoring import (
    SCALE,
    Adjacency,
    Instance,
    complementary,
    hard_compatible,
    interest_weights,
    pair_weight,
    priority_bonus,
    tz_distance,
)
from .screening import Ints
from .solver import solve_matching
from .types import Candidate, Group, LeftOut, LeftOutKind, MatchResult, PastMeeting, Rules

__all__ = [
    "Candidate",
    "Group",
    "LeftOut",
    "LeftOutKind",
    "MatchResult",
    "PastMeeting",
    "Rules",
    "hard_compatible",
    "interest_weights",
    "match",
    "pair_weight",
    "random_pairing",
]

TINY = {2: 12, 3: 12, 4: 11}  # events up to this size are solved exactly as a whole
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

    prices = None
    if graph.table is not None:
        table, prio_a = graph.table, np.array(prio, dtype=np.int64)

        def prices(u: Ints, v: Ints) -> Ints:
            w = table.allowed_points(u, v)
            return np.where(w < 0, w, w + bonus * (prio_a[u] + prio_a[v]))

    cap = [inst.cap_points(u) + bonus * (prio[u] + 1) for u in range(n)]
    mate = solve_matching(wadj, n <= exact_limit, pair_weight_of, cap, prices)
    groups, _ = form_groups(inst, graph.adj, mate, solve, rng)
    placer = Placer(inst, graph.adj, groups, rng)
    placer.place(allow_repeats=False)
    placer.place(allow_repeats=True)
    placer.balance()
    placer.fewer_repeats()
    placer.join_last()
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
        shared, roles, close = _shared(inst, grp), _roles(inst, grp), _close(inst, grp)
        out.append((Group(members, points / SCALE, shared, roles, repeat, close), points))
    out.sort(key=lambda item: item[0].members)
    loose = [u for u in range(inst.n) if not placed[u]]
    reasons = left_out_reasons(inst, loose, groups)
    return MatchResult(
        groups=tuple(grp for grp, _ in out),
        left_out=tuple(LeftOut(inst.ids[u], reasons[u][1], reasons[u][0]) for u in loose),
        total_score=sum(p for _, p in out) / SCALE,
    )


def _shared(inst: Instance, grp: list[int]) -> tuple[str, ...]:
    """Interests held by at least two members: most shared first, then rarest, then name."""
    if len(grp) == 2:  # most groups: no counting needed
        counts = inst.counts
        return tuple(sorted(inst.interests[grp[0]] & inst.interests[grp[1]], key=lambda i: (counts[i], i)))
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


def _close(inst: Instance, grp: list[int]) -> bool:
    """Every two members within the preferred time-zone distance (the rules' own test)."""
    pref = inst.pref
    if pref is None:
        return False
    for x, i in enumerate(grp):
        for j in grp[x + 1 :]:
            ti, tj = inst.tz[i], inst.tz[j]
            if ti is None or tj is None or tz_distance(ti, tj) > pref:
                return False
    return True
