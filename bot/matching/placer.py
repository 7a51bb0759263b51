"""Placing whoever the group builder left loose, then evening out group sizes.

``Placer.place`` runs once without repeats and once allowing past meetings
(oldest first) for whoever is still loose. Each run: new groups of the
configured size among the loose; then exact local re-solves of the groups around
each loose member (``exact_partition`` on about a dozen members, which can also
swap a priority member in, or make a group one off the size when the count needs
it), unless the loose are no more than the count's remainder; then, for whoever
is still loose, a place in a group with room (size g -> g + 1), and re-solves
again. When the loose members are the remainder that calls for one smaller group
(2 when g = 3, 3 when g = 4), they form it first.

``fewer_repeats`` re-solves the groups around each group that holds a repeat.
``balance`` then looks at the groups off the configured size: where a few of them
(with a group or two of the right size around them) can be re-split with fewer
groups off the size, or as many but fewer of them smaller, placing the same
people, it re-solves them exactly. That removes the trios a count does not need
(two trios at an even count become three pairs), the surplus groups of 4 when
g = 3, and two trios beside a group of 4 at a count that wants two groups of 5
(the run without repeats may make them when avoiding a repeat forces a third
group; sizes rank above repeats).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Iterable, Sequence

from .groups import exact_partition
from .scoring import Adjacency, Instance, Valuer
from .sizes import allowed_sizes, off_size

SCAN_LIMIT = 300  # members sampled per search once the work budget is spent
WORK_BUDGET = 1_000_000  # members checked exhaustively (by a placer, and again by each join) before sampling
REPAIR_SIZE = {2: 12, 3: 11, 4: 11}  # members in one exact local re-solve
REPAIR_BUDGET = 200  # local re-solves per pass
REPAIR_MISSES = 25  # a pass stops after this many re-solves in a row that placed nobody
BALANCE_SIZE = 12  # members in one re-split of off-size groups
BALANCE_BUDGET = 200  # re-splits tried in all
BALANCE_SCAN = 20_000  # combinations of off-size groups looked at per re-split found


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
        self.tries = 0  # re-splits left to ``balance``
        self.skip: set[int] = set()  # classes whose loose members no arrangement can place

    def _add(self, members: list[int]) -> None:
        self.groups.append(members)
        for u in members:
            self.group_of[u] = len(self.groups) - 1

    def loose(self) -> list[int]:
        """Members in no group, priority first, leaving out those of a class ``_hopeless`` found full
        (unless they have priority: they may still take the place of someone of their class)."""
        inst, skip = self.inst, self.skip
        members = (u for u in range(inst.n) if self.group_of[u] < 0 and (inst.prio[u] or inst.klass[u] not in skip))
        return sorted(members, key=lambda u: (not inst.prio[u], u))

    def result(self) -> list[list[int]]:
        return [g for g in self.groups if g is not None]

    def _buckets(self, members: Iterable[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for u in members:
            out.setdefault(self.inst.klass[u], []).append(u)
        return out

    def partners(self, u: int, buckets: dict[int, list[int]], allow_repeats: bool, sample: bool = False) -> list[int]:
        """Members of ``buckets`` that ``u`` may meet. Scans are exhaustive until the
        placer has checked WORK_BUDGET members in all (or when ``sample``), then
        SCAN_LIMIT sampled ones plus u's graph neighbours."""
        inst = self.inst
        ok = inst.class_ok[inst.klass[u]]
        lists = [buckets[c] for c in sorted(buckets) if ok[c]]
        total = sum(len(x) for x in lists)
        if total <= SCAN_LIMIT or (not sample and self.work + total <= WORK_BUDGET):
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

    def _hopeless(self) -> set[int]:
        """Classes of members none more of whom any arrangement can place: members of a class that
        may not meet its own kind sit in different groups, each with at least ``smallest - 1``
        members of the classes they may meet, and that many are already placed."""
        inst = self.inst
        smallest = allowed_sizes(inst.g)[0]
        size = Counter(inst.klass)
        placed = Counter(inst.klass[u] for u in range(inst.n) if self.group_of[u] >= 0)
        out = set()
        for c in size:
            ok = inst.class_ok[c]
            if ok[c]:
                continue
            partners = sum(k for d, k in size.items() if ok[d])
            if placed[c] >= partners // (smallest - 1):
                out.add(c)
        return out

    def place(self, allow_repeats: bool) -> None:
        g = self.inst.g
        if not self.loose():
            return
        self.skip = self._hopeless()
        self._new_groups(self.loose(), g, allow_repeats)
        if len(self.loose()) % g == g - 1 and g - 1 >= 2:  # the count's remainder: one smaller group
            self._new_groups(self.loose(), g - 1, allow_repeats)
        if len(self.loose()) >= g:  # more loose than the count's remainder: try to place them at size first
            self._repair(allow_repeats)
        self._join(allow_repeats)
        self._repair(allow_repeats)

    def _key(self, group: Sequence[int]) -> tuple[int, int, int]:
        """Repeat-aware preference: no repeats, else the oldest; then points."""
        inst = self.inst
        reps = [inst.repeat_rank.get(inst.key(i, j), -1) for x, i in enumerate(group) for j in group[x + 1 :]]
        used = [r for r in reps if r >= 0]
        return (-len(used), -sum(used), inst.group_points(group))

    def _new_groups(self, order: list[int], size: int, allow_repeats: bool) -> None:
        inst, free = self.inst, set(order)
        buckets = self._buckets(order)
        for u in order:
            if u not in free:
                continue
            group = [u]
            options = [v for v in self.partners(u, buckets, allow_repeats) if v in free]
            while len(group) < size:
                fits = [v for v in options if v not in group and inst.can_join(group, v, allow_repeats)]
                if not fits:
                    break
                group.append(max(fits, key=lambda v: (self._key([*group, v]), -v)))
            if len(group) == size:
                self._add(sorted(group))
                free.difference_update(group)

    def join_last(self) -> None:
        """After ``balance`` and ``fewer_repeats`` have reshaped groups, whoever is still loose
        may fit one of the groups they made, or form a group (of the size, else one smaller)."""
        g = self.inst.g
        if self.loose():
            self._new_groups(self.loose(), g, allow_repeats=True)
        if self.loose() and g - 1 >= 2:
            self._new_groups(self.loose(), g - 1, allow_repeats=True)
        if self.loose():
            self._join(allow_repeats=True)

    def _join(self, allow_repeats: bool) -> None:
        inst = self.inst
        self.work = 0  # a fresh budget: the re-solves before may have spent it, and joining is the last resort
        for u in self.loose():
            fits = []
            for x in sorted({self.group_of[v] for v in self.partners(u, self.everyone, allow_repeats)}):
                grp = self.groups[x] if x >= 0 else None
                if grp is not None and len(grp) == inst.g and inst.can_join(grp, u, allow_repeats):
                    fits.append(x)
            if fits:
                best = max(fits, key=lambda x: (self._key([*(self.groups[x] or []), u]), -x))
                (self.groups[best] or []).append(u)
                self.group_of[u] = best
        self._split_joined(allow_repeats)

    def _split_joined(self, allow_repeats: bool) -> None:
        """A group one over the size may hand one member to loose members to make a new group of the
        size: one more person placed, one group fewer off the size. Where roles must meet across, a
        candidate joining a pair of two non-candidates takes a place another candidate needed."""
        inst, g = self.inst, self.inst.g
        for x, grp in enumerate(self.groups):
            if grp is None or len(grp) != g + 1:
                continue
            loose = self.loose()
            if len(loose) < g - 1:
                return
            buckets = self._buckets(loose)
            for y in grp:
                group = [y]
                options = [v for v in self.partners(y, buckets, allow_repeats) if self.group_of[v] < 0]
                while len(group) < g:
                    fits = [v for v in options if v not in group and inst.can_join(group, v, allow_repeats)]
                    if not fits:
                        break
                    group.append(max(fits, key=lambda v: (inst.prio[v], self._key([*group, v]), -v)))
                if len(group) == g:
                    self.groups[x] = [v for v in grp if v != y]
                    self._add(sorted(group))
                    break

    def _neighbourhood(self, u: int, limit: int, allow_repeats: bool) -> tuple[list[int], list[int]]:
        """Up to ``limit`` members around ``u``: the groups of its possible partners, then
        of their group-mates' partners (breadth first), whole groups only."""
        inst = self.inst
        members, touched = [u], []
        x = 0
        while x < len(members) and len(members) < limit:
            w = members[x]
            near = self.partners(w, self.everyone, allow_repeats, sample=True)
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

    def _resolve(self, members: list[int], touched: list[int], allow_repeats: bool) -> bool:
        """Re-split ``members`` (the ``touched`` groups and loose members) exactly; keep it if better."""
        valuer = Valuer(self.inst, members)
        before = sum(valuer.value(self.groups[x] or []) for x in touched)
        value, new_groups = exact_partition(self.inst, members, allow_repeats)
        if value <= before:
            return False
        for x in touched:
            self.groups[x] = None
        for m in members:
            self.group_of[m] = -1
        for grp in new_groups:
            self._add(sorted(grp))
        return True

    def _repair(self, allow_repeats: bool) -> None:
        """Exact re-solve of the groups around each loose member (budgeted)."""
        limit = REPAIR_SIZE[self.inst.g]
        pending = self.loose()
        misses = 0
        for _ in range(REPAIR_BUDGET):
            if not pending or misses >= REPAIR_MISSES:
                break
            u = pending.pop(0)
            if self.group_of[u] >= 0 or not self.partners(u, self.everyone, True):
                continue
            members, touched = self._neighbourhood(u, limit, allow_repeats)
            misses += 1
            if len(members) > 1 and self._resolve(members, touched, allow_repeats):
                misses = 0
                pending += [m for m in members if self.group_of[m] < 0 and m not in pending]

    def fewer_repeats(self) -> None:
        """Exact re-solve around each group holding a repeat (with the groups nearest to it),
        which keeps everyone placed and the sizes, and may need fewer or older repeats."""
        inst, limit = self.inst, REPAIR_SIZE[self.inst.g]
        tries = REPAIR_BUDGET
        for x in range(len(self.groups)):
            grp = self.groups[x]
            if tries <= 0:
                return
            if grp is None or not any(inst.is_repeat(i, j) for i, j in itertools.combinations(grp, 2)):
                continue
            touched = [x]
            for extra in self._around(grp, any_size=True):
                if len(extra) == 1 and sum(len(self.groups[y] or []) for y in [*touched, *extra]) <= limit:
                    touched += extra
            members = [u for y in touched for u in (self.groups[y] or [])]
            tries -= 1
            self._resolve(members, touched, allow_repeats=True)

    def balance(self) -> None:
        """Re-split groups off the configured size where fewer would do (see module docstring)."""
        g = self.inst.g
        self.tries = BALANCE_BUDGET
        while self.tries > 0:
            off = [x for x, grp in enumerate(self.groups) if grp is not None and len(grp) != g]
            placed = sum(len(grp) for grp in self.groups if grp is not None)
            if self._off_count(off) <= off_size(placed, g) or not self._balance_once(off):
                return

    def _off_count(self, off: Iterable[int]) -> tuple[int, int]:
        """(groups, of which smaller than g) among the off-size groups ``off``: the order ``sizes`` ranks
        them in, so two trios at a count that wants two groups of 5 are not taken for as good."""
        sizes = [len(self.groups[x] or []) for x in off]
        return len(sizes), sum(1 for k in sizes if k < self.inst.g)

    def _balance_once(self, off: list[int]) -> bool:
        """One improving re-split of two to four off-size groups, with up to two right-size groups
        near them, where the members' count allows fewer groups off the size (or fewer smaller ones);
        False when none is found within the budget."""
        g = self.inst.g
        scanned = 0
        for r in (2, 3, 4):
            for combo in itertools.combinations(off, r):
                scanned += 1
                if scanned > BALANCE_SCAN:
                    return False
                base = [u for x in combo for u in (self.groups[x] or [])]
                if len(base) > BALANCE_SIZE:
                    continue
                for extra in [[], *self._around(base)]:
                    touched = [*combo, *extra]
                    members = [u for x in touched for u in (self.groups[x] or [])]
                    if len(members) > BALANCE_SIZE or off_size(len(members), g) >= self._off_count(combo):
                        continue
                    self.tries -= 1
                    if self._resolve(members, touched, allow_repeats=True):
                        return True
                    if self.tries <= 0:
                        return False
        return False

    def _around(self, members: list[int], any_size: bool = False) -> list[list[int]]:
        """A few other groups (of the right size unless ``any_size``) holding graph neighbours
        of ``members``, one at a time then two at a time."""
        g = self.inst.g
        near: list[int] = []
        own = {self.group_of[u] for u in members}
        queue = list(members)  # breadth first: neighbours' groups, then their members' neighbours' groups
        for u in queue:
            for v in self.adj[u]:
                x = self.group_of[v]
                grp = self.groups[x] if x >= 0 else None
                if grp is not None and (any_size or len(grp) == g) and x not in near and x not in own:
                    near.append(x)
                    queue += grp
            if len(near) >= 4:
                break
        return [[x] for x in near[:4]] + [list(p) for p in itertools.combinations(near[:4], 2)]
