"""The numpy build of the sparse candidate graph (``bot.matching.sparse``) against a
step-by-step reference: the same edges, the same points and each node's neighbours in
the same order (the local search breaks ties by that order), on random events with
blocks, history, roles, platforms and time zones; and the bulk screening of the local
search (``bot.matching.screening``) against the one-node chain search it stands in for."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from functools import partial
from operator import itemgetter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import Candidate, PastMeeting, Rules
from bot.matching.scoring import Adjacency, Instance
from bot.matching.screening import best_chains
from bot.matching.solver import CHAIN_WIDTH, _best_chain, _ranked_arrays, greedy_matching
from bot.matching.sparse import MAX_PAIRED_INTERESTS, SKIP_FACTOR, Windows, sparse_graph

T0 = datetime(2024, 1, 1, tzinfo=UTC)
RECRUITING = frozenset({frozenset({"recruiter", "candidate"})})


def reference(inst: Instance, rng: random.Random, lean: Windows, keep: int, extra: int) -> Adjacency:
    """One bucket, one member, one pair at a time, as ``graph`` describes it."""
    n = inst.n
    counts = inst.counts
    rank = {i: r for r, i in enumerate(sorted(counts, key=lambda i: (counts[i], i)))}
    sig = [tuple(sorted(rank[i] for i in ints)) for ints in inst.interests]
    buckets: dict[tuple[int, ...], list[int]] = {}
    for m, s in enumerate(sig):
        for i in s[: lean.single_interests]:
            buckets.setdefault((i,), []).append(m)
        for pair in itertools.combinations(s[:MAX_PAIRED_INTERESTS], 2):
            buckets.setdefault(pair, []).append(m)
    by_zone: list[tuple[float, ...]] = list(sig)
    if inst.pref is not None:
        by_zone = [(99.0 if tz is None else tz, *s) for tz, s in zip(inst.tz, sig, strict=True)]

    def allowed(u: int, v: int) -> bool:
        return inst.compatible(u, v) and not inst.is_repeat(u, v)

    adj: Adjacency = [{} for _ in range(n)]
    for key, members in sorted(buckets.items()):
        members.sort(key=(by_zone if len(key) == 1 else sig).__getitem__)
        span = lean.single if len(key) == 1 else lean.pair
        for p, u in enumerate(members):
            linked = 0
            for v in members[p + 1 : p + 1 + SKIP_FACTOR * span]:
                if linked >= span:
                    break
                if allowed(u, v):
                    adj[u][v] = adj[v][u] = inst.ipoints(u, v)
                    linked += 1
    cut = [sorted(nb.values(), reverse=True)[keep - 1] if len(nb) > keep else 0 for nb in adj]
    adj = [{v: w for v, w in nb.items() if w >= cut[u] or w >= cut[v]} for u, nb in enumerate(adj)]
    order = list(range(n))
    rng.shuffle(order)
    for p, u in enumerate(order):
        for q in range(p + 1, p + 1 + extra):
            v = order[q % n]
            if v != u and v not in adj[u] and allowed(u, v):
                adj[u][v] = adj[v][u] = inst.ipoints(u, v)
    return adj


def event(seed: int) -> tuple[Instance, random.Random]:
    rnd = random.Random(seed)
    n = rnd.randint(2, 160)
    names = [f"t{x}" for x in range(rnd.randint(1, 30))]
    hubs = rnd.random() < 0.5  # some members with more interests than MAX_PAIRED_INTERESTS
    cands = [
        Candidate(
            m,
            frozenset(rnd.sample(names, min(len(names), rnd.randint(0, 12 if hubs else 4)))),
            role=rnd.choice([None, "recruiter", "candidate", "mentor"]),
            utc_offset_hours=rnd.choice([None, -5.0, 0.0, 1.5, 5.5, 12.0, -11.0]),
            platform=rnd.choice(["slack", "telegram"]),
            cross_platform_ok=rnd.random() < 0.6,
        )
        for m in rnd.sample(range(1, 100_000), n)
    ]
    ids = [c.member_id for c in cands]
    blocks = [(rnd.choice(ids), rnd.choice(ids)) for _ in range(rnd.randint(0, n))]
    history = [PastMeeting(rnd.choice(ids), rnd.choice(ids), T0) for _ in range(rnd.randint(0, 3 * n))]
    rules = Rules(
        cross_roles=rnd.choice([frozenset(), RECRUITING]),
        max_per_role=rnd.choice([None, 1, 2]),
        prefer_within_hours=rnd.choice([None, 2.0]),
    )
    return Instance(cands, history, blocks, rules), rnd


@settings(deadline=None, max_examples=150)
@given(
    st.integers(0, 2**32),
    st.integers(1, 6),
    st.integers(1, 6),
    st.sampled_from([None, 1, 2]),
    st.integers(1, 10),
    st.integers(0, 4),
)
def test_numpy_build_is_the_step_by_step_graph(
    seed: int, single: int, pair: int, single_interests: int | None, keep: int, extra: int
) -> None:
    inst, rnd = event(seed)
    lean = Windows(single, pair, single_interests)
    graph_seed = rnd.getrandbits(32)
    want = reference(inst, random.Random(graph_seed), lean, keep, extra)
    got, _ = sparse_graph(inst, random.Random(graph_seed), lean, keep, extra)
    assert [list(nb.items()) for nb in got] == [list(nb.items()) for nb in want]


def test_members_without_interests_get_only_random_links() -> None:
    cands = [Candidate(m) for m in range(1, 30)]
    inst = Instance(cands, [], [], Rules())
    adj, _ = sparse_graph(inst, random.Random(0), Windows(4, 4, 2), 8, 3)
    assert sum(len(nb) for nb in adj) // 2 == 3 * len(cands)
    assert adj == reference(inst, random.Random(0), Windows(4, 4, 2), 8, 3)


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32), st.floats(0.0, 0.5))
def test_screening_finds_the_chains_of_the_chain_search(seed: int, unmatched: float) -> None:
    """``screening.best_chains`` finds a chain exactly where ``solver._best_chain`` finds a gain,
    for the same matching (greedy, with some pairs undone so that chains can end free), and
    its chain is a real one that gains what it says, at least as much as ``_best_chain``'s."""
    inst, rnd = event(seed)
    adj, table = sparse_graph(inst, random.Random(rnd.getrandbits(32)), Windows(3, 3, 2), 4, 2)
    mate = greedy_matching(adj)
    for u in range(inst.n):
        v = mate[u]
        if v > u and rnd.random() < unmatched:
            mate[u] = mate[v] = -1
    top = [max(nb.values(), default=0) for nb in adj]
    cap = [inst.cap_points(u) for u in range(inst.n)]
    ranked = [sorted(nb.items(), key=itemgetter(1), reverse=True)[:CHAIN_WIDTH] for nb in adj]
    mw = [adj[u][v] if v >= 0 else 0 for u, v in enumerate(mate)]

    def price(u: int, v: int) -> int:
        w = adj[u].get(v)
        return inst.allowed_points(u, v) if w is None else w

    to, w = _ranked_arrays(ranked)
    arr = partial(np.array, dtype=np.int64)
    gains, cs, es = best_chains(to, w, arr(mate), arr(mw), arr(top), arr(cap), table.allowed_points, np.arange(inst.n))
    for a, (gain, c, e) in enumerate(zip(gains.tolist(), cs.tolist(), es.tolist(), strict=True)):
        want = _best_chain(ranked, mate, mw, top, cap, a, price)[0] if mate[a] >= 0 else 0
        assert (gain > 0) == (want > 0)
        if gain <= 0:
            continue
        assert gain >= want
        b, d = mate[a], mate[c]
        pairs = [(a, c)] + ([(d, e)] if e >= 0 else [])
        last = mate[e] if e >= 0 else d
        if last >= 0:
            pairs.append((b, last))
        nodes = [x for pair in pairs for x in pair]
        assert len(set(nodes)) == len(nodes) and all(price(x, y) >= 0 for x, y in pairs)
        broken = mw[a] + mw[c] + (mw[e] if e >= 0 else 0)  # the pairs the chain undoes (0 for a free node)
        assert gain == sum(price(x, y) for x, y in pairs) - broken
