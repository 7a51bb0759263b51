"""Benchmark of ``bot.matching``: quality against the optimum of the FULL graph of
allowed pairs on several communities (``benchmarks.communities``), group sizes, and
time / memory at scale.

    python -m benchmarks.matching            # full run (about half an hour on 2 cores)
    python -m benchmarks.matching --quick    # CI smoke run (well under a minute)
    python -m benchmarks.matching --exact    # also the exact optimum at 1,000 (blossom on every
                                             # allowed pair: ~10 s a round; add --exact-2000 for
                                             # 2,000, ~100 s a round)

Quality, per community and round (history accumulating: each round's groups are
added to it, and whoever was left out has priority in the next round; attendance
varies, so counts are odd about half the time). The optimum is the best matching of
the allowed pairs that never met among those placing the most priority members, then
the most people (the matcher's promise: placing people comes before points).
``ours >=`` is our round as a pair matching (a trio counts its best pair, a repeat
nothing) over a linear-programming upper bound of that optimum (``benchmarks.optimum``):
a guaranteed lower bound on our share of it. ``ours <=`` is over the best such matching
found on the full graph's 60 best pairs per member: an upper bound on our share.
``exact`` (with ``--exact``): over the optimum itself. ``bracket``: how close the two
bounds are. ``any size``: ours over the bound on the best matching of any size, which
may leave people out for points (where people must sit out, it is that much higher).
``left``: members we left out; ``must``: members any arrangement of pairs and trios
must leave out (a bound; equal means none of ours was avoidable). ``trios+``: trios
beyond what the count needs.
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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib.metadata import version

from bot.matching import Candidate, MatchResult, PastMeeting, Rules, match, random_pairing
from bot.matching.graph import build_graph
from bot.matching.scoring import Instance
from bot.matching.sizes import best_split
from bot.matching.solver import solve_matching

from .communities import GENERATORS, T0, Community, classic
from .optimum import as_matching, bounds


@dataclass
class RoundRow:
    n: int
    ours: float
    upper: float
    free: float
    lower: float | None
    exact: float | None
    rand: float
    left: int
    must: int
    trios_extra: int
    repeats: int
    seconds: float


def with_priority(cands: Sequence[Candidate], left: set[int]) -> list[Candidate]:
    return [replace(c, priority=c.member_id in left) for c in cands]


def meetings(res: MatchResult, when: datetime) -> list[PastMeeting]:
    return [PastMeeting(a, b, when) for g in res.groups for x, a in enumerate(g.members) for b in g.members[x + 1 :]]


def repeats(res: MatchResult) -> int:
    return sum(1 for g in res.groups if g.repeat)


def extra_trios(res: MatchResult) -> int:
    placed = sum(len(g.members) for g in res.groups)
    return sum(1 for g in res.groups if len(g.members) == 3) - placed % 2


def quality(com: Community, rounds: int, exact: bool) -> list[RoundRow]:
    history = list(com.history)
    left: set[int] = set()
    out = []
    for r in range(rounds):
        cands = with_priority(com.attendees(r), left)
        t = time.perf_counter()
        ours = match(cands, history, com.blocks, com.rules, seed=r)
        seconds = time.perf_counter() - t
        points, prios, pairs = as_matching(ours, cands, com.rules)
        rand, _, _ = as_matching(random_pairing(cands, history, com.blocks, com.rules, seed=r), cands, com.rules)
        b = bounds(cands, history, com.blocks, com.rules, prios, pairs, exact=exact)
        free = bounds(cands, history, com.blocks, com.rules, prios, lower=False).upper
        out.append(
            RoundRow(
                len(cands),
                points,
                b.upper,
                free,
                b.lower,
                b.exact,
                rand,
                len(ours.left_out),
                b.must_leave_out,
                extra_trios(ours),
                repeats(ours),
                seconds,
            )
        )
        history += meetings(ours, T0 + timedelta(weeks=r))
        left = {lo.member_id for lo in ours.left_out}
    return out


def _pct(x: float | None, y: float | None) -> str:
    return "-" if x is None or y is None or y == 0 else f"{x / y:.2%}"


def print_quality(n: int, name: str, stress: str, rows: list[RoundRow]) -> tuple[float, float]:
    print(f"\n{name} ({stress}), {n} members, {len(rows)} rounds")
    head = ["round", "n", "ours >=", "ours <=", "exact", "bracket", "any size", "random", "left", "must", "trios+"]
    head += ["repeats", "s"]
    widths = [5, 5, 8, 8, 8, 8, 8, 7, 5, 5, 6, 7, 5]
    print(" ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))

    def cells(label: str, rs: list[RoundRow]) -> list[str]:
        ours, upper = sum(r.ours for r in rs), sum(r.upper for r in rs)
        lows = [r.lower for r in rs]
        low = None if None in lows else sum(x for x in lows if x is not None)
        exacts = [r.exact for r in rs]
        ex = None if None in exacts else sum(x for x in exacts if x is not None)
        return [
            label,
            str(sum(r.n for r in rs)) if len(rs) == 1 else "",
            _pct(ours, upper),
            _pct(ours, low),
            _pct(ours, ex),
            _pct(low, upper),
            _pct(ours, sum(r.free for r in rs)),
            _pct(sum(r.rand for r in rs), upper),
            str(sum(r.left for r in rs)),
            str(sum(r.must for r in rs)),
            str(sum(r.trios_extra for r in rs)),
            str(sum(r.repeats for r in rs)),
            f"{sum(r.seconds for r in rs):.1f}",
        ]

    for k, row in enumerate(rows, 1):
        print(" ".join(c.rjust(w) for c, w in zip(cells(str(k), [row]), widths, strict=True)))
    print(" ".join(c.rjust(w) for c, w in zip(cells("all", rows), widths, strict=True)), flush=True)
    worst = min(r.ours / r.upper for r in rows)
    return sum(r.ours for r in rows) / sum(r.upper for r in rows), worst


def quality_report(
    sizes: Sequence[int], rounds: int, exact_upto: int, names: Sequence[str] = tuple(GENERATORS)
) -> None:
    print("\nQuality against the optimum of the full graph of allowed pairs (see the module docstring)")
    summary = []
    for n in sizes:
        for name in names:
            com = GENERATORS[name](n, n)
            rows = quality(com, rounds, exact=n <= exact_upto)
            mean, worst = print_quality(n, name, com.stress, rows)
            lows = [r.lower for r in rows]
            low = sum(r.ours for r in rows) / sum(x for x in lows if x) if all(lows) else float("nan")
            summary.append((n, name, mean, worst, low, rows))
    print("\nSummary: ours >= (mean over rounds / worst round), ours <= (mean), left vs must, extra trios")
    for n, name, mean, worst, low, rows in summary:
        left, must = sum(r.left for r in rows), sum(r.must for r in rows)
        extra = sum(r.trios_extra for r in rows)
        line = f"  {n:5d} {name:11s} >= {mean:.2%} / {worst:.2%}   <= {low:.2%}   left {left} (must {must})"
        print(f"{line}   trios+ {extra}")


SIZE_RULES: list[tuple[str, Callable[[Rules], Rules]]] = [
    ("size 3", lambda r: replace(r, group_size=3)),
    ("size 3, cap 2", lambda r: replace(r, group_size=3, max_per_role=2)),
    ("size 4", lambda r: replace(r, group_size=4)),
    ("size 4, cap 2", lambda r: replace(r, group_size=4, max_per_role=2)),
]


def sizes_report(n: int, rounds: int, names: Sequence[str] = tuple(GENERATORS)) -> None:
    print(f"\nGroup sizes 3 and 4, {n} members, {rounds} rounds each: sizes made vs the documented split")
    print("(off: rounds whose sizes differ from bot.matching.sizes.best_split of the count placed)")
    for name in names:
        base = GENERATORS[name](n, n)
        for label, change in SIZE_RULES:
            com = replace(base, rules=change(base.rules))
            history = list(com.history)
            left: set[int] = set()
            off = out = reps = 0
            made: Counter[int] = Counter()
            seconds = 0.0
            for r in range(rounds):
                cands = with_priority(com.attendees(r), left)
                t = time.perf_counter()
                res = match(cands, history, com.blocks, com.rules, seed=r)
                seconds += time.perf_counter() - t
                got = Counter(len(g.members) for g in res.groups)
                made += got
                placed = sum(len(g.members) for g in res.groups)
                split = best_split(placed, com.rules.group_size)
                g = com.rules.group_size
                want = Counter() if split is None else Counter({g - 1: split[0], g: split[1], g + 1: split[2]})
                off += +got != +want
                out += len(res.left_out)
                reps += repeats(res)
                history += meetings(res, T0 + timedelta(weeks=r))
                left = {lo.member_id for lo in res.left_out}
            sizes = ", ".join(f"{k}:{v}" for k, v in sorted(made.items()))
            print(
                f"  {name:11s} {label:14s} groups {sizes:28s} off {off}  left out {out}  repeats {reps}"
                f"  {seconds / rounds:.2f} s/round",
                flush=True,
            )


def heuristic_vs_exact(n: int) -> None:
    """The pair-matching stage alone at a size where only the heuristic runs by default:
    greedy + local search versus exact blossom on the very same sparse graph."""
    com = classic(n, n)
    inst = Instance(com.candidates, [], com.blocks, com.rules)
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


def scale_worker(name: str, n: int, rounds: int) -> dict[str, float | str]:
    """Runs in its own process so that ru_maxrss belongs to this size alone."""
    com = (classic if name == "classic" else GENERATORS[name])(n, 7)
    history = list(com.history)
    left: set[int] = set()
    walls, cpus, left_out, reps = [], [], 0, 0
    kinds: Counter[str] = Counter()
    for r in range(rounds):
        cands = with_priority(com.attendees(r), left)
        t, c = time.perf_counter(), time.process_time()
        res = match(cands, history, com.blocks, com.rules, seed=r)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        left_out += len(res.left_out)
        kinds.update(lo.kind.value for lo in res.left_out)
        reps += repeats(res)
        history += meetings(res, T0 + timedelta(weeks=r))
        left = {lo.member_id for lo in res.left_out}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    match(com.attendees(rounds), history, com.blocks, com.rules, seed=rounds)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "n": n,
        "rounds": rounds,
        "mean": sum(walls) / rounds,
        "max": max(walls),
        "cpu": sum(cpus) / rounds,
        "cpu_max": max(cpus),
        "history": len(history),
        "left_out": left_out,
        "kinds": " ".join(f"{k}:{v}" for k, v in sorted(kinds.items())) or "-",
        "repeats": reps,
        "traced_mb": peak_mb,
        "rss_mb": rss_mb,
    }


def scale(sizes: Sequence[tuple[str, int, int]]) -> None:
    print("\nTime and memory per round (history accumulating; one fresh process per row)")
    print("(cpu s / cpu max: the process's CPU time per round, mean and worst; traced MB: tracemalloc peak of one")
    print("extra round; RSS MB: ru_maxrss of the whole worker process)")
    head = ["community", "members", "rounds", "mean s", "max s", "cpu s", "cpu max", "history", "left", "rep"]
    head += ["traced", "RSS MB"]
    widths = [10, 8, 6, 7, 7, 6, 7, 8, 5, 4, 7, 7]
    print(" ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)) + "  left-out kinds")
    for name, n, rounds in sizes:
        cmd = [sys.executable, "-m", "benchmarks.matching", "--worker", name, str(n), str(rounds)]
        row = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        cells = [
            name,
            str(n),
            str(rounds),
            f"{row['mean']:.2f}",
            f"{row['max']:.2f}",
            f"{row['cpu']:.2f}",
            f"{row['cpu_max']:.2f}",
            str(row["history"]),
            str(row["left_out"]),
            str(row["repeats"]),
            f"{row['traced_mb']:.0f}",
            f"{row['rss_mb']:.0f}",
        ]
        print(" ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + f"  {row['kinds']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small smoke-test run (CI)")
    parser.add_argument("--exact", action="store_true", help="also the exact optimum at 1,000 members")
    parser.add_argument("--exact-2000", action="store_true", help="and at 2,000 (slow)")
    parser.add_argument(
        "--part", choices=["scale", "quality", "sizes"], action="append", help="run only these parts (repeatable)"
    )
    parser.add_argument("--members", type=int, action="append", help="quality at these sizes only (repeatable)")
    parser.add_argument("--community", choices=sorted(GENERATORS), action="append", help="quality of these only")
    parser.add_argument("--worker", nargs=3, metavar=("COMMUNITY", "N", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, n, rounds = args.worker
        print(json.dumps(scale_worker(name, int(n), int(rounds))))
        return
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} (1 min), python {sys.version.split()[0]},")
    print(f"rustworkx {version('rustworkx')}, numpy {version('numpy')}, scipy {version('scipy')}")
    if args.quick:
        scale([("classic", 1000, 2)])
        quality_report([200], 2, exact_upto=200)
        sizes_report(200, 1, ["skewed", "recruiting"])
        return
    parts = args.part or ["scale", "quality", "sizes"]
    if "scale" in parts:
        # scale first: workers are forked while this process is still small (Linux carries
        # a parent's RSS high-water mark over into a child's ru_maxrss)
        scale(
            [
                ("classic", 1000, 10),
                ("classic", 10_000, 10),
                ("recruiting", 10_000, 5),
                ("worldwide", 10_000, 5),
                ("classic", 100_000, 3),
            ]
        )
        heuristic_vs_exact(10_000)
    if "quality" in parts:
        exact_upto = 2000 if args.exact_2000 else 1000 if args.exact else 0
        quality_report(args.members or [1000, 2000], 10, exact_upto, args.community or list(GENERATORS))
    if "sizes" in parts:
        sizes_report(1000, 3)


if __name__ == "__main__":
    main()
