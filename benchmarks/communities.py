"""Synthetic communities for ``benchmarks.matching``, each stressing one thing.

None of them is the community the matcher was first tuned on: each pushes on a
different weakness of a sparse candidate graph (hubs everyone wants, tight role
balance, many forbidden pairs, best partners already met, no interests to go on,
exact ties, time zones as the only affinity). Every one varies attendance from
round to round (so counts are odd about half the time) and has a few blocks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.matching import Candidate, PastMeeting, Rules

T0 = datetime(2025, 1, 6, tzinfo=UTC)
RECRUITING = frozenset({frozenset({"recruiter", "candidate"})})


@dataclass(frozen=True)
class Community:
    name: str
    stress: str  # what it pushes on, for the table
    candidates: tuple[Candidate, ...]
    blocks: tuple[tuple[int, int], ...]
    rules: Rules
    history: tuple[PastMeeting, ...] = ()  # meetings before the first benchmarked round
    absent: float = 0.03  # up to this share of members skips a round
    seed: int = 0
    notes: dict[str, float] = field(default_factory=dict)

    def attendees(self, round_no: int) -> list[Candidate]:
        rng = random.Random(self.seed * 1000 + round_no)
        skip = rng.randint(0, int(len(self.candidates) * self.absent))
        gone = set(rng.sample(range(len(self.candidates)), skip))
        return [c for k, c in enumerate(self.candidates) if k not in gone]


def _topics(k: int) -> list[str]:
    return [f"topic{x:03d}" for x in range(k)]


def _few_blocks(rng: random.Random, n: int) -> list[tuple[int, int]]:
    return [(rng.randint(1, n), rng.randint(1, n)) for _ in range(max(1, n // 100))]


def _pick(rng: random.Random, names: list[str], weights: list[float], k: int) -> frozenset[str]:
    picked: set[str] = set()
    while len(picked) < min(k, len(names)):
        picked.add(rng.choices(names, weights)[0])
    return frozenset(picked)


def skewed(n: int, seed: int) -> Community:
    """Popularity skew: 300 interests with Zipf(1.3) popularity, most members pick 1-4,
    a tenth are 'hubs' with 10-16 (everyone's best partner), time-zone preference on."""
    rng = random.Random(seed)
    names = _topics(300)
    pop = [1.0 / (k + 1) ** 1.3 for k in range(300)]
    cands = []
    for m in range(1, n + 1):
        k = rng.randint(10, 16) if rng.random() < 0.1 else rng.randint(1, 4)
        cands.append(
            Candidate(m, _pick(rng, names, pop, k), utc_offset_hours=rng.choice([-5.0, 0.0, 1.0, 2.0, 5.5, 8.0]))
        )
    rules = Rules(prefer_within_hours=2.0)
    return Community("skewed", "popularity skew, hubs", tuple(cands), tuple(_few_blocks(rng, n)), rules, seed=seed)


def recruiting(n: int, seed: int) -> Community:
    """Role crossing: 30% recruiters, 50% candidates, 20% no role; recruiters and
    candidates may not meet their own kind, so candidates need every recruiter and
    every role-less member: the full graph's perfect matchings are few."""
    rng = random.Random(seed)
    names = _topics(80)
    pop = [1.0 / (k + 1) ** 0.8 for k in range(80)]
    cands = []
    for m in range(1, n + 1):
        x = rng.random()
        role = "recruiter" if x < 0.3 else "candidate" if x < 0.8 else None
        tz = rng.choice([-8.0, -5.0, 0.0, 1.0, 3.0, 8.0])
        cands.append(Candidate(m, _pick(rng, names, pop, rng.randint(1, 5)), role=role, utc_offset_hours=tz))
    rules = Rules(cross_roles=RECRUITING, prefer_within_hours=3.0)
    return Community("recruiting", "roles 30/50/20", tuple(cands), tuple(_few_blocks(rng, n)), rules, seed=seed)


def blocked(n: int, seed: int) -> Community:
    """Heavy block lists: a fifth of members block 5-15% of the community each, and ten
    'celebrities' with rare interests are blocked by a third of it; three platforms,
    40% consenting to cross-platform introductions."""
    rng = random.Random(seed)
    names = _topics(120)
    pop = [1.0 / (k + 1) for k in range(120)]
    cands = []
    for m in range(1, n + 1):
        platform = rng.choices(["slack", "telegram", "console"], [5, 4, 1])[0]
        interests = _pick(rng, names, pop, rng.randint(2, 5))
        if m <= 10:
            interests = frozenset({*interests, *rng.sample(names[90:], 4)})
        cands.append(Candidate(m, interests, platform=platform, cross_platform_ok=rng.random() < 0.4))
    blocks: list[tuple[int, int]] = []
    for m in range(1, n + 1):
        if rng.random() < 0.2:
            blocks += [(m, rng.randint(1, n)) for _ in range(int(n * rng.uniform(0.05, 0.15)))]
    for celebrity in range(1, 11):
        blocks += [(rng.randint(1, n), celebrity) for _ in range(n // 3)]
    return Community("blocked", "heavy block lists", tuple(cands), tuple(blocks), Rules(), seed=seed)


def veterans(n: int, seed: int) -> Community:
    """Long history: 40 earlier rounds among members of 12 tight clusters (a member's
    natural partners have mostly been met already), 25 interests only."""
    rng = random.Random(seed)
    names = _topics(25)
    cluster = [rng.randrange(12) for _ in range(n)]
    cands = []
    for m in range(1, n + 1):
        base = [names[(cluster[m - 1] * 2 + d) % 25] for d in range(3)]
        extra = rng.sample(names, rng.randint(0, 2))
        cands.append(Candidate(m, frozenset(base[: rng.randint(1, 3)] + extra)))
    members: dict[int, list[int]] = {}
    for m in range(1, n + 1):
        members.setdefault(cluster[m - 1], []).append(m)
    history = []
    for week in range(40):
        when = T0 - timedelta(weeks=40 - week)
        for group in members.values():
            order = group[:]
            rng.shuffle(order)
            history += [PastMeeting(a, b, when) for a, b in zip(order[::2], order[1::2], strict=False)]
    rules = Rules()
    return Community(
        "veterans", "long history", tuple(cands), tuple(_few_blocks(rng, n)), rules, tuple(history), seed=seed
    )


def quiet(n: int, seed: int) -> Community:
    """Members with no interests: half picked none, the rest one or two of 40; time
    zones and roles (mentors meet mentees) carry most of the weight."""
    rng = random.Random(seed)
    names = _topics(40)
    cands = []
    for m in range(1, n + 1):
        interests = frozenset(rng.sample(names, rng.randint(1, 2))) if rng.random() < 0.5 else frozenset()
        role = rng.choice(["mentor", "mentee", None])
        cands.append(Candidate(m, interests, role=role, utc_offset_hours=float(rng.randint(-6, 6))))
    rules = Rules(cross_roles=frozenset({frozenset({"mentor", "mentee"})}), prefer_within_hours=1.0)
    return Community("quiet", "no interests", tuple(cands), tuple(_few_blocks(rng, n)), rules, seed=seed)


def clones(n: int, seed: int) -> Community:
    """Identical profiles: every member is one of 8 profiles (interests, role, zone),
    so almost every pair ties with hundreds of others."""
    rng = random.Random(seed)
    names = _topics(12)
    profiles = [
        (
            frozenset(rng.sample(names, rng.randint(1, 4))),
            rng.choice(["recruiter", "candidate"]),
            rng.choice([0.0, 5.0]),
        )
        for _ in range(8)
    ]
    cands = [Candidate(m, *profiles[rng.randrange(8)]) for m in range(1, n + 1)]
    cands = [Candidate(c.member_id, c.interests, role=c.role, utc_offset_hours=c.utc_offset_hours) for c in cands]
    rules = Rules(cross_roles=RECRUITING, prefer_within_hours=2.0)
    return Community("clones", "identical profiles", tuple(cands), tuple(_few_blocks(rng, n)), rules, seed=seed)


def worldwide(n: int, seed: int) -> Community:
    """Time zones round the world: offsets from -12 to +14 in quarter hours, a narrow
    2-hour preference, and few interests, so a close time zone is often a pair's
    only affinity."""
    rng = random.Random(seed)
    names = _topics(150)
    cands = []
    for m in range(1, n + 1):
        interests = frozenset(rng.sample(names, rng.randint(0, 2)))
        tz = rng.randint(-48, 56) / 4
        cands.append(Candidate(m, interests, utc_offset_hours=tz))
    rules = Rules(prefer_within_hours=2.0)
    return Community("worldwide", "time zones", tuple(cands), tuple(_few_blocks(rng, n)), rules, seed=seed)


CLASSIC_ZONES = [(-8.0, 12), (-5.0, 18), (-3.0, 4), (0.0, 14), (1.0, 20), (2.0, 6), (3.0, 4), (5.5, 8), (8.0, 8)]


def classic(n: int, seed: int) -> Community:
    """The benchmark's first community (kept for the time and memory runs, whose earlier
    figures were taken on it): 200 interests with Zipf(1.1) popularity, 2-6 each, 30%
    recruiters / 70% candidates (no role rule), three platforms, 70% consenting."""
    rng = random.Random(seed)
    names = _topics(200)
    pop = [1.0 / (k + 1) ** 1.1 for k in range(200)]
    zones, zone_w = zip(*CLASSIC_ZONES, strict=True)
    cands = []
    for m in range(1, n + 1):
        interests = _pick(rng, names, pop, rng.randint(2, 6))
        platform = rng.choices(["slack", "telegram", "console"], [6, 3, 1])[0]
        cands.append(
            Candidate(
                m,
                interests,
                role="recruiter" if rng.random() < 0.3 else "candidate",
                utc_offset_hours=rng.choices(zones, zone_w)[0],
                platform=platform,
                cross_platform_ok=rng.random() < 0.7,
            )
        )
    rules = Rules(prefer_within_hours=3.0)
    return Community("classic", "the first benchmark's", tuple(cands), tuple(_few_blocks(rng, n)), rules, seed=seed)


GENERATORS: dict[str, Callable[[int, int], Community]] = {
    "skewed": skewed,
    "recruiting": recruiting,
    "blocked": blocked,
    "veterans": veterans,
    "quiet": quiet,
    "clones": clones,
    "worldwide": worldwide,
}
