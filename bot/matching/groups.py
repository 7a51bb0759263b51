"""From a pair matching to groups of the configured size, and exact small partitions.

Group sizes 3 and 4 are built on top of the pair matching:

* size 4: pairs are merged two by two with a second matching on a "pair graph"
  (pairs linked when their members are linked; the weight is the four cross
  pairs' points), so quads are two good pairs that also like each other.
* size 3: the strongest pairs become cores; the other members are singles and a
  bipartite matching gives each core the single that adds the most points.

Only groups of exactly the configured size are built here; pairs or cores that
found no partner dissolve into loose members, whom ``placer.Placer`` places
(including the count's remainder, which makes the few groups off the size that
``sizes`` describes). ``exact_partition`` solves a handful of members exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import cache

from .scoring import Adjacency, Instance, Valuer, priority_bonus
from .sizes import allowed_sizes

SCAN_LIMIT = 300  # units tried per group when there are more
RANDOM_LINKS = 8  # random partner units tried when merging pairs into bigger groups

Solve = Callable[[Adjacency], list[int]]  # a matching solver: adjacency -> mate


def form_groups(
    inst: Instance, adj: Adjacency, mate: Sequence[int], solve: Solve, rng: random.Random
) -> tuple[list[list[int]], list[int]]:
    """Groups of ``inst.g`` built from a pair matching, and the members left loose."""
    pairs = [[u, v] for u, v in enumerate(mate) if u < v]
    loose = [u for u, v in enumerate(mate) if v < 0]
    if inst.g == 2:
        return pairs, loose
    if inst.g == 4:
        return _merge_pairs(inst, adj, pairs, loose, solve, rng)
    return _attach_singles(inst, adj, pairs, loose, solve, rng)


def _links(
    adj: Adjacency, owner: Sequence[int], members: Sequence[int], units: range, rng: random.Random
) -> Sequence[int]:
    """Units (numbered by ``owner``) worth trying with ``members``: all of them when
    few, else those holding a graph neighbour plus a few random ones."""
    if len(units) <= SCAN_LIMIT:
        return units
    found = {owner[v] for u in members for v in adj[u] if owner[v] >= 0}
    found.update(rng.sample(units, RANDOM_LINKS))
    return sorted(found)


def _merge_pairs(
    inst: Instance, adj: Adjacency, pairs: list[list[int]], loose: list[int], solve: Solve, rng: random.Random
) -> tuple[list[list[int]], list[int]]:
    owner = [-1] * inst.n
    for p, (u, v) in enumerate(pairs):
        owner[u] = owner[v] = p
    padj: Adjacency = [{} for _ in pairs]
    for p, pm in enumerate(pairs):
        for q in _links(adj, owner, pm, range(len(pairs)), rng):
            if q != p and q not in padj[p] and inst.group_valid(pm + pairs[q], allow_repeats=False):
                padj[p][q] = padj[q][p] = sum(inst.ipoints(a, b) for a in pm for b in pairs[q])
    prio = [inst.prio[u] or inst.prio[v] for u, v in pairs]
    bonus = priority_bonus(padj, prio)
    padj = [{q: w + bonus * (prio[p] + prio[q]) for q, w in nb.items()} for p, nb in enumerate(padj)]
    pmate = solve(padj)
    groups = [pairs[p] + pairs[q] for p, q in enumerate(pmate) if p < q]
    loose = loose + [u for p, q in enumerate(pmate) if q < 0 for u in pairs[p]]
    return groups, loose


def _attach_singles(
    inst: Instance, adj: Adjacency, pairs: list[list[int]], loose: list[int], solve: Solve, rng: random.Random
) -> tuple[list[list[int]], list[int]]:
    n_cores = (2 * len(pairs) + len(loose)) // 3
    pairs = sorted(pairs, key=lambda p: (-sum(inst.prio[u] for u in p), -inst.ipoints(p[0], p[1]), p))
    cores, singles = pairs[:n_cores], loose + [u for p in pairs[n_cores:] for u in p]
    singles.sort()
    owner = [-1] * inst.n
    for s, u in enumerate(singles):
        owner[u] = n_cores + s
    badj: Adjacency = [{} for _ in range(n_cores + len(singles))]
    prio = [any(inst.prio[u] for u in c) for c in cores] + [inst.prio[u] for u in singles]
    for c, core in enumerate(cores):
        for x in _links(adj, owner, core, range(n_cores, len(badj)), rng):
            u = singles[x - n_cores]
            if inst.can_join(core, u, allow_repeats=False):
                badj[c][x] = badj[x][c] = sum(inst.ipoints(u, a) for a in core)
    bonus = priority_bonus(badj, prio)
    badj = [{y: w + bonus * (prio[x] + prio[y]) for y, w in nb.items()} for x, nb in enumerate(badj)]
    bmate = solve(badj)
    groups = [[*core, singles[bmate[c] - n_cores]] for c, core in enumerate(cores) if bmate[c] >= 0]
    rest = [u for c, core in enumerate(cores) if bmate[c] < 0 for u in core]
    rest += [u for s, u in enumerate(singles) if bmate[n_cores + s] < 0]
    return groups, sorted(rest)


def exact_partition(inst: Instance, members: Sequence[int], allow_repeats: bool) -> tuple[int, list[tuple[int, ...]]]:
    """Best split of ``members`` (by ``Valuer``) into valid groups of the allowed sizes, plus leftovers."""
    m = len(members)
    sizes = allowed_sizes(inst.g)
    low_size, top_size = sizes[0], sizes[-1]
    valuer = Valuer(inst, members)
    near = [0] * m
    for a in range(m):
        for b in range(a + 1, m):
            i, j = members[a], members[b]
            if inst.compatible(i, j) and (allow_repeats or not inst.is_repeat(i, j)):
                near[a] |= 1 << b
                near[b] |= 1 << a
    options: list[list[tuple[int, int]]] = [[] for _ in range(m)]

    def grow(low: int, mask: int, cand: int, size: int) -> None:
        if size >= low_size:
            group = [members[x] for x in range(m) if mask >> x & 1]
            if inst.group_valid(group):
                options[low].append((mask, valuer.value(group)))
            if size >= top_size:
                return
        while cand:
            bit = cand & -cand
            cand ^= bit
            grow(low, mask | bit, cand & near[bit.bit_length() - 1], size + 1)

    for low in range(m):
        grow(low, 1 << low, near[low] & ~((2 << low) - 1), 1)

    @cache
    def best(mask: int) -> tuple[int, int]:
        if mask == 0:
            return 0, 0
        low = (mask & -mask).bit_length() - 1
        top, choice = best(mask & ~(1 << low))[0], 1 << low  # leave ``low`` out
        for gmask, val in options[low]:
            if gmask & mask == gmask:
                total = val + best(mask & ~gmask)[0]
                if total > top:
                    top, choice = total, gmask
        return top, choice

    full = (1 << m) - 1
    groups: list[tuple[int, ...]] = []
    mask = full
    while mask:
        choice = best(mask)[1]
        if choice & (choice - 1):
            groups.append(tuple(members[x] for x in range(m) if choice >> x & 1))
        mask &= ~choice
    return best(full)[0], groups
