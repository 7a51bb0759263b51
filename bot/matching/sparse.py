"""The sparse candidate graph of a large event, built with whole-array numpy steps.

``graph`` describes what the graph holds (interest buckets, windows, pruning, random
links). This module builds exactly that graph, neighbour order included, without a
Python loop over pairs: at 10,000 members the windows try about a million pairs,
and scoring them one by one in Python was most of a round's time.

Order matters downstream (the local search breaks ties by a node's neighbour
order), so each edge carries the moment the step-by-step build would have added it:
buckets in key order, members in bucket order, then the window offset; random
links after all of them. Each node's neighbours are listed in that order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .scoring import BASE_POINTS, ROLE_POINTS, TZ_POINTS, Adjacency, Instance, complementary

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
CHUNK = 1 << 15  # bucket entries (or pairs) handled at a time, so memory stays at a few tens of MB
MAX_PAIRED_INTERESTS = 8  # interest-pair buckets use a member's rarest interests only
SKIP_FACTOR = 4  # how much further a window may reach past disallowed pairs
FILTER_BITS = 22  # a 4 MB bitmap of hashed forbidden pairs: most allowed pairs need no binary search
BITSET_BYTES = 1 << 26  # members x interests, one bit each, up to 64 MB
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier


@dataclass(frozen=True, slots=True)
class Windows:
    single: int  # links per member in each single-interest bucket
    pair: int  # links per member in each interest-pair bucket
    single_interests: int | None  # single-interest buckets of a member's rarest interests only (None: all)


class PairTable:
    """Whole-array versions of ``Instance.allowed_points``: the hard rules, blocks and past
    meetings, and the points of many pairs at once."""

    def __init__(self, inst: Instance, sig: list[tuple[int, ...]], points: Ints) -> None:
        n = inst.n
        self.n = n
        width = max((len(s) for s in sig), default=0) or 1
        self.ids = np.full((n, width), -1, dtype=np.int64)  # interest ranks, padded with -1
        for m, s in enumerate(sig):
            self.ids[m, : len(s)] = s
        self.pts = np.where(self.ids >= 0, points[np.maximum(self.ids, 0)], 0)
        # who holds which interest, one bit each, unless the catalogue is huge: then pairs compare lists
        self.bits: npt.NDArray[np.uint8] | None = None
        byte_cols = (len(points) + 7) // 8
        if n * byte_cols <= BITSET_BYTES:
            held = self.ids >= 0
            self.bits = np.zeros((n, byte_cols), dtype=np.uint8)
            rows = np.broadcast_to(np.arange(n)[:, None], self.ids.shape)[held]
            np.bitwise_or.at(self.bits, (rows, self.ids[held] >> 3), (1 << (self.ids[held] & 7)).astype(np.uint8))
            self.byte, self.bit = np.maximum(self.ids, 0) >> 3, (np.maximum(self.ids, 0) & 7).astype(np.uint8)
        self.klass = np.array(inst.klass, dtype=np.int64)
        self.class_ok = np.array(inst.class_ok, dtype=bool)
        self.forbidden = np.array(sorted({*inst.blocked, *inst.repeat_rank}), dtype=np.int64)
        self.maybe_forbidden = np.zeros(1 << FILTER_BITS, dtype=bool)
        self.maybe_forbidden[_hash(self.forbidden)] = True
        self.pref = inst.pref
        self.tz = np.array([np.nan if t is None else t for t in inst.tz], dtype=np.float64)
        roles = sorted({r for r in inst.role if r is not None})
        rid = {r: k + 1 for k, r in enumerate(roles)}
        self.role = np.array([0 if r is None else rid[r] for r in inst.role], dtype=np.int64)
        table = [[False] * (len(roles) + 1)]
        table += [[False, *(complementary(a, b, inst.cross) for b in roles)] for a in roles]
        self.compl = np.array(table, dtype=bool) if inst.cross else None

    def allowed(self, u: Ints, v: Ints) -> Bools:
        """Pairs the rules allow that never met (u != v)."""
        ok: Bools = self.class_ok[self.klass[u], self.klass[v]]
        f = self.forbidden
        if len(f):
            key = np.minimum(u, v) * self.n + np.maximum(u, v)
            check = np.flatnonzero(ok & self.maybe_forbidden[_hash(key)])
            at = np.minimum(np.searchsorted(f, key[check]), len(f) - 1)
            ok[check[f[at] == key[check]]] = False
        return ok

    def allowed_points(self, u: Ints, v: Ints) -> Ints:
        """``Instance.allowed_points`` of each pair: its points, or -1 where it is not allowed."""
        ok = (u != v) & self.allowed(u, v)
        out = np.full(len(u), -1, dtype=np.int64)
        out[ok] = self.points(u[ok], v[ok])
        return out

    def points(self, u: Ints, v: Ints) -> Ints:
        """``Instance.ipoints`` of each pair."""
        out = np.empty(len(u), dtype=np.int64)
        width = self.ids.shape[1]
        step = max(1, (CHUNK * 16) // (width if self.bits is not None else width * width))
        for s in range(0, len(u), step):
            a, b = u[s : s + step], v[s : s + step]
            if self.bits is not None:  # does b hold each of a's interests?
                same = (self.bits[b[:, None], self.byte[a]] >> self.bit[a]) & 1
            else:
                ia = self.ids[a]
                same = ((ia[:, :, None] == self.ids[b][:, None, :]) & (ia[:, :, None] >= 0)).any(axis=2)
            out[s : s + step] = (same * self.pts[a]).sum(axis=1)
        out += BASE_POINTS
        if self.pref is not None:
            d = np.abs(self.tz[u] - self.tz[v]) % 24.0
            out += np.where((d <= self.pref) | (24.0 - d <= self.pref), TZ_POINTS, 0)
        if self.compl is not None:
            out += np.where(self.compl[self.role[u], self.role[v]], ROLE_POINTS, 0)
        return out


def _hash(keys: Ints) -> Ints:
    """Bucket of each pair key in the ``maybe_forbidden`` bitmap."""
    out: Ints = ((keys.astype(np.uint64) * GOLDEN) >> np.uint64(64 - FILTER_BITS)).astype(np.int64)
    return out


def signatures(inst: Instance) -> tuple[list[tuple[int, ...]], Ints]:
    """Each member's interests as ranks, rarest first (ties by name), and each rank's points."""
    counts = inst.counts
    names = sorted(counts, key=lambda i: (counts[i], i))
    rank = {i: r for r, i in enumerate(names)}
    sig = [tuple(sorted(rank[i] for i in ints)) for ints in inst.interests]
    return sig, np.array([inst.points[i] for i in names] or [0], dtype=np.int64)


def _order(keys: list[tuple[float, ...]]) -> Ints:
    """Rank of each member when sorted by ``keys`` (stable: ties by member index)."""
    out = np.empty(len(keys), dtype=np.int64)
    out[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return out


def _entries(
    inst: Instance, table: PairTable, sig: list[tuple[int, ...]], lean: Windows, ranks: int
) -> tuple[Ints, Ints, Ints]:
    """Bucket memberships as arrays (bucket code, sort key inside the bucket, member), where codes
    follow the step-by-step build's order of buckets: ``(i,)`` before ``(i, j)`` before ``(i + 1,)``."""
    n, ids = inst.n, table.ids
    width = max((len(s) for s in sig), default=0)
    by_sig = _order(list(sig))
    by_zone = by_sig
    if inst.pref is not None:
        by_zone = _order([(99.0 if tz is None else tz, *s) for tz, s in zip(inst.tz, sig, strict=True)])
    members = np.arange(n, dtype=np.int64)
    codes, keys, who = [], [], []
    singles = width if lean.single_interests is None else min(width, lean.single_interests)
    for a in range(singles):
        has = ids[:, a] >= 0
        codes.append(ids[has, a] * (ranks + 1))
        keys.append(by_zone[has])
        who.append(members[has])
    paired = min(width, MAX_PAIRED_INTERESTS)
    for a in range(paired):
        for b in range(a + 1, paired):
            has = ids[:, b] >= 0
            codes.append(ids[has, a] * (ranks + 1) + ids[has, b] + 1)
            keys.append(by_sig[has])
            who.append(members[has])
    if not codes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(codes), np.concatenate(keys), np.concatenate(who)


def window_edges(
    inst: Instance, table: PairTable, sig: list[tuple[int, ...]], lean: Windows, ranks: int
) -> tuple[Ints, Ints]:
    """Link each bucket member to the first ``window`` members after it in the bucket that it
    may meet, looking at most SKIP_FACTOR windows ahead. Returns (keys ``u * n + v`` with
    u < v, in the order the pairs were first linked; their points)."""
    n = inst.n
    code, key, who = _entries(inst, table, sig, lean, ranks)
    order = np.argsort(code * n + key)  # keys are ranks < n, unique within a bucket
    code, who = code[order], who[order]
    span = np.where(code % (ranks + 1) == 0, lean.single, lean.pair)
    total = len(code)
    if total < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    end = np.repeat(np.r_[first[1:], total], np.diff(np.r_[first, total]))
    reach = SKIP_FACTOR * max(lean.single, lean.pair)
    offsets = np.arange(1, reach + 1, dtype=np.int64)
    found = []
    for s in range(0, total, CHUNK):
        p = np.arange(s, min(total, s + CHUNK), dtype=np.int64)
        at = p[:, None] + offsets[None, :]
        ok = (at < end[p, None]) & (offsets[None, :] <= SKIP_FACTOR * span[p, None])
        at = np.where(ok, at, p[:, None])
        u = np.broadcast_to(who[p, None], at.shape)
        v = who[at]
        ok[ok] = table.allowed(u[ok], v[ok])
        ok &= np.cumsum(ok, axis=1) <= span[p, None]
        a, b = u[ok], v[ok]  # row by row: the order they were linked in
        found.append(np.minimum(a, b) * n + np.maximum(a, b))
    keys = np.concatenate(found)
    _, firsts = np.unique(keys, return_index=True)
    keys = keys[np.sort(firsts)]
    return keys, table.points(keys // n, keys % n)


def prune(n: int, keys: Ints, w: Ints, keep: int) -> Bools:
    """Which edges are among the ``keep`` best of either end (ties kept)."""
    u, v = keys // n, keys % n
    src, both = np.concatenate([u, v]), np.concatenate([w, w])
    top = int(both.max(initial=0))
    order = np.argsort(src * (top + 1) + (top - both))  # by member, heaviest first
    degree = np.bincount(src, minlength=n)
    start = np.concatenate([[0], np.cumsum(degree)[:-1]])
    cut = np.zeros(n, dtype=np.int64)
    big = degree > keep
    cut[big] = both[order][start[big] + keep - 1]
    kept: Bools = (w >= cut[u]) | (w >= cut[v])
    return kept


def random_edges(table: PairTable, rng: random.Random, extra: int) -> Ints:
    """Everyone and the next ``extra`` members of one random cyclic order, where allowed, in that order."""
    n = table.n
    order = list(range(n))
    rng.shuffle(order)
    arr = np.array(order, dtype=np.int64)
    u = np.repeat(arr, extra)
    v = arr[(np.repeat(np.arange(n), extra) + np.tile(np.arange(1, extra + 1), n)) % n]
    ok = (u != v) & table.allowed(u, v)
    keys = np.minimum(u[ok], v[ok]) * n + np.maximum(u[ok], v[ok])
    _, firsts = np.unique(keys, return_index=True)
    out: Ints = keys[np.sort(firsts)]
    return out


def adjacency(n: int, keys: Ints, w: Ints) -> Adjacency:
    """Symmetric adjacency from edges in the order they were added (each node's neighbours in that order).

    Built a block of nodes at a time, with one int object per node and per distinct weight: at 100,000
    members the dicts hold about two million entries, and fresh ints for each would add about 100 MB."""
    u, v = keys // n, keys % n
    src = np.concatenate([u, v])
    added = np.arange(len(keys))
    order = np.argsort(src * len(keys) + np.concatenate([added, added]))  # by member, then when added
    dst, pts = np.concatenate([v, u])[order], np.concatenate([w, w])[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).tolist()
    nodes = list(range(n))
    weights: dict[int, int] = {}
    out: Adjacency = []
    for x0 in range(0, n, CHUNK):
        x1 = min(n, x0 + CHUNK)
        lo = bounds[x0]
        to = list(map(nodes.__getitem__, dst[lo : bounds[x1]].tolist()))
        ws = list(map(weights.setdefault, *[pts[lo : bounds[x1]].tolist()] * 2))
        for x in range(x0, x1):
            start, stop = bounds[x] - lo, bounds[x + 1] - lo
            out.append(dict(zip(to[start:stop], ws[start:stop], strict=True)))
    return out


def sparse_graph(
    inst: Instance, rng: random.Random, lean: Windows, keep: int, extra: int
) -> tuple[Adjacency, PairTable]:
    """Windows, pruned to each member's ``keep`` best links, plus ``extra`` random links each;
    and the table that priced them (for pricing more pairs later)."""
    n = inst.n
    sig, points = signatures(inst)
    table = PairTable(inst, sig, points)
    keys, w = window_edges(inst, table, sig, lean, len(points))
    kept = prune(n, keys, w, keep)
    keys, w = keys[kept], w[kept]
    more = random_edges(table, rng, extra)
    more = more[~np.isin(more, keys)]
    w = np.concatenate([w, table.points(more // n, more % n)])
    return adjacency(n, np.concatenate([keys, more]), w), table
