"""Which matched nodes have an improving chain, for every node at once (numpy).

The local search (``solver.improve_matching``) looks for the best improving
alternating chain from one node at a time, in Python. On a big graph most nodes
have none: at 10,000 members the search tried every node in turn and found a move
for about one in seven. ``hopeful`` answers, for all nodes together and for the
current matching, whether ``solver._best_chain`` would find a positive gain (the
same chains, the same bounds), so the Python search runs only where it pays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Prices = Callable[[Ints, Ints], Ints]  # points of many pairs at once (-1: not allowed)
NODES = 8192  # nodes screened at a time, so memory stays at a few tens of MB


def hopeful(
    ranked_to: Ints, ranked_w: Ints, mate: Ints, mw: Ints, top: Ints, cap: Ints, prices: Prices, nodes: Ints
) -> Bools:
    """For each of ``nodes``: matched, and some chain of ``solver._best_chain`` from it gains.

    ``ranked_to`` / ``ranked_w``: each node's best neighbours and their points (heaviest
    first, padded with -1); ``mw``: points of each node's current pair; ``top``: its best
    edge; ``cap``: a bound on any pair of it."""
    out = np.zeros(len(nodes), dtype=bool)
    for s in range(0, len(nodes), NODES):
        part = nodes[s : s + NODES]
        out[s : s + NODES] = _hopeful(ranked_to, ranked_w, mate, mw, top, cap, prices, part)
    return out


def _hopeful(
    ranked_to: Ints, ranked_w: Ints, mate: Ints, mw: Ints, top: Ints, cap: Ints, prices: Prices, a: Ints
) -> Bools:
    found = np.zeros(len(a), dtype=bool)
    b = mate[a]
    matched = b >= 0
    b = np.maximum(b, 0)
    c = ranked_to[a]  # (k, width)
    real_c = (c >= 0) & (c != b[:, None]) & matched[:, None]
    c = np.maximum(c, 0)
    d = mate[c]
    g1 = ranked_w[a] - mw[a][:, None]
    found |= (real_c & (d < 0) & (g1 > 0)).any(axis=1)
    g2 = g1 - mw[c]
    top_b = top[b][:, None]
    cap_b = np.minimum(top_b, cap[b][:, None])
    d0 = np.maximum(d, 0)
    on = real_c & (d >= 0) & (g2 + top_b + top[d0] > 0) & ~found[:, None]
    # a takes c, d takes b
    try_bd = on & (g2 + np.minimum(cap_b, cap[d0]) > 0)
    rows, cols = np.nonzero(try_bd)
    if len(rows):
        w = prices(b[rows], d0[rows, cols])
        found[rows[(w >= 0) & (g2[rows, cols] + w > 0)]] = True
    on &= ~found[:, None]
    # a takes c, d takes e, and e's partner f takes b (or the chain ends at a free e)
    rows, cols = np.nonzero(on)
    if not len(rows):
        return found
    dd = d0[rows, cols]
    e = ranked_to[dd]  # (m, width)
    g3 = g2[rows, cols][:, None] + ranked_w[dd]
    aa, bb, cc = a[rows][:, None], b[rows][:, None], c[rows, cols][:, None]
    real_e = (e >= 0) & (g3 + top[bb] > 0) & (e != aa) & (e != bb) & (e != cc)
    e = np.maximum(e, 0)
    f = mate[e]
    hit = (real_e & (f < 0) & (g3 > 0)).any(axis=1)
    f0 = np.maximum(f, 0)
    g4 = g3 - mw[e]
    try_bf = real_e & (f >= 0) & (g4 + np.minimum(np.minimum(top[bb], cap[bb]), cap[f0]) > 0)
    r2, c2 = np.nonzero(try_bf)
    if len(r2):
        w = prices(b[rows[r2]], f0[r2, c2])
        hit[r2[(w >= 0) & (g4[r2, c2] + w > 0)]] = True
    found[rows[hit]] = True
    return found
