"""Pair-matching solvers on a weighted adjacency (``adj[u][v] = points``, symmetric).

* ``exact_matching``: rustworkx blossom (maximum weight among maximum-cardinality
  matchings); integer weights, so the optimum is exact.
* ``greedy_matching`` + ``improve_matching`` + ``refine_regions``: for big graphs.
  Greedy by weight, then a local search bounded by an evaluation count (never the
  wall clock): augmenting moves for free nodes (cardinality first), then improving
  alternating chains of up to three pairs, which include the classic 2-opt swap
  (a,b),(c,d) -> (a,c),(b,d) and its 3-pair generalisation; finally a few exact
  re-solves of breadth-first regions around the worst-off nodes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from operator import itemgetter

import numpy as np
import rustworkx as rx

from .scoring import Adjacency
from .screening import Prices, best_chains

IMPROVE_PER_EDGE = 8  # local-search evaluations allowed per graph edge
SCREENS = 4  # whole-graph screenings (``screening.best_chains``) in one local search
SMALL_BATCH = 32  # fewer queued nodes than this are searched without screening them first
CHAIN_WIDTH = 6  # neighbours tried at each step of an improving chain
REGION, REGION_BUDGET, REGION_PASSES = 500, 2000, 2  # exact re-solves inside the heuristic

PairWeight = Callable[[int, int], int]  # points of a pair, -1 = not allowed


def exact_matching(adj: Adjacency) -> list[int]:
    n = len(adj)
    graph: rx.PyGraph[int, int] = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(list(range(n)))
    graph.add_edges_from([(u, v, w) for u, nb in enumerate(adj) for v, w in nb.items() if u < v])
    mate = [-1] * n
    for u, v in rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int):
        mate[u], mate[v] = v, u
    return mate


def greedy_matching(adj: Adjacency) -> list[int]:
    """Heaviest edge first; ties broken by node indices (deterministic)."""
    n = len(adj)
    keys = [(w * n + u) * n + v for u, nb in enumerate(adj) for v, w in nb.items() if u < v]
    keys.sort(reverse=True)
    mate = [-1] * n
    for k in keys:
        rest, v = divmod(k, n)
        u = rest % n
        if mate[u] < 0 and mate[v] < 0:
            mate[u] = v
            mate[v] = u
    return mate


def improve_matching(
    adj: Adjacency,
    mate: list[int],
    budget: int,
    weight: PairWeight | None = None,
    cap: Sequence[int] | None = None,
    prices: Prices | None = None,
) -> int:
    """Local search in place; returns the number of improving moves made.

    ``weight`` prices pairs that are not edges of ``adj`` (-1 = not allowed), to
    close a chain; ``cap[u]`` bounds the points of any pair of u (default: u's best
    edge), so that only closures that could pay are priced. ``prices`` (given only with
    ``weight``, and agreeing with it), ``weight`` for many pairs at once, lets the search skip the matched nodes that
    have no improving chain (``screening``): the queue holds the free nodes and the
    hopeful ones, and the nodes a move touched are screened in a batch once it runs
    dry; when none is left the whole graph is screened again, up to SCREENS times, so
    the search ends where no node has an improving chain.
    """
    n = len(adj)
    top = [max(nb.values(), default=0) for nb in adj]
    bound = top if cap is None else cap
    ranked = [sorted(nb.items(), key=itemgetter(1), reverse=True)[:CHAIN_WIDTH] for nb in adj]
    cache: dict[int, int] = {}

    def w_of(u: int, v: int) -> int:
        """Points of pair u-v, or -1 if it is not allowed."""
        w = adj[u].get(v)
        if w is not None:
            return w
        if weight is None:
            return -1
        k = u * n + v if u < v else v * n + u
        w = cache.get(k)
        if w is None:
            w = cache[k] = weight(u, v)
        return w

    mw = [adj[u][v] if v >= 0 else 0 for u, v in enumerate(mate)]
    queue = deque(range(n))
    queued = [True] * n
    fresh: list[int] = []  # with ``prices``: nodes touched since ``queue`` was screened
    screens = 0

    plan: dict[int, tuple[int, int, int, int, int]] = {}  # a -> (b, c, d, e, f) found by the last screening

    def screened(nodes: list[int]) -> deque[int]:
        """``nodes`` (in order) that are free or have an improving chain; only those stay queued,
        and ``plan`` holds the chains."""
        assert prices is not None
        if len(nodes) < SMALL_BATCH:
            return deque(nodes)
        arr = np.array(nodes, dtype=np.int64)
        mates = np.array(mate, dtype=np.int64)
        gain, c, e = best_chains(ranked_to, ranked_w, mates, np.array(mw), top_a, bound_a, prices, arr)
        keep = (mates[arr] < 0) | (gain > 0)
        for x, k in zip(nodes, keep.tolist(), strict=True):
            queued[x] = k
        up = np.flatnonzero(gain > 0)
        chain = zip(arr[up].tolist(), c[up].tolist(), e[up].tolist(), strict=True)
        plan.update((x, (mate[x], y, mate[y], z, mate[z] if z >= 0 else -1)) for x, y, z in chain)
        return deque(arr[keep].tolist())

    def planned(a: int) -> tuple[tuple[int, int], ...]:
        """The chain the screening found for ``a``, if the moves since left its pairs as they were."""
        b, c, d, e, f = plan.pop(a)
        if mate[a] != b or mate[c] != d or (e >= 0 and mate[e] != f):
            return ()
        if e < 0:
            return ((a, c), (b, d)) if d >= 0 else ((a, c),)
        return ((a, c), (d, e), (b, f)) if f >= 0 else ((a, c), (d, e))

    if prices is not None:
        ranked_to, ranked_w = _ranked_arrays(ranked)
        top_a, bound_a = np.array(top, dtype=np.int64), np.array(bound, dtype=np.int64)
        queue, screens = screened(list(queue)), 1
    evals = moves = 0
    while evals < budget:
        if not queue:
            if prices is None:
                break
            if fresh:
                queue, fresh = screened(fresh), []
            elif screens < SCREENS:
                queue, screens = screened([u for u in range(n) if mate[u] >= 0]), screens + 1
            else:
                break
            continue
        a = queue.popleft()
        queued[a] = False
        b = mate[a]
        touched: tuple[int, ...] = ()
        if b < 0:
            touched = _improve_free(adj, mate, a)
            evals += len(adj[a])
        else:
            if a in plan:  # screened: make its chain, or screen it again if a move since changed it
                gain, pairs, spent = 1, planned(a), 1
                if not pairs:
                    queued[a] = True
                    fresh.append(a)
                    continue
            else:
                gain, pairs, spent = _best_chain(ranked, mate, mw, top, bound, a, w_of)
            evals += spent
            if gain > 0:
                touched = (*(x for pair in pairs for x in pair), b)
                for x in touched:
                    mate[x] = -1
                for x, y in pairs:
                    mate[x], mate[y] = y, x
                    if y not in adj[x]:  # a priced non-edge: keep it as an edge from now on
                        adj[x][y] = adj[y][x] = w_of(x, y)
        if touched:
            moves += 1
            for x in touched:
                mw[x] = adj[x][mate[x]] if mate[x] >= 0 else 0
                if not queued[x]:
                    queued[x] = True
                    (queue if prices is None else fresh).append(x)
    return moves


def _ranked_arrays(ranked: list[list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """``ranked`` as two (n, CHAIN_WIDTH) arrays: neighbours (-1 pads) and their points."""
    n = len(ranked)
    to = np.full((n, CHAIN_WIDTH), -1, dtype=np.int64)
    w = np.zeros((n, CHAIN_WIDTH), dtype=np.int64)
    lengths = np.array([len(r) for r in ranked], dtype=np.int64)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat = [x for r in ranked for x in r]
    if flat:
        to[rows, cols] = [v for v, _ in flat]
        w[rows, cols] = [p for _, p in flat]
    return to, w


def _best_chain(
    ranked: list[list[tuple[int, int]]],
    mate: list[int],
    mw: list[int],
    top: list[int],
    cap: Sequence[int],
    a: int,
    price: Callable[[int, int], int],
) -> tuple[int, tuple[tuple[int, int], ...], int]:
    """Best improving alternating chain from matched ``a`` (partner b), depth <= 3:
    a takes c; c's partner d takes b (2-opt) or takes e, and e's partner f takes b
    (3-opt); or the chain ends at a free c or e, leaving b free. ``mw`` holds the
    points of everyone's current pair, ``top`` their best edge: bounds on what b and
    d could still earn prune most branches before a pair has to be priced."""
    b = mate[a]
    best_gain, evals = 0, 0
    best: tuple[tuple[int, int], ...] = ()
    top_b = top[b]
    cap_b = min(top_b, cap[b])
    for c, wac in ranked[a]:
        evals += 1
        if c == b:
            continue
        g1 = wac - mw[a]
        d = mate[c]
        if d < 0:
            if g1 > best_gain:
                best_gain, best = g1, ((a, c),)
            continue
        g2 = g1 - mw[c]
        if g2 + top_b + top[d] <= best_gain:
            continue
        if g2 + min(cap_b, cap[d]) > best_gain:
            wbd = price(b, d)
            if wbd >= 0 and g2 + wbd > best_gain:
                best_gain, best = g2 + wbd, ((a, c), (b, d))
        for e, wde in ranked[d]:
            evals += 1
            g3 = g2 + wde
            if g3 + top_b <= best_gain:
                break  # ranked[d] is heaviest first
            if e in (a, b, c):
                continue
            f = mate[e]
            if f < 0:
                if g3 > best_gain:
                    best_gain, best = g3, ((a, c), (d, e))
                continue
            g4 = g3 - mw[e]
            if g4 + min(cap_b, cap[f]) <= best_gain:
                continue
            wbf = price(b, f)
            if wbf >= 0 and g4 + wbf > best_gain:
                best_gain, best = g4 + wbf, ((a, c), (d, e), (b, f))
    return best_gain, best, evals


def refine_regions(adj: Adjacency, mate: list[int], region: int, budget: int) -> int:
    """Large-neighbourhood search: re-solve exactly (blossom) the matching inside
    breadth-first regions of about ``region`` nodes, closed under ``mate``. Seeds are
    the nodes whose pair is furthest below their best edge; a pass covers every node
    once; at most REGION_PASSES passes, and at most ``budget`` nodes re-solved. A region's new
    matching is kept when it matches more nodes, or as many for more weight.
    Returns the number of regions improved."""
    n = len(adj)
    inside = [-1] * n
    better = 0
    for _ in range(REGION_PASSES):
        if budget <= 0:
            break
        before = better
        regret = [max(nb.values(), default=0) - (adj[u].get(mate[u], 0)) for u, nb in enumerate(adj)]
        covered = [False] * n
        for seed in sorted(range(n), key=lambda u: (-regret[u], u)):
            if budget <= 0:
                break
            if covered[seed]:
                continue
            nodes: list[int] = []
            queue = deque([seed])
            while queue and len(nodes) < region:
                u = queue.popleft()
                if inside[u] >= 0:
                    continue
                for x in (u, mate[u]):
                    if x >= 0 and inside[x] < 0:
                        inside[x] = len(nodes)
                        nodes.append(x)
                queue.extend(v for v in adj[u] if inside[v] < 0)
            if len(nodes) < 2:
                covered[seed], inside[seed] = True, -1
                continue
            sub = [{inside[v]: w for v, w in adj[u].items() if inside[v] >= 0} for u in nodes]
            old = [inside[mate[u]] if mate[u] >= 0 else -1 for u in nodes]
            new = exact_matching(sub)
            size_old, size_new = sum(1 for x in old if x >= 0), sum(1 for x in new if x >= 0)
            w_old = sum(sub[x][y] for x, y in enumerate(old) if y > x)
            w_new = sum(sub[x][y] for x, y in enumerate(new) if y > x)
            if size_new > size_old or (size_new == size_old and w_new > w_old):
                better += 1
                for x, y in enumerate(new):
                    mate[nodes[x]] = nodes[y] if y >= 0 else -1
            for u in nodes:
                covered[u] = True
                inside[u] = -1
            budget -= len(nodes)
        if better == before or n <= region:
            break
    return better


def _improve_free(adj: Adjacency, mate: list[int], a: int) -> tuple[int, ...]:
    """Free ``a``: match a free neighbour, else augment a-c=d-e (any augmenting move
    is taken: cardinality comes first), else steal c from d when a pays more."""
    best_gain: int | None = None
    best = (-1, -1, -1)
    steal_gain, steal = 0, -1
    for c, wac in adj[a].items():
        d = mate[c]
        if d < 0:
            if best_gain is None or wac > best_gain:
                best_gain, best = wac, (c, -1, -1)
            continue
        wcd = adj[c].get(d, 0)
        if wac - wcd > steal_gain:
            steal_gain, steal = wac - wcd, c
        for e, wde in adj[d].items():
            if e != a and mate[e] < 0 and (best_gain is None or wac + wde - wcd > best_gain):
                best_gain, best = wac + wde - wcd, (c, d, e)
    if best_gain is not None:
        c, d, e = best
        mate[a], mate[c] = c, a
        if d >= 0:
            mate[d], mate[e] = e, d
            return (a, c, d, e)
        return (a, c)
    if steal >= 0:
        d = mate[steal]
        mate[a], mate[steal] = steal, a
        mate[d] = -1
        return (a, steal, d)
    return ()


def solve_matching(
    adj: Adjacency,
    exact: bool,
    weight: PairWeight | None = None,
    cap: Sequence[int] | None = None,
    prices: Prices | None = None,
) -> list[int]:
    """Exact blossom, or greedy + local search + region re-solves (``adj`` may gain
    priced edges from ``weight``; ``prices`` is ``weight`` for arrays of pairs).
    Returns ``mate`` (-1 = unmatched)."""
    if exact:
        return exact_matching(adj)
    mate = greedy_matching(adj)
    improve_matching(adj, mate, IMPROVE_PER_EDGE * sum(len(nb) for nb in adj) + len(adj), weight, cap, prices)
    refine_regions(adj, mate, REGION, REGION_BUDGET)
    return mate
