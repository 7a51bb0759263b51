"""The candidate graph: which pairs the solver may consider, with their points.

Small events get every allowed pair. Large ones get a sparse graph, never O(n^2):

* Buckets: one per interest and one per *pair* of interests a member holds (an
  inverted index on interests and on interest pairs, over each member's
  ``sparse.MAX_PAIRED_INTERESTS`` rarest interests). Everyone in a pair bucket shares at least
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

``sparse`` builds it with whole-array numpy steps.

Only allowed pairs become edges: not blocked, platform/role rules met, and not a
past meeting (repeats are a fallback handled after the main solve).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .dense import PairScores, dense_graph
from .scoring import Adjacency, Instance
from .sparse import PairTable, Windows, sparse_graph

DENSE_LIMIT = 400  # up to this many members every allowed pair is an edge
MID_LIMIT = 3000  # up to this many members every pair is scored (``dense``)


@dataclass(slots=True)
class CandidateGraph:
    n: int
    adj: Adjacency  # neighbour -> points, symmetric
    scores: PairScores | None = None  # every pair's points, where the event is small enough to score them all
    table: PairTable | None = None  # prices arrays of pairs, where the graph is sparse

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
    windows = Windows(lean.single_window, lean.pair_window, lean.single_interests)
    adj, table = sparse_graph(inst, rng, windows, lean.keep, extra)
    return CandidateGraph(n, adj, table=table)
