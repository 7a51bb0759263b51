"""Pair weights and hard rules.

Weights are computed in integer "points" (1/1000 of a unit) so that sums are exact
and independent of set iteration order (string hashing differs between processes,
float sums in hash order would not be reproducible). Floats are only produced at the
edge, for the public ``Group.score``.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from .types import Candidate, PastMeeting, Rules

Adjacency = list[dict[int, int]]  # adj[u][v] = points, symmetric

SCALE = 1000
BASE_POINTS = 100  # 0.1: every compatible pair is worth something, so everyone can be placed
TZ_POINTS = 500  # 0.5 when time zones are within Rules.prefer_within_hours
ROLE_POINTS = 1000  # 1.0 for a complementary cross_roles pair (recruiter + candidate)


def interest_points(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """IDF-like weight: log(1 + N / count) so rare shared interests count more."""
    return {i: round(SCALE * math.log(1.0 + n / k)) for i, k in counts.items() if k > 0}


def interest_weights(candidates: Sequence[Candidate]) -> dict[str, float]:
    """Public IDF weights (rounded to 1/1000) for ``pair_weight``."""
    counts = Counter(i for c in candidates for i in c.interests)
    return {i: p / SCALE for i, p in interest_points(counts, len(candidates)).items()}


def tz_distance(a: float, b: float) -> float:
    """Hours between two UTC offsets, around the clock (+12 and -12 are 0 apart)."""
    d = abs(a - b) % 24.0
    return min(d, 24.0 - d)


def complementary(ra: str | None, rb: str | None, cross_roles: frozenset[frozenset[str]]) -> bool:
    if ra is None or rb is None or ra == rb:
        return False
    return any(ra in s and rb in s for s in cross_roles)


def pair_points(a: Candidate, b: Candidate, points: Mapping[str, int], rules: Rules) -> int:
    total = BASE_POINTS
    for i in a.interests & b.interests:
        total += points.get(i, 0)
    return total + _bonus_points(a, b, rules)


def _bonus_points(a: Candidate, b: Candidate, rules: Rules) -> int:
    total = 0
    pref = rules.prefer_within_hours
    ta, tb = a.utc_offset_hours, b.utc_offset_hours
    if pref is not None and ta is not None and tb is not None and tz_distance(ta, tb) <= pref:
        total += TZ_POINTS
    if rules.cross_roles and complementary(a.role, b.role, rules.cross_roles):
        total += ROLE_POINTS
    return total


def pair_weight(a: Candidate, b: Candidate, weights: Mapping[str, float], rules: Rules | None = None) -> float:
    """Score of introducing ``a`` and ``b`` (weights from ``interest_weights``)."""
    total = BASE_POINTS + sum(round(weights.get(i, 0.0) * SCALE) for i in a.interests & b.interests)
    return (total + _bonus_points(a, b, rules or Rules())) / SCALE


def same_role_banned(rules: Rules) -> frozenset[str]:
    """Roles two members may not share inside one group."""
    banned: set[str] = set()
    for s in rules.cross_roles:
        banned |= s
    return frozenset(banned)


def hard_compatible(a: Candidate, b: Candidate, rules: Rules) -> bool:
    """Platform and role rules for one pair (blocks and history are checked elsewhere)."""
    if a.platform != b.platform and not (a.cross_platform_ok and b.cross_platform_ok):
        return False
    if a.role is not None and a.role == b.role:
        if rules.max_per_role == 1:
            return False
        if a.role in same_role_banned(rules):
            return False
    return True


class Instance:
    """One matching problem with members re-indexed 0..n-1 in member-id order.

    Pairs are keyed by ``i * n + j`` with ``i < j``.
    """

    def __init__(
        self,
        candidates: Sequence[Candidate],
        history: Sequence[PastMeeting],
        blocks: Iterable[tuple[int, int]],
        rules: Rules,
    ) -> None:
        cands = sorted(candidates, key=lambda c: c.member_id)
        for prev, cur in itertools.pairwise(cands):
            if prev.member_id == cur.member_id:
                raise ValueError(f"member {cur.member_id} appears twice")
        n = len(cands)
        self.n = n
        self.rules = rules
        self.g = rules.group_size
        self.cands = cands
        self.ids = [c.member_id for c in cands]
        index = {m: i for i, m in enumerate(self.ids)}
        self.index = index
        counts = Counter(i for c in cands for i in c.interests)
        self.counts: dict[str, int] = dict(counts)
        self.points = interest_points(counts, n)
        self._point_of = self.points.__getitem__
        self.interests = [c.interests for c in cands]
        self.role = [c.role for c in cands]
        self.platform = [c.platform for c in cands]
        self.xok = [c.cross_platform_ok for c in cands]
        self.prio = [c.priority for c in cands]
        self.tz = [c.utc_offset_hours for c in cands]
        self.pref, self.cross = rules.prefer_within_hours, rules.cross_roles
        self.banned_roles = same_role_banned(rules)
        if rules.max_per_role == 1:
            self.banned_roles = frozenset({r for r in self.role if r is not None})
        # classes of (platform, consent, role): a cheap first filter when scanning for partners
        kinds = [(c.platform, c.cross_platform_ok, c.role is None, c.role or "") for c in cands]
        table = sorted(set(kinds))
        kind_id = {k: x for x, k in enumerate(table)}
        self.klass = [kind_id[k] for k in kinds]
        self.class_ok = [[self._kinds_ok(a, b) for b in table] for a in table]
        self.blocked: set[int] = set()
        for ma, mb in blocks:
            i, j = index.get(ma), index.get(mb)
            if i is not None and j is not None and i != j:
                self.blocked.add(self.key(i, j))
        last: dict[int, datetime] = {}
        for m in history:
            i, j = index.get(m.a), index.get(m.b)
            if i is None or j is None or i == j:
                continue
            k = self.key(i, j)
            if k not in last or m.when > last[k]:
                last[k] = m.when
        # rank 0 = the oldest meeting: reused first when a repeat is unavoidable
        self.repeat_rank = {k: r for r, k in enumerate(sorted(last, key=lambda k: (last[k], k)))}

    def _kinds_ok(self, a: tuple[str, bool, bool, str], b: tuple[str, bool, bool, str]) -> bool:
        if a[0] != b[0] and not (a[1] and b[1]):
            return False
        return not (not a[2] and a[3] == b[3] and not b[2] and a[3] in self.banned_roles)

    def key(self, i: int, j: int) -> int:
        return i * self.n + j if i < j else j * self.n + i

    def compatible(self, i: int, j: int) -> bool:
        """Hard pair rules: block, platform consent, same-role bans. Not history."""
        if i == j or not self.class_ok[self.klass[i]][self.klass[j]]:
            return False
        return (i * self.n + j if i < j else j * self.n + i) not in self.blocked

    def is_repeat(self, i: int, j: int) -> bool:
        return (i * self.n + j if i < j else j * self.n + i) in self.repeat_rank

    def ipoints(self, i: int, j: int) -> int:
        """Points of pair i-j; the same as ``pair_points``, inlined for speed."""
        total = BASE_POINTS + sum(map(self._point_of, self.interests[i] & self.interests[j]))
        pref = self.pref
        if pref is not None:
            ti, tj = self.tz[i], self.tz[j]
            if ti is not None and tj is not None:
                d = abs(ti - tj) % 24.0
                if d <= pref or 24.0 - d <= pref:
                    total += TZ_POINTS
        if self.cross and complementary(self.role[i], self.role[j], self.cross):
            total += ROLE_POINTS
        return total

    def allowed_points(self, i: int, j: int) -> int:
        """Points of pair i-j, or -1 when the hard rules or a past meeting keep them apart (one key, one pass:
        the local search prices many pairs this way)."""
        k = i * self.n + j if i < j else j * self.n + i
        if i == j or not self.class_ok[self.klass[i]][self.klass[j]] or k in self.blocked or k in self.repeat_rank:
            return -1
        return self.ipoints(i, j)

    def cap_points(self, i: int) -> int:
        """An upper bound on the points of any pair with i (sharing all i's interests)."""
        total = BASE_POINTS + sum(self.points[x] for x in self.interests[i])
        return total + (TZ_POINTS if self.pref is not None else 0) + (ROLE_POINTS if self.cross else 0)

    def group_valid(self, members: Sequence[int], allow_repeats: bool = True) -> bool:
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if not self.compatible(i, j):
                    return False
                if not allow_repeats and self.is_repeat(i, j):
                    return False
        cap = self.rules.max_per_role
        if cap is not None and cap > 1 and len(members) > cap:
            roles = Counter(self.role[i] for i in members if self.role[i] is not None)
            if roles and max(roles.values()) > cap:
                return False
        return True

    def can_join(self, group: Sequence[int], u: int, allow_repeats: bool) -> bool:
        """Whether ``u`` may join the (valid) ``group``."""
        for j in group:
            if not self.compatible(u, j) or (not allow_repeats and self.is_repeat(u, j)):
                return False
        cap = self.rules.max_per_role
        r = self.role[u]
        if cap is not None and cap > 1 and r is not None:
            return sum(1 for j in group if self.role[j] == r) < cap
        return True

    def group_points(self, members: Sequence[int]) -> int:
        return sum(self.ipoints(i, j) for x, i in enumerate(members) for j in members[x + 1 :])


def priority_bonus(adj: Adjacency, prio: Sequence[bool]) -> int:
    """A bonus per priority endpoint larger than any achievable total of points."""
    if not any(prio):
        return 0
    top = max((w for nb in adj for w in nb.values()), default=0)
    return top * (len(adj) // 2 + 1) + 1


class Valuer:
    """The lexicographic objective of groups drawn from ``members``, packed in one int.

    Order (see ``sizes``): priority members placed, members placed, fewer groups
    off the configured size, fewer of them smaller, fewer repeat pairs, older
    repeats, points. Each weight exceeds the whole range of everything below it,
    so sums over groups compare lexicographically.
    """

    def __init__(self, inst: Instance, members: Sequence[int]) -> None:
        self.inst = inst
        m = len(members)
        pairs = [(i, j) for x, i in enumerate(members) for j in members[x + 1 :]]
        max_points = sum(inst.ipoints(i, j) for i, j in pairs) + 1
        max_rank = sum(inst.repeat_rank.get(inst.key(i, j), 0) for i, j in pairs) + 1
        self.w_rec = max_points
        self.w_rep = self.w_rec * max_rank
        self.w_small = self.w_rep * (len(pairs) + 1)
        self.w_off = self.w_small * (m + 1)
        self.w_placed = self.w_off * (m + 1)
        self.w_prio = self.w_placed * (m + 1)

    def value(self, group: Sequence[int]) -> int:
        inst = self.inst
        reps = rec = 0
        for x, i in enumerate(group):
            for j in group[x + 1 :]:
                r = inst.repeat_rank.get(inst.key(i, j))
                if r is not None:
                    reps += 1
                    rec += r
        prios = sum(1 for i in group if inst.prio[i])
        off = 1 if len(group) != inst.g else 0
        small = 1 if len(group) < inst.g else 0
        return (
            prios * self.w_prio
            + len(group) * self.w_placed
            - off * self.w_off
            - small * self.w_small
            - reps * self.w_rep
            - rec * self.w_rec
            + inst.group_points(group)
        )
