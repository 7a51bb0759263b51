"""From a pair matching to groups, then placing whoever is still loose.

Group sizes 3 and 4 are built on top of the pair matching:

* size 4: pairs are merged two by two with a second matching on a "pair graph"
  (pairs linked when their members are linked; the weight is the four cross
  pairs' points), so quads are two good pairs that also like each other.
* size 3: the strongest pairs become cores; the other members are singles and a
  bipartite matching gives each core the single that adds the most points.

Pairs or cores that found no partner dissolve into loose members. Loose members
are then placed by ``Placer``: new groups among themselves, else joining
a group that has room (size g -> g+1), else an exact local re-solve of the groups
around them (which can also swap a priority member in for someone else). The
whole thing runs twice: first without repeats, then allowing past meetings, oldest
first, for whoever is still loose.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Sequence
from functools import cache

from .scoring import Adjacency, Instance, Valuer, priority_bonus

SCAN_LIMIT = 300  # members sampled per search once the work budget is spent
WORK_BUDGET = 1_000_000  # members checked exhaustively by one placer before sampling
REPAIR_SIZE = {2: 12, 3: 10, 4: 10}  # members in one exact local re-solve
REPAIR_BUDGET = 200  # local re-solves per pass
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
    """Best split of ``members`` into valid groups (size g or g+1) plus leftovers."""
    m, g = len(members), inst.g
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
        if size >= g:
            group = [members[x] for x in range(m) if mask >> x & 1]
            if inst.group_valid(group):
                options[low].append((mask, valuer.value(group)))
            if size > g:
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


class Placer:
    """Places loose members into an existing arrangement (see module docstring)."""

    def __init__(self, inst: Instance, adj: Adjacency, groups: list[list[int]], rng: random.Random) -> None:
        self.inst, self.adj, self.rng = inst, adj, rng
        self.groups: list[list[int] | None] = []
        self.group_of = [-1] * inst.n
        for grp in groups:
            self._add(grp)
        self.everyone = self._buckets(range(inst.n))
        self.work = 0  # members checked so far, against WORK_BUDGET

    def _add(self, members: list[int]) -> None:
        self.groups.append(members)
        for u in members:
            self.group_of[u] = len(self.groups) - 1

    def loose(self) -> list[int]:
        return [u for u in range(self.inst.n) if self.group_of[u] < 0]

    def result(self) -> list[list[int]]:
        return [g for g in self.groups if g is not None]

    def _buckets(self, members: Iterable[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for u in members:
            out.setdefault(self.inst.klass[u], []).append(u)
        return out

    def partners(self, u: int, buckets: dict[int, list[int]], allow_repeats: bool) -> list[int]:
        """Members of ``buckets`` that ``u`` may meet. Scans are exhaustive until the
        placer has checked WORK_BUDGET members in all, then sampled (SCAN_LIMIT)."""
        inst = self.inst
        ok = inst.class_ok[inst.klass[u]]
        lists = [buckets[c] for c in sorted(buckets) if ok[c]]
        total = sum(len(x) for x in lists)
        if total <= SCAN_LIMIT or self.work + total <= WORK_BUDGET:
            pool = [v for x in lists for v in x]
        else:
            pool, base, at = [], 0, 0
            picks = sorted(self.rng.sample(range(total), SCAN_LIMIT))
            for x in lists:
                while at < len(picks) and picks[at] < base + len(x):
                    pool.append(x[picks[at] - base])
                    at += 1
                base += len(x)
            pool += list(self.adj[u])
        self.work += len(pool)
        pool = sorted(set(pool))
        return [v for v in pool if inst.compatible(u, v) and (allow_repeats or not inst.is_repeat(u, v))]

    def place(self, allow_repeats: bool) -> None:
        inst = self.inst
        order = sorted(self.loose(), key=lambda u: (not inst.prio[u], u))
        self._new_groups(order, allow_repeats)
        self._join(allow_repeats)
        if self._repair(allow_repeats):  # a re-solve may have let someone else go: retry them
            order = sorted(self.loose(), key=lambda u: (not inst.prio[u], u))
            self._new_groups(order, allow_repeats)
            self._join(allow_repeats)

    def _key(self, group: Sequence[int]) -> tuple[int, int, int]:
        """Repeat-aware preference: no repeats, else the oldest; then points."""
        inst = self.inst
        reps = [inst.repeat_rank.get(inst.key(i, j), -1) for x, i in enumerate(group) for j in group[x + 1 :]]
        used = [r for r in reps if r >= 0]
        return (-len(used), -sum(used), inst.group_points(group))

    def _new_groups(self, order: list[int], allow_repeats: bool) -> None:
        inst, free = self.inst, set(order)
        buckets = self._buckets(order)
        for u in order:
            if u not in free:
                continue
            group = [u]
            options = [v for v in self.partners(u, buckets, allow_repeats) if v in free]
            while len(group) < inst.g:
                fits = [v for v in options if v not in group and inst.can_join(group, v, allow_repeats)]
                if not fits:
                    break
                group.append(max(fits, key=lambda v: (self._key([*group, v]), -v)))
            if len(group) == inst.g:
                self._add(sorted(group))
                free.difference_update(group)

    def _join(self, allow_repeats: bool) -> None:
        inst = self.inst
        for u in sorted(self.loose(), key=lambda u: (not inst.prio[u], u)):
            fits = []
            for x in sorted({self.group_of[v] for v in self.partners(u, self.everyone, allow_repeats)}):
                grp = self.groups[x] if x >= 0 else None
                if grp is not None and len(grp) == inst.g and inst.can_join(grp, u, allow_repeats):
                    fits.append(x)
            if fits:
                best = max(fits, key=lambda x: (self._key([*(self.groups[x] or []), u]), -x))
                (self.groups[best] or []).append(u)
                self.group_of[u] = best

    def _neighbourhood(self, u: int, limit: int, allow_repeats: bool) -> tuple[list[int], list[int]]:
        """Up to ``limit`` members around ``u``: the groups of its possible partners, then
        of their group-mates' partners (breadth first), whole groups only."""
        inst = self.inst
        members, touched = [u], []
        x = 0
        while x < len(members) and len(members) < limit:
            w = members[x]
            near = self.partners(w, self.everyone, allow_repeats)
            for v in heapq.nlargest(3 * limit, near, key=lambda v: (inst.ipoints(w, v), -v)):
                grp = self.group_of[v]
                if v in members or grp in touched:
                    continue
                extra = [v] if grp < 0 else (self.groups[grp] or [])
                if len(members) + len(extra) <= limit:
                    members += extra
                    if grp >= 0:
                        touched.append(grp)
            x += 1
        return members, touched

    def _repair(self, allow_repeats: bool) -> bool:
        """Exact re-solve of the groups around each loose member (budgeted)."""
        inst, limit = self.inst, REPAIR_SIZE[self.inst.g]
        pending = sorted(self.loose(), key=lambda u: (not inst.prio[u], u))
        changed = False
        for _ in range(REPAIR_BUDGET):
            if not pending:
                break
            u = pending.pop(0)
            if self.group_of[u] >= 0:
                continue
            members, touched = self._neighbourhood(u, limit, allow_repeats)
            if len(members) == 1:
                continue
            valuer = Valuer(inst, members)
            before = sum(valuer.value(self.groups[x] or []) for x in touched)
            value, new_groups = exact_partition(inst, members, allow_repeats)
            if value <= before:
                continue
            for x in touched:
                self.groups[x] = None
            for m in members:
                self.group_of[m] = -1
            for grp in new_groups:
                self._add(sorted(grp))
            pending += [m for m in members if self.group_of[m] < 0 and m not in pending]
            changed = True
        return changed
