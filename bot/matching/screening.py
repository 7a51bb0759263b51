"""The local search's improving chains, for every node at once (numpy).

The local search (``solver.improve_matching``) looks for the best improving
alternating chain from one node at a time, in Python. On a big graph most nodes
have none: at 10,000 members the search tried every node in turn and found a move
for about one in seven. ``best_chains`` finds, for all nodes together and for the
current matching, the chains ``solver._best_chain`` tries (the same chains, the same
bounds), so the search only has to make the moves, and to look again, one node at a
time, where an earlier move changed a chain.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Prices = Callable[[Ints, Ints], Ints]  # points of many pairs at once (-1: not allowed)
NODES = 8192  # nodes screened at a time, so memory stays at a few tens of MB


NONE = np.iinfo(np.int64).min // 4  # the gain of no chain


def best_chains(
    ranked_to: Ints, ranked_w: Ints, mate: Ints, mw: Ints, top: Ints, cap: Ints, prices: Prices, nodes: Ints
) -> tuple[Ints, Ints, Ints]:
    """For each of ``nodes``, its best chain of those ``solver._best_chain`` tries, for the
    current matching: (gain, c, e). The chain is a-c, then (when c has a partner d) d-e
    when ``e >= 0``, and the partner of e (or d, when ``e < 0``) with a's partner b;
    a chain ends where a partner is missing. The gain is 0 or less where no chain gains.

    ``ranked_to`` / ``ranked_w``: each node's best neighbours and their points (heaviest
    first, padded with -1); ``mw``: points of each node's current pair; ``top``: its best
    edge; ``cap``: a bound on any pair of it. The same bounds as ``_best_chain`` decide
    which pairs are priced, taken with a zero gain so far: so a chain is found wherever
    ``_best_chain`` finds one, and it gains at least as much."""
    gain = np.zeros(len(nodes), dtype=np.int64)
    c_of = np.full(len(nodes), -1, dtype=np.int64)
    e_of = np.full(len(nodes), -1, dtype=np.int64)
    for s in range(0, len(nodes), NODES):
        part = slice(s, s + NODES)
        gain[part], c_of[part], e_of[part] = _best(ranked_to, ranked_w, mate, mw, top, cap, prices, nodes[part])
    return gain, c_of, e_of


def _pick(options: Ints) -> tuple[Ints, Ints]:
    """Per row: the best option's column and gain (the first on a tie)."""
    col = options.argmax(axis=1)
    return col, options[np.arange(len(options)), col]


def _best(
    ranked_to: Ints, ranked_w: Ints, mate: Ints, mw: Ints, top: Ints, cap: Ints, prices: Prices, a: Ints
) -> tuple[Ints, Ints, Ints]:
    k, width = len(a), ranked_to.shape[1]
    b = mate[a]
    matched = b >= 0
    b = np.maximum(b, 0)
    c = ranked_to[a]  # (k, width)
    real_c = (c >= 0) & (c != b[:, None]) & matched[:, None]
    c = np.maximum(c, 0)
    d = mate[c]
    g1 = ranked_w[a] - mw[a][:, None]
    g2 = g1 - mw[c]
    top_b = top[b][:, None]
    cap_b = np.minimum(top_b, cap[b][:, None])
    d0 = np.maximum(d, 0)
    # a takes c, leaving b free (c was free); or c's partner d takes b
    two = np.where(real_c & (d < 0), g1, NONE)
    on = real_c & (d >= 0) & (g2 + top_b + top[d0] > 0)
    rows, cols = np.nonzero(on & (g2 + np.minimum(cap_b, cap[d0]) > 0))
    if len(rows):
        w = prices(b[rows], d0[rows, cols])
        two[rows, cols] = np.where(w >= 0, g2[rows, cols] + w, NONE)
    col, gain = _pick(two)
    c_of, e_of = c[np.arange(k), col], np.full(k, -1, dtype=np.int64)
    # a takes c, d takes e, and e's partner f takes b (or the chain ends at a free e)
    rows, cols = np.nonzero(on)
    if len(rows):
        dd = d0[rows, cols]
        e = ranked_to[dd]  # (m, width)
        g3 = g2[rows, cols][:, None] + ranked_w[dd]
        aa, bb, cc = a[rows][:, None], b[rows][:, None], c[rows, cols][:, None]
        real_e = (e >= 0) & (g3 + top[bb] > 0) & (e != aa) & (e != bb) & (e != cc)
        e = np.maximum(e, 0)
        f = mate[e]
        three = np.where(real_e & (f < 0), g3, NONE)
        f0 = np.maximum(f, 0)
        g4 = g3 - mw[e]
        r2, c2 = np.nonzero(real_e & (f >= 0) & (g4 + np.minimum(np.minimum(top[bb], cap[bb]), cap[f0]) > 0))
        if len(r2):
            w = prices(b[rows[r2]], f0[r2, c2])
            three[r2, c2] = np.where(w >= 0, g4[r2, c2] + w, NONE)
        ecol, egain = _pick(three)
        per_c = np.full((k, width), NONE, dtype=np.int64)  # each (a, c): its best e
        per_c[rows, cols] = egain
        best_e = np.full((k, width), -1, dtype=np.int64)
        best_e[rows, cols] = e[np.arange(len(rows)), ecol]
        col3, gain3 = _pick(per_c)
        better = gain3 > gain
        gain = np.where(better, gain3, gain)
        c_of = np.where(better, c[np.arange(k), col3], c_of)
        e_of = np.where(better, best_e[np.arange(k), col3], e_of)
    return np.where(matched, gain, NONE), c_of, e_of
