"""The candidate graph of a mid-sized event, from every pair's exact weight.

Up to a few thousand members every pair can be scored at once with numpy (in
blocks of rows, so memory stays at a few tens of MB): the same points as
``Instance.ipoints``, with the hard rules, blocks and past meetings masked out.
Each member then keeps its ``links`` best partners by exact weight (ties broken at
random, so that among equal profiles no few members collect every edge) plus a
few random allowed partners, which keep a perfect arrangement reachable where
the rules make it rare (candidates who may meet only recruiters). A pair whose
only affinity is a close time zone or a complementary role is scored like any
other, so it gets an edge when it is among a member's best.

``price`` adds, after a first solve, each member's pairs that beat what both
ends got (weight above the average of their two matched pairs' weights): the
edges a better matching would use, found on the full graph, not the sparse one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from .scoring import BASE_POINTS, ROLE_POINTS, TZ_POINTS, Adjacency, Instance, complementary
from .solver import greedy_matching

ROWS = 512  # rows scored at a time
RAW_LINKS = 10  # best partners by weight
RANDOM_LINKS = 4  # random partners (kept when allowed)
DUAL_LINKS = 20  # best partners by reduced weight
DUAL_ROUNDS = 3
Matrix = npt.NDArray[np.int64]


class PairScores:
    """Exact points of every pair of ``inst``, by blocks of rows (-1: not allowed)."""

    def __init__(self, inst: Instance, allow_repeats: bool = False) -> None:
        self.inst = inst
        n = inst.n
        names = sorted(inst.counts)
        col = {name: k for k, name in enumerate(names)}
        self.x = np.zeros((n, max(1, len(names))), dtype=np.float32)
        for i, ints in enumerate(inst.interests):
            for name in ints:
                self.x[i, col[name]] = 1.0
        pts = np.array([inst.points[name] for name in names] or [0], dtype=np.float32)
        self.xp = self.x * pts
        self.tz = np.array([np.nan if t is None else t for t in inst.tz], dtype=np.float64)
        roles = sorted({r for r in inst.role if r is not None})
        rid = {r: k + 1 for k, r in enumerate(roles)}
        self.role = np.array([rid.get(r, 0) if r is not None else 0 for r in inst.role], dtype=np.int64)
        table = [[False, *(False for _ in roles)]]
        table += [[False, *(complementary(a, b, inst.cross) for b in roles)] for a in roles]
        self.compl = np.array(table, dtype=bool)
        self.klass = np.array(inst.klass, dtype=np.int64)
        self.class_ok = np.array(inst.class_ok, dtype=bool)
        self.forbidden: dict[int, list[int]] = {}  # row -> columns masked (blocks, and history unless allowed)
        keys = list(inst.blocked) if allow_repeats else [*inst.blocked, *inst.repeat_rank]
        for k in keys:
            i, j = divmod(k, n)
            self.forbidden.setdefault(i, []).append(j)
            self.forbidden.setdefault(j, []).append(i)

    def rows(self, start: int, stop: int) -> Matrix:
        inst = self.inst
        w = np.rint(self.xp[start:stop] @ self.x.T).astype(np.int64) + BASE_POINTS
        if inst.pref is not None:
            d = np.abs(self.tz[start:stop, None] - self.tz[None, :]) % 24.0
            close = (d <= inst.pref) | (24.0 - d <= inst.pref)
            w += np.where(close, TZ_POINTS, 0)
        if inst.cross:
            w += np.where(self.compl[self.role[start:stop, None], self.role[None, :]], ROLE_POINTS, 0)
        ok = self.class_ok[self.klass[start:stop, None], self.klass[None, :]]
        w[~ok] = -1
        for i in range(start, stop):
            w[i - start, i] = -1
            cols = self.forbidden.get(i)
            if cols:
                w[i - start, cols] = -1
        return w

    def blocks(self) -> Iterator[tuple[int, Matrix]]:
        n = self.inst.n
        for start in range(0, n, ROWS):
            yield start, self.rows(start, min(n, start + ROWS))


def dense_graph(inst: Instance, seed: int) -> tuple[Adjacency, PairScores]:
    """Each member's RAW_LINKS best allowed partners, RANDOM_LINKS random ones, and
    its DUAL_LINKS best partners by reduced weight (see ``duals``)."""
    n = inst.n
    scores = PairScores(inst)
    rng = np.random.default_rng(seed)
    w = np.empty((n, n), dtype=np.int32)
    for start, block in scores.blocks():
        w[start : start + len(block)] = block
    adj: Adjacency = [{} for _ in range(n)]
    _link(adj, w, np.zeros(n), RAW_LINKS, rng)
    for u, row in enumerate(rng.integers(0, n, size=(n, RANDOM_LINKS)).tolist()):
        for v in row:
            p = int(w[u, v])
            if p >= 0:
                adj[u][v] = adj[v][u] = p
    mate = greedy_matching(adj)
    _link(adj, w, duals(w, mate, DUAL_ROUNDS), DUAL_LINKS, rng)
    return adj, scores


def duals(w: npt.NDArray[np.int32], mate: Sequence[int], rounds: int) -> npt.NDArray[np.float64]:
    """A share ``y[u]`` of its pair's weight for each member, such that roughly no pair
    outside the matching is worth more than its two members' shares (the linear
    program's dual, estimated): each pair's weight is split so that both members
    get their outside option (best ``w[u, x] - y[x]`` over others) plus half the
    surplus. Members in demand (hubs, rare profiles) end up with large shares."""
    n = len(w)
    mates = np.asarray(mate, dtype=np.int64)
    matched = np.flatnonzero(mates >= 0)
    own = np.zeros(n, dtype=np.float64)
    own[matched] = w[matched, mates[matched]]
    y = own / 2
    for _ in range(rounds):
        outside = np.zeros(n, dtype=np.float64)
        for start in range(0, n, ROWS):
            stop = min(n, start + ROWS)
            red = np.where(w[start:stop] >= 0, w[start:stop] - y[None, :], -np.inf)
            rows = matched[(matched >= start) & (matched < stop)]
            red[rows - start, mates[rows]] = -np.inf
            outside[start:stop] = np.maximum(red.max(axis=1), 0.0)
        y = np.zeros(n, dtype=np.float64)
        y[matched] = outside[matched] + (own[matched] - outside[matched] - outside[mates[matched]]) / 2
    return y


def _link(
    adj: Adjacency, w: npt.NDArray[np.int32], y: npt.NDArray[np.float64], links: int, rng: np.random.Generator
) -> None:
    """Link each member to its ``links`` allowed partners x of highest ``w - y[x]``, ties at random."""
    n = len(w)
    k = min(links, n - 1)
    for start in range(0, n, ROWS):
        stop = min(n, start + ROWS)
        block = w[start:stop]
        key = np.where(block >= 0, block - y[None, :] + rng.random(block.shape), -np.inf)
        best = np.argpartition(-key, k - 1, axis=1)[:, :k]
        for r, row in enumerate(best.tolist()):
            u = start + r
            for v in row:
                p = int(block[r, v])
                if p >= 0:
                    adj[u][v] = adj[v][u] = p
