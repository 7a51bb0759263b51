"""The difference in attendance between introduced and held-out members, with its 95 % interval. Pure arithmetic.

One event: Newcombe's hybrid score interval (method 10 of Newcombe 1998, Statistics in Medicine 17:873–890),
built from the Wilson score interval of each group. It needs no iteration, behaves at 0 % and 100 % and in small
groups, and its coverage stays close to 95 % where the simple Wald interval falls short. The closed form is a
few lines of arithmetic, so no statistics library is brought in for it (scipy alone is tens of megabytes and
would only supply the normal quantile, which the standard library's ``statistics.NormalDist`` gives).

Several events: the Mantel–Haenszel risk difference with Sato's (1989) variance. Events differ in size, in
their held-out share and in their base attendance; the Mantel–Haenszel weights n₁n₀/N keep each event's own
comparison (no event's introduced members are compared with another's held-out ones) and stay well defined
when a small event has 0 % or 100 % in a group, where inverse-variance weights would divide by zero. Sato's
variance is consistent both for many small events and for a few large ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

CONFIDENCE = 0.95
Z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)  # 1.959963…

# The rule for "too few people to tell yet" (see ``verdict``):
MIN_GROUP = 10  # members in each group, below which the intervals' approximations are not to be trusted
MAX_WIDTH = 0.50  # an interval wider than 50 points cannot tell a large effect from none


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Difference:
    """A difference of two proportions (introduced minus held out) and its 95 % interval."""

    estimate: float
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True, slots=True)
class Comparison:
    """One event's attendance: ``attended`` of ``members`` in each group, and how many said either way."""

    introduced_attended: int
    introduced: int
    held_out_attended: int
    held_out: int
    answered: int = 0  # members of either group who told the bot whether they came


def wilson(successes: int, total: int, z: float = Z) -> Interval:
    """The Wilson score interval for ``successes`` of ``total`` (no continuity correction)."""
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError(f"need 0 <= successes <= total and total > 0, got {successes} of {total}")
    z2 = z * z
    centre = (successes + z2 / 2) / (total + z2)
    half = z * math.sqrt(successes * (total - successes) / total + z2 / 4) / (total + z2)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends: rounding would leave
    high = 1.0 if successes == total else min(1.0, centre + half)  # 0.9999999999999999 for 65 of 65
    return Interval(low, high)


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z) -> Difference:
    """x1/n1 − x2/n2 with Newcombe's hybrid score interval (method 10)."""
    p1, p2 = x1 / n1, x2 / n2
    first, second = wilson(x1, n1, z), wilson(x2, n2, z)
    estimate = p1 - p2
    low = estimate - math.hypot(p1 - first.low, second.high - p2)
    high = estimate + math.hypot(first.high - p1, p2 - second.low)
    return Difference(estimate, max(-1.0, low), min(1.0, high))


def mantel_haenszel(strata: Sequence[Comparison], z: float = Z) -> Difference | None:
    """The common difference across events (Mantel–Haenszel, Sato's variance), or None with no usable event.

    An event whose either group is empty carries no comparison and has weight 0.
    """
    weight = numerator = p_sum = q_sum = 0.0
    for s in strata:
        n1, n0, x1, x0 = s.introduced, s.held_out, s.introduced_attended, s.held_out_attended
        total = n1 + n0
        if n1 == 0 or n0 == 0:
            continue
        weight += n1 * n0 / total
        numerator += (x1 * n0 - x0 * n1) / total
        p_sum += (n1 * n1 * x0 - n0 * n0 * x1 + n1 * n0 * (n0 - n1) / 2) / (total * total)
        q_sum += (x1 * (n0 - x0) + x0 * (n1 - x1)) / (2 * total)
    if weight == 0:
        return None
    estimate = numerator / weight
    variance = max(0.0, (estimate * p_sum + q_sum) / (weight * weight))
    half = z * math.sqrt(variance)
    return Difference(estimate, max(-1.0, estimate - half), min(1.0, estimate + half))


class Verdict(StrEnum):
    TOO_FEW = "too few"
    NO_CLEAR_DIFFERENCE = "no clear difference"
    INTRODUCED_MORE = "introduced came more often"
    HELD_OUT_MORE = "held out came more often"


def verdict(difference: Difference | None, smallest_group: int, answered: int) -> Verdict:
    """What the numbers allow us to say.

    "Too few people to tell yet" when nobody has said yet whether they came (attendance is asked the day
    after the event), when either group has fewer than ``MIN_GROUP`` members, or when the 95 % interval is
    wider than ``MAX_WIDTH`` (50 points: it could not tell a large effect from none). Otherwise the interval
    decides: all above zero, all below zero, or straddling it ("no clear difference").
    """
    if difference is None or answered == 0 or smallest_group < MIN_GROUP or difference.width > MAX_WIDTH:
        return Verdict.TOO_FEW
    if difference.low > 0:
        return Verdict.INTRODUCED_MORE
    if difference.high < 0:
        return Verdict.HELD_OUT_MORE
    return Verdict.NO_CLEAR_DIFFERENCE


def why_too_few(difference: Difference | None, smallest_group: int, answered: int) -> str:
    """The part of the rule that is not met yet, in plain words."""
    if answered == 0:
        return "nobody has told me yet whether they came (I ask the day after the event)"
    if difference is None or smallest_group < MIN_GROUP:
        return f"each group needs at least {MIN_GROUP} people"
    return f"the 95 % interval is still wider than {round(MAX_WIDTH * 100)} points"


def event_difference(comparison: Comparison) -> Difference | None:
    if comparison.introduced == 0 or comparison.held_out == 0:
        return None
    return newcombe(
        comparison.introduced_attended, comparison.introduced, comparison.held_out_attended, comparison.held_out
    )


def points(value: float) -> str:
    """A difference of proportions in percentage points, signed: +12, −3, 0."""
    rounded = round(value * 100)
    if rounded == 0:
        return "0"
    return f"+{rounded}" if rounded > 0 else f"−{-rounded}"


def in_words(result: Verdict, difference: Difference | None) -> str:
    """The verdict as an organiser reads it, e.g. "introduced attendees came more often: +12 points, 95 % CI
    +3 to +21"."""
    if result == Verdict.TOO_FEW or difference is None:
        return "too few people to tell yet"
    figures = f"{points(difference.estimate)} points, 95 % CI {points(difference.low)} to {points(difference.high)}"
    if result == Verdict.INTRODUCED_MORE:
        return f"introduced attendees came more often: {figures}"
    if result == Verdict.HELD_OUT_MORE:
        return f"held-out members came more often: {figures}"
    return f"no clear difference: {figures}"
