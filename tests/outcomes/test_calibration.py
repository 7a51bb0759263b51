"""Calibration with a fixed seed: simulated events with a planted effect, drawn by the real holdout draw.

Pure arithmetic, no database. Each simulated member is drawn with ``draw.is_held_out`` and then comes with a
probability that depends only on their group, so the true difference in attendance is known. Bounds are the
nominal 95 % with ±2 points of slack (the standard error of a share near 95 % over 2,000 events is 0.5 points).
"""

from __future__ import annotations

import random
from collections import Counter

from bot.outcomes import draw, estimate
from bot.outcomes.estimate import Comparison, Verdict

EVENTS = 2000


def simulate(rng: random.Random, members: int, percent: int, held_out_rate: float, effect: float) -> Comparison:
    seed = rng.randrange(1, draw.SEED_LIMIT)
    x1 = n1 = x0 = n0 = 0
    for member_id in range(1, members + 1):
        if draw.is_held_out(seed, member_id, percent):
            n0 += 1
            x0 += rng.random() < held_out_rate
        else:
            n1 += 1
            x1 += rng.random() < held_out_rate + effect
    return Comparison(x1, n1, x0, n0, answered=members)


def judged(comparison: Comparison) -> tuple[estimate.Difference | None, Verdict]:
    difference = estimate.event_difference(comparison)
    smallest = min(comparison.introduced, comparison.held_out)
    return difference, estimate.verdict(difference, smallest, comparison.answered)


def test_the_interval_covers_the_planted_effect_in_95_percent_of_events() -> None:
    rng = random.Random(20261124)
    covered = 0
    for _ in range(EVENTS):
        effect = 0.10
        comparison = simulate(rng, rng.randint(150, 500), rng.choice([10, 20, 30]), rng.uniform(0.35, 0.75), effect)
        difference = estimate.event_difference(comparison)
        assert difference is not None
        covered += difference.low <= effect <= difference.high
    assert 0.93 <= covered / EVENTS <= 0.97, covered / EVENTS


def test_with_no_effect_it_says_no_clear_difference_in_95_percent_of_events() -> None:
    rng = random.Random(7)
    verdicts = Counter(judged(simulate(rng, 400, 20, rng.uniform(0.4, 0.8), 0.0))[1] for _ in range(EVENTS))
    assert verdicts[Verdict.TOO_FEW] == 0  # 400 people at 20 % is enough to tell something
    assert 0.93 <= verdicts[Verdict.NO_CLEAR_DIFFERENCE] / EVENTS <= 0.97, verdicts


def test_a_large_effect_in_a_large_event_is_found() -> None:
    """+20 points with 400 members, 20 % held out: the normal approximation gives a power of about 90 %."""
    rng = random.Random(11)
    verdicts = Counter(judged(simulate(rng, 400, 20, 0.6, 0.20))[1] for _ in range(500))
    assert verdicts[Verdict.INTRODUCED_MORE] / 500 >= 0.85, verdicts
    assert verdicts[Verdict.HELD_OUT_MORE] == 0


def test_too_few_to_tell_where_it_should_be() -> None:
    rng = random.Random(3)
    for _ in range(EVENTS):
        members = rng.randint(8, 600)
        comparison = simulate(rng, members, rng.choice([5, 10, 20, 50]), rng.uniform(0.3, 0.8), rng.uniform(0, 0.2))
        difference, verdict = judged(comparison)
        smallest = min(comparison.introduced, comparison.held_out)
        too_wide = difference is not None and difference.width > estimate.MAX_WIDTH
        if smallest < estimate.MIN_GROUP or too_wide:
            assert verdict == Verdict.TOO_FEW, comparison
        else:
            assert verdict != Verdict.TOO_FEW, comparison
    # a typical small meetup (20–40 people, a 20 % holdout, attendance 40–80 %) is always too small to tell
    small = [judged(simulate(rng, rng.randint(20, 40), 20, rng.uniform(0.4, 0.8), 0.1))[1] for _ in range(500)]
    assert set(small) == {Verdict.TOO_FEW}
    # and before anyone has said whether they came, no event is judged, however large
    silent = Comparison(0, 800, 0, 200, answered=0)
    assert judged(silent)[1] == Verdict.TOO_FEW


def test_the_pooled_interval_covers_a_common_effect_in_95_percent_of_organisers() -> None:
    """Organisers with two to five events of different sizes, holdout shares and base attendance."""
    rng = random.Random(99)
    effect, covered = 0.08, 0
    for _ in range(EVENTS):
        events = [
            simulate(rng, rng.randint(40, 250), rng.choice([10, 20, 30, 50]), rng.uniform(0.3, 0.8), effect)
            for _ in range(rng.randint(2, 5))
        ]
        pooled = estimate.mantel_haenszel(events)
        assert pooled is not None
        covered += pooled.low <= effect <= pooled.high
    assert 0.93 <= covered / EVENTS <= 0.97, covered / EVENTS


def test_the_draw_holds_out_the_share_asked_for() -> None:
    """Over 100,000 members the held-out share is within four standard errors of the percent."""
    for percent in (5, 20, 50):
        held = sum(draw.is_held_out(12345, member_id, percent) for member_id in range(100_000))
        expected = 100_000 * percent / 100
        assert abs(held - expected) < 4 * (expected * (1 - percent / 100)) ** 0.5, (percent, held)
    assert draw.is_held_out(1, 42, 20) == draw.is_held_out(1, 42, 20)  # the same seed, the same coin
