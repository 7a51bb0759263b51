"""Benchmark of ``bot.matching``: quality against the exact optimum and against the
peers' random pairing, and time / memory at scale.

    python -m benchmarks.matching           # full run (several minutes)
    python -m benchmarks.matching --quick   # smoke test (seconds)

Synthetic community: 200 interests with Zipf-like popularity, 2-6 interests per
member, 30% recruiters / 70% candidates, realistic time zones, three platforms
(70% consent to cross-platform introductions) and a few blocks. Rounds accumulate
history (each round's groups are added to it) and whoever was left out gets
priority in the next round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

import rustworkx as rx

from bot.matching import (
    Candidate,
    MatchResult,
    PastMeeting,
    Rules,
    hard_compatible,
    interest_weights,
    match,
    pair_weight,
    random_pairing,
)
from bot.matching.graph import build_graph
from bot.matching.scoring import Instance
from bot.matching.solver import solve_matching

T0 = datetime(2025, 1, 6, tzinfo=UTC)
RULES = Rules(group_size=2, prefer_within_hours=3.0)
ZONES = [
    (-8.0, 12),
    (-5.0, 18),
    (-3.0, 4),
    (0.0, 14),
    (1.0, 20),
    (2.0, 6),
    (3.0, 4),
    (5.5, 8),
    (8.0, 8),
    (9.0, 4),
    (10.0, 2),
]


@dataclass
class Community:
    candidates: list[Candidate]
    blocks: list[tuple[int, int]]


def community(n: int, seed: int, n_interests: int = 200, zipf: float = 1.1) -> Community:
    rng = random.Random(seed)
    names = [f"topic{k:03d}" for k in range(n_interests)]
    popularity = [1.0 / (k + 1) ** zipf for k in range(n_interests)]
    zones, zone_w = zip(*ZONES, strict=True)
    cands = []
    for m in range(1, n + 1):
        want = rng.randint(2, 6)
        picked: set[str] = set()
        while len(picked) < want:
            picked.add(rng.choices(names, popularity)[0])
        platform = rng.choices(["slack", "telegram", "console"], [6, 3, 1])[0]
        cands.append(
            Candidate(
                member_id=m,
                interests=frozenset(picked),
                role="recruiter" if rng.random() < 0.3 else "candidate",
                utc_offset_hours=rng.choices(zones, zone_w)[0],
                platform=platform,
                cross_platform_ok=rng.random() < 0.7,
            )
        )
    blocks = [(rng.randint(1, n), rng.randint(1, n)) for _ in range(max(1, n // 100))]
    return Community(cands, blocks)


def optimum(cands: Sequence[Candidate], history: Sequence[PastMeeting], blocks: Sequence[tuple[int, int]]) -> float:
    """Exact optimum: max-weight matching on the FULL graph of allowed, non-repeat pairs."""
    weights = interest_weights(cands)
    banned = {frozenset(b) for b in blocks} | {frozenset((m.a, m.b)) for m in history}
    graph: rx.PyGraph[int, int] = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(list(range(len(cands))))
    edges = []
    for x, a in enumerate(cands):
        for y in range(x + 1, len(cands)):
            b = cands[y]
            if hard_compatible(a, b, RULES) and frozenset((a.member_id, b.member_id)) not in banned:
                edges.append((x, y, round(1000 * pair_weight(a, b, weights, RULES))))
    graph.add_edges_from(edges)
    mate = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=int)
    points = {(x, y): w for x, y, w in edges}
    return sum(points[(min(u, v), max(u, v))] for u, v in mate) / 1000


@dataclass
class RoundStats:
    best: float
    ours: MatchResult
    heuristic: MatchResult
    rand: MatchResult
    seconds: float
    heuristic_seconds: float


def with_priority(cands: list[Candidate], left: set[int]) -> list[Candidate]:
    return [replace(c, priority=c.member_id in left) for c in cands]


def repeats(res: MatchResult) -> int:
    return sum(1 for g in res.groups if g.repeat)


def meetings(res: MatchResult, when: datetime) -> list[PastMeeting]:
    return [PastMeeting(a, b, when) for g in res.groups for x, a in enumerate(g.members) for b in g.members[x + 1 :]]


def quality(n: int, rounds: int) -> list[RoundStats]:
    com = community(n, seed=n)
    history: list[PastMeeting] = []
    left: set[int] = set()
    out = []
    for r in range(rounds):
        cands = with_priority(com.candidates, left)
        t = time.perf_counter()
        ours = match(cands, history, com.blocks, RULES, seed=r)
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        heur = match(cands, history, com.blocks, RULES, seed=r, exact_limit=0)
        heuristic_seconds = time.perf_counter() - t
        rand = random_pairing(cands, history, com.blocks, RULES, seed=r)
        best = optimum(cands, history, com.blocks)
        out.append(RoundStats(best, ours, heur, rand, seconds, heuristic_seconds))
        history += meetings(ours, T0 + timedelta(weeks=r))
        left = {lo.member_id for lo in ours.left_out}
    return out


def print_quality(n: int, stats: list[RoundStats]) -> None:
    print(f"\nQuality, n={n}, {len(stats)} rounds: total weight as a share of the exact optimum")
    print("(optimum: blossom on the FULL graph of allowed pairs that never met; 'heuristic': exact_limit=0)")
    head = [
        "round",
        "optimum",
        "ours",
        "heuristic",
        "random",
        "repeats",
        "left out",
        "heur rep/out",
        "ours s",
        "heur s",
    ]
    widths = [5, 9, 7, 9, 7, 7, 8, 12, 6, 6]
    print(" ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))

    def row(label: str, best: float, ss: list[RoundStats]) -> None:
        cells = [
            label,
            f"{best:.1f}",
            f"{sum(s.ours.total_score for s in ss) / best:.2%}",
            f"{sum(s.heuristic.total_score for s in ss) / best:.2%}",
            f"{sum(s.rand.total_score for s in ss) / best:.2%}",
            str(sum(repeats(s.ours) for s in ss)),
            str(sum(len(s.ours.left_out) for s in ss)),
            f"{sum(repeats(s.heuristic) for s in ss)}/{sum(len(s.heuristic.left_out) for s in ss)}",
            f"{sum(s.seconds for s in ss):.2f}",
            f"{sum(s.heuristic_seconds for s in ss):.2f}",
        ]
        print(" ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))

    for r, s in enumerate(stats, 1):
        row(str(r), s.best, [s])
    row("total", sum(s.best for s in stats), stats)
    rand_out = sum(len(s.rand.left_out) for s in stats)
    print(f"(random pairing left out {rand_out} members in total)")


def heuristic_vs_exact(n: int) -> None:
    """The pair-matching stage alone at a size where only the heuristic runs by default:
    greedy + local search versus exact blossom on the very same sparse graph."""
    com = community(n, seed=n)
    inst = Instance(com.candidates, [], com.blocks, RULES)
    graph = build_graph(inst, random.Random(0))
    weights = []
    for exact in (False, True):
        adj = [dict(nb) for nb in graph.adj]
        t = time.perf_counter()
        mate = solve_matching(adj, exact)
        seconds = time.perf_counter() - t
        weights.append((sum(adj[u][v] for u, v in enumerate(mate) if u < v) / 1000, seconds))
    (h, hs), (e, es) = weights
    print(f"\nMatching stage at n={n} on one sparse candidate graph ({graph.edge_count} edges):")
    print(f"  heuristic {h:.1f} in {hs:.2f} s = {h / e:.2%} of exact blossom {e:.1f} ({es:.1f} s)")


def scale_worker(n: int, rounds: int) -> dict[str, float]:
    """Runs in its own process so that ru_maxrss belongs to this size alone."""
    com = community(n, seed=7)
    history: list[PastMeeting] = []
    left: set[int] = set()
    walls, cpus, left_out, reps = [], [], 0, 0
    for r in range(rounds):
        cands = with_priority(com.candidates, left)
        t, c = time.perf_counter(), time.process_time()
        res = match(cands, history, com.blocks, RULES, seed=r)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        left_out += len(res.left_out)
        reps += repeats(res)
        history += meetings(res, T0 + timedelta(weeks=r))
        left = {lo.member_id for lo in res.left_out}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    match(com.candidates, history, com.blocks, RULES, seed=rounds)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "n": n,
        "rounds": rounds,
        "mean": sum(walls) / rounds,
        "max": max(walls),
        "cpu": sum(cpus) / rounds,
        "history": len(history),
        "left_out": left_out,
        "repeats": reps,
        "traced_mb": peak_mb,
        "rss_mb": rss_mb,
    }


def scale(sizes: Sequence[tuple[int, int]]) -> None:
    print("\nTime and memory per round (history accumulating; one fresh process per size)")
    print("(traced MB: tracemalloc peak of one extra round; RSS MB: ru_maxrss of the whole worker process)")
    head = ["members", "rounds", "mean s", "max s", "cpu s", "history", "left out", "repeats", "traced MB", "RSS MB"]
    widths = [8, 6, 7, 7, 6, 8, 8, 7, 9, 7]
    print(" ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for n, rounds in sizes:
        cmd = [sys.executable, "-m", "benchmarks.matching", "--worker", str(n), str(rounds)]
        row = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        cells = [
            str(n),
            str(rounds),
            f"{row['mean']:.2f}",
            f"{row['max']:.2f}",
            f"{row['cpu']:.2f}",
            str(row["history"]),
            str(row["left_out"]),
            str(row["repeats"]),
            f"{row['traced_mb']:.1f}",
            f"{row['rss_mb']:.1f}",
        ]
        print(" ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small smoke-test run (seconds)")
    parser.add_argument("--worker", nargs=2, type=int, metavar=("N", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(scale_worker(*args.worker)))
        return
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, rustworkx {version('rustworkx')}")
    if args.quick:
        scale([(300, 3)])
        print_quality(200, quality(200, 3))
        return
    # scale first: workers are forked while this process is still small (Linux carries
    # a parent's RSS high-water mark over into a child's ru_maxrss)
    scale([(1000, 10), (10_000, 10), (100_000, 3)])
    heuristic_vs_exact(10_000)
    for n in (1000, 2000):
        print_quality(n, quality(n, 10))


if __name__ == "__main__":
    main()
