"""What the best possible round would be, computed on the FULL graph of allowed pairs
(independently of ``bot.matching``'s candidate graphs and solvers).

An exact blossom on every allowed pair takes minutes at 2,000 members (measured:
110 s per round, 2 million edges), too slow for 140 rounds, so the optimum is
bracketed instead:

* ``upper``: the linear-programming bound. Half the best assignment of the
  bipartite double cover (scipy's ``linear_sum_assignment`` on the n x n weight
  matrix) equals the best *fractional* matching, which is at least the best
  matching. A ratio against it understates how close a matcher is.
* ``lower``: an exact blossom (rustworkx) on each member's 60 best allowed pairs
  of the full weight matrix: a real matching, so at most the optimum.

When the two agree to a few hundredths of a percent, the optimum is known to
that precision. Feasibility is bounded the same way: ``maximum_bipartite_matching``
on the double cover of the full allowed graph (repeats included: a repeat is a
fallback, not a rule) covers as many members as the best cover by pairs and
cycles, so at least ``n - that`` members must be left out in any arrangement of
pairs and trios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import rustworkx as rx
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from bot.matching import Candidate, MatchResult, PastMeeting, Rules, interest_weights

LOWER_LINKS = 60
SCALE = 1000  # the public weights are in 1/1000 units


@dataclass(frozen=True)
class Bounds:
    upper: float  # >= the optimum
    lower: float | None  # <= the optimum: a matching found on the full graph's best pairs (None: not computed)
    exact: float | None  # the optimum itself, by blossom on every allowed pair (None: not computed)
    must_leave_out: int  # at least this many members are left out by any arrangement of pairs and trios


def weight_matrix(cands: Sequence[Candidate], rules: Rules) -> npt.NDArray[np.int64]:
    """Points (1/1000) of every pair by the documented scoring: 0.1 base, the
    interests' public weights, 0.5 for close time zones, 1.0 for complementary roles."""
    n = len(cands)
    weights = interest_weights(cands)
    names = sorted(weights)
    col = {name: k for k, name in enumerate(names)}
    x = np.zeros((n, max(1, len(names))), dtype=np.float64)
    for i, c in enumerate(cands):
        for name in c.interests:
            x[i, col[name]] = 1.0
    points = np.array([round(weights[name] * SCALE) for name in names] or [0], dtype=np.float64)
    w = np.rint((x * points) @ x.T).astype(np.int64) + 100
    if rules.prefer_within_hours is not None:
        tz = np.array([np.nan if c.utc_offset_hours is None else c.utc_offset_hours for c in cands])
        d = np.abs(tz[:, None] - tz[None, :]) % 24.0
        d = np.minimum(d, 24.0 - d)
        w += np.where(d <= rules.prefer_within_hours, 500, 0)
    if rules.cross_roles:
        roles = [c.role for c in cands]
        for s in rules.cross_roles:
            for a in s:
                for b in s:
                    if a != b:
                        ia = np.array([r == a for r in roles])
                        ib = np.array([r == b for r in roles])
                        w += np.where(ia[:, None] & ib[None, :], 1000, 0)
    return w


def allowed_matrix(
    cands: Sequence[Candidate], blocks: Sequence[tuple[int, int]], rules: Rules
) -> npt.NDArray[np.bool_]:
    """Pairs the hard rules allow (blocks, platform consent, role rules); history not applied."""
    index = {c.member_id: i for i, c in enumerate(cands)}
    plat = np.array([c.platform for c in cands])
    ok = np.array([c.cross_platform_ok for c in cands])
    allowed = (plat[:, None] == plat[None, :]) | (ok[:, None] & ok[None, :])
    banned_roles = {r for s in rules.cross_roles for r in s}
    if rules.max_per_role == 1:
        banned_roles |= {c.role for c in cands if c.role is not None}
    roles = np.array([c.role or "" for c in cands])
    has = np.array([c.role is not None and c.role in banned_roles for c in cands])
    allowed &= ~((roles[:, None] == roles[None, :]) & has[:, None] & has[None, :])
    np.fill_diagonal(allowed, False)
    for a, b in blocks:
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None:
            allowed[i, j] = allowed[j, i] = False
    return allowed


def met_matrix(cands: Sequence[Candidate], history: Sequence[PastMeeting]) -> npt.NDArray[np.bool_]:
    n = len(cands)
    index = {c.member_id: i for i, c in enumerate(cands)}
    met = np.zeros((n, n), dtype=bool)
    for m in history:
        i, j = index.get(m.a), index.get(m.b)
        if i is not None and j is not None:
            met[i, j] = met[j, i] = True
    return met


def bounds(
    cands: Sequence[Candidate],
    history: Sequence[PastMeeting],
    blocks: Sequence[tuple[int, int]],
    rules: Rules,
    placed_priority: int,
    placed_pairs: int | None = None,
    lower: bool = True,
    exact: bool = False,
) -> Bounds:
    """Bounds on the weight of the best matching of the non-repeat allowed pairs among
    those placing the most priority members and then (when ``placed_pairs`` is given)
    making the most pairs, as the matcher promises: placing people comes before points.

    ``placed_priority`` / ``placed_pairs``: how many priority members the round being
    judged placed in its pairs, and how many pairs it made; they are at most what the
    best matching does, so subtracting their bonuses keeps an upper bound. Without
    ``placed_pairs`` the bound is on the best matching of any size (which may leave
    people out for points)."""
    allowed = allowed_matrix(cands, blocks, rules)
    fresh = allowed & ~met_matrix(cands, history)
    w = np.where(fresh, weight_matrix(cands, rules), 0)
    prio = np.array([c.priority for c in cands], dtype=np.int64)
    n = len(cands)
    top = int(w.max(initial=0))
    bonus = (top + top * n) * n + 1 if prio.any() else 0
    upper, cols = _lp_bound(w, fresh, prio, bonus, placed_priority, 0, 0)
    if placed_pairs is not None:
        # any pair bonus B gives a bound: W* + B * pairs* <= LP(w + B) and pairs* >= our pairs; the
        # fractional optimum may cover an odd count whole, so a huge B is not the best: try a few
        for pair_bonus in (top // 8, top // 2, top, 4 * top):
            bound, _ = _lp_bound(w, fresh, prio, bonus, placed_priority, pair_bonus, placed_pairs)
            upper = min(upper, bound)
    cover = maximum_bipartite_matching(csr_matrix(allowed), perm_type="column")
    must = int((cover < 0).sum())
    card = (top * n + 1) if placed_pairs is not None else 0  # exact and lower: pairs first, then points
    wb = np.where(fresh, w + card + bonus * (prio[:, None] + prio[None, :]), 0)
    low = _judge(_blossom(wb, _best_pairs(w, cols)), w, prio, placed_priority, placed_pairs) if lower else None
    best = None
    if exact:
        iu, ju = np.nonzero(np.triu(wb, 1))
        best = _judge(_blossom(wb, list(zip(iu.tolist(), ju.tolist(), strict=True))), w, prio, 0, None)
    return Bounds(upper, low, best, must)


def _lp_bound(
    w: npt.NDArray[np.int64],
    fresh: npt.NDArray[np.bool_],
    prio: npt.NDArray[np.int64],
    bonus: int,
    placed_priority: int,
    pair_bonus: int,
    placed_pairs: int,
) -> tuple[float, npt.NDArray[np.intp]]:
    """Half the best assignment of the double cover with the bonuses, less the bonuses our round earned."""
    wb = np.where(fresh, w + pair_bonus + bonus * (prio[:, None] + prio[None, :]), 0)
    rows, cols = linear_sum_assignment(wb, maximize=True)
    value = float(wb[rows, cols].sum()) / 2 - bonus * placed_priority - pair_bonus * placed_pairs
    return value / SCALE, cols


def _best_pairs(w: npt.NDArray[np.int64], assigned: npt.NDArray[np.intp]) -> list[tuple[int, int]]:
    """Each member's LOWER_LINKS best pairs (ties at random) and the fractional optimum's pairs."""
    n = len(w)
    k = min(LOWER_LINKS, n - 1)
    rng = np.random.default_rng(0)
    key = w * 1024 + rng.integers(0, 1024, size=w.shape)
    best = np.argpartition(-key, k, axis=1)[:, :k] if n > k + 1 else np.tile(np.arange(n), (n, 1))
    edges = {(min(i, int(j)), max(i, int(j))) for i in range(n) for j in best[i] if i != j and w[i, j] > 0}
    edges |= {(min(i, int(j)), max(i, int(j))) for i, j in enumerate(assigned) if i != j and w[i, j] > 0}
    return sorted(edges)


def _blossom(w: npt.NDArray[np.int64], edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    graph: rx.PyGraph[int, int] = rx.PyGraph()
    graph.add_nodes_from(list(range(len(w))))
    graph.add_edges_from([(i, j, int(w[i, j])) for i, j in edges])
    return sorted(rx.max_weight_matching(graph, max_cardinality=False, weight_fn=int))


def _judge(
    mate: list[tuple[int, int]],
    w: npt.NDArray[np.int64],
    prio: npt.NDArray[np.int64],
    placed_priority: int,
    placed_pairs: int | None,
) -> float | None:
    """The points of a matching, or None when it places fewer priority members (or, when
    ``placed_pairs`` is given, makes fewer pairs) than the round judged."""
    if sum(int(prio[i] + prio[j]) for i, j in mate) < placed_priority:
        return None
    if placed_pairs is not None and len(mate) < placed_pairs:
        return None
    return sum(int(w[i, j]) for i, j in mate) / SCALE


def as_matching(res: MatchResult, cands: Sequence[Candidate], rules: Rules) -> tuple[float, int, int]:
    """Our round as a pair matching on the non-repeat graph (what the bounds measure):
    a group of 3 or more counts one pair only (the one placing most priority members,
    then the heaviest), a repeat group nothing. Returns (points, priority members in those pairs,
    number of pairs)."""
    by_id = {c.member_id: c for c in cands}
    weights = interest_weights(cands)
    total, prios, count = 0.0, 0, 0
    for g in res.groups:
        if g.repeat:
            continue
        members = [by_id[m] for m in g.members]
        pairs = [
            (a.priority + b.priority, _pair(a, b, weights, rules))
            for x, a in enumerate(members)
            for b in members[x + 1 :]
        ]
        p, points = max(pairs)
        total += points
        prios += p
        count += 1
    return total, prios, count


def _pair(a: Candidate, b: Candidate, weights: dict[str, float], rules: Rules) -> float:
    total = 100 + sum(round(weights.get(i, 0.0) * SCALE) for i in a.interests & b.interests)
    pref = rules.prefer_within_hours
    if pref is not None and a.utc_offset_hours is not None and b.utc_offset_hours is not None:
        d = abs(a.utc_offset_hours - b.utc_offset_hours) % 24.0
        if min(d, 24.0 - d) <= pref:
            total += 500
    crossing = any(a.role in s and b.role in s for s in rules.cross_roles)
    if a.role is not None and b.role is not None and a.role != b.role and crossing:
        total += 1000
    return total / SCALE
