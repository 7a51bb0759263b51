"""The candidate graph: which pairs the solver may consider, with their points.

Small events get every allowed pair. Large ones get a sparse graph, never O(n^2):

* Buckets: one per interest and one per *pair* of interests a member holds (an
  inverted index on interests and on interest pairs, over each member's
  MAX_PAIRED_INTERESTS rarest interests). Everyone in a pair bucket shares at least
  those two interests, which is where the best partners are. In events of up to
  25,000 members above the exact solver's range, a member joins only the
  single-interest buckets of their two rarest interests: the window of a popular
  interest's bucket holds weak partners that pruning would drop anyway.
* Inside a pair bucket members are sorted by their whole interest signature
  (rarest interests first), so neighbours also tend to share their other rare
  interests; single-interest buckets are sorted by time zone first when the rules
  prefer close time zones. Each member is linked to the next ``window`` members of
  each bucket that it may meet; disallowed pairs are skipped (past meetings pile up
  exactly where the best partners are, round after round). Windows shrink as
  events grow, so the work per member stays flat.
* Each member keeps its ``keep`` best links (an edge stays if either end keeps it),
  then gets a few random allowed partners so that people with no or unusual
  interests still have candidates.

Only allowed pairs become edges: not blocked, platform/role rules met, and not a
past meeting (repeats are a fallback handled after the main solve).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from .dense import PairScores, dense_graph
from .scoring import Adjacency, Instance

DENSE_LIMIT = 400  # up to this many members every allowed pair is an edge
SKIP_FACTOR = 4  # how much further a window may reach past disallowed pairs
MAX_PAIRED_INTERESTS = 8  # interest-pair buckets use a member's rarest interests only
MID_LIMIT = 3000  # up to this many members every pair is scored (``dense``)


@dataclass(slots=True)
class CandidateGraph:
    n: int
    adj: Adjacency  # neighbour -> points, symmetric
    scores: PairScores | None = None  # every pair's points, where the event is small enough to score them all

    def edges(self) -> list[tuple[int, int, int]]:
        """(u, v, points) with u < v, in a deterministic order."""
        return [(u, v, w) for u, nb in enumerate(self.adj) for v, w in nb.items() if u < v]

    @property
    def edge_count(self) -> int:
        return sum(len(nb) for nb in self.adj) // 2


@dataclass(frozen=True, slots=True)
class Sparsity:
    single_window: int  # links per member in each single-interest bucket
    pair_window: int  # links per member in each interest-pair bucket
    keep: int  # best links kept per member
    single_interests: int | None  # single-interest buckets of a member's rarest interests only (None: all)


def sparsity(n: int) -> Sparsity:
    """Generous while the exact solver runs (up to a few thousand members), lean for
    huge events, where the work per member must stay flat. The middle band was tuned
    with ``benchmarks.matching``: fewer, better edges changed the total weight by less
    than ±0.1 % at 5,000, 10,000 and 20,000 members and saved a fifth of the time. At
    100,000 the same cut cost 0.16 % for time the goal does not need, so it is not made."""
    if n <= 3000:
        return Sparsity(80, 80, 30, None)
    if n <= 25000:
        return Sparsity(4, 4, 8, 2)
    return Sparsity(3, 4, 8, 2)


def build_graph(
    inst: Instance,
    rng: random.Random,
    *,
    dense_limit: int = DENSE_LIMIT,
    extra: int = 3,
) -> CandidateGraph:
    n = inst.n
    adj: Adjacency = [{} for _ in range(n)]
    if n <= dense_limit:
        for u in range(n):
            for v in range(u + 1, n):
                if inst.compatible(u, v) and not inst.is_repeat(u, v):
                    adj[u][v] = adj[v][u] = inst.ipoints(u, v)
        return CandidateGraph(n, adj)
    if n <= MID_LIMIT:
        adj, scores = dense_graph(inst, rng.getrandbits(32))
        return CandidateGraph(n, adj, scores)
    lean = sparsity(n)
    _add_windows(inst, adj, lean)
    adj = _prune(adj, lean.keep)
    _add_random(inst, adj, rng, extra)
    return CandidateGraph(n, adj)


def _buckets(
    inst: Instance, single_interests: int | None
) -> tuple[list[tuple[int, ...]], list[tuple[tuple[int, ...], list[int]]]]:
    counts = inst.counts
    rank = {i: r for r, i in enumerate(sorted(counts, key=lambda i: (counts[i], i)))}
    sig = [tuple(sorted(rank[i] for i in ints)) for ints in inst.interests]
    buckets: dict[tuple[int, ...], list[int]] = {}
    for m, s in enumerate(sig):
        for i in s[:single_interests]:
            buckets.setdefault((i,), []).append(m)
        for pair in itertools.combinations(s[:MAX_PAIRED_INTERESTS], 2):
            buckets.setdefault(pair, []).append(m)
    return sig, sorted(buckets.items())


def _add_windows(inst: Instance, adj: Adjacency, lean: Sparsity) -> None:
    """Link each bucket member to the next ``window`` members it may meet: disallowed
    pairs (past meetings especially, which pile up round after round right where
    the best partners are) are skipped, looking up to SKIP_FACTOR times further."""
    n = inst.n
    sig, buckets = _buckets(inst, lean.single_interests)
    # single-interest buckets also serve the time-zone preference: sorted by offset
    # first, their windows hold nearby members who share the interest
    by_zone: list[tuple[float, ...]] = list(sig)
    if inst.pref is not None:
        by_zone = [(99.0 if tz is None else tz, *s) for tz, s in zip(inst.tz, sig, strict=True)]
    klass, class_ok = inst.klass, inst.class_ok
    blocked, met, ipoints = inst.blocked, inst.repeat_rank, inst.ipoints
    rejected: set[int] = set()  # disallowed pairs, so each is checked once
    for key, lst in buckets:
        size = len(lst)
        if size < 2:
            continue
        lst.sort(key=(by_zone if len(key) == 1 else sig).__getitem__)
        span = lean.single_window if len(key) == 1 else lean.pair_window
        for p in range(size - 1):
            u = lst[p]
            nb_u, ok_u = adj[u], class_ok[klass[u]]
            linked = 0
            for v in lst[p + 1 : p + 1 + SKIP_FACTOR * span]:
                if v in nb_u:
                    linked += 1
                else:
                    k = u * n + v if u < v else v * n + u
                    if k in rejected:
                        continue
                    if not ok_u[klass[v]] or k in blocked or k in met:
                        rejected.add(k)
                        continue
                    nb_u[v] = adj[v][u] = ipoints(u, v)
                    linked += 1
                if linked >= span:
                    break


def _prune(adj: Adjacency, keep: int) -> Adjacency:
    """Keep an edge when it is among the ``keep`` best of either end (ties kept)."""
    cut = [sorted(nb.values(), reverse=True)[keep - 1] if len(nb) > keep else 0 for nb in adj]
    return [{v: w for v, w in nb.items() if w >= cut[u] or w >= cut[v]} for u, nb in enumerate(adj)]


def _add_random(inst: Instance, adj: Adjacency, rng: random.Random, extra: int) -> None:
    """Link everyone to the next ``extra`` members of one random cyclic order (when allowed)."""
    n = inst.n
    order = list(range(n))
    rng.shuffle(order)
    compatible, is_repeat, ipoints = inst.compatible, inst.is_repeat, inst.ipoints
    for p, u in enumerate(order):
        for q in range(p + 1, p + 1 + extra):
            v = order[q % n]
            if v != u and v not in adj[u] and compatible(u, v) and not is_repeat(u, v):
                adj[u][v] = adj[v][u] = ipoints(u, v)
