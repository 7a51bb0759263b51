"""The estimator against published worked examples, and the properties any such interval must have."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.outcomes import estimate
from bot.outcomes.estimate import Comparison, Difference, Verdict


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "difference", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10 (hybrid score), examples (a)
        # and (b). The figures were checked against an independent test suite that asserts "the results
        # reported in Newcombe 1998" (R package propint, tests of ci.two.indep.props); for (a) the other
        # columns of the same table (Wald 0.0575–0.3425, Mee 0.0533–0.3377) appear in GSK-Biostatistics/cicalc's
        # snapshots for "56/70 − 48/80", which fixes the difference at 0.2000.
        (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
    ],
)
def test_newcombe_matches_the_published_examples(
    x1: int, n1: int, x2: int, n2: int, difference: float, low: float, high: float
) -> None:
    result = estimate.newcombe(x1, n1, x2, n2)
    assert round(result.estimate, 4) == difference
    assert round(result.low, 4) == low
    assert round(result.high, 4) == high


def test_mantel_haenszel_matches_agresti() -> None:
    """Agresti (2013), Categorical Data Analysis, 3rd ed.: the eight-centre trial of p. 226 (success/failure
    for drug and control). On p. 231 the Mantel–Haenszel common difference is 0.130 with a standard error of
    0.050 (as GSK-Biostatistics/cicalc's test restates it). The binomial variance would give 0.048: 0.050 is
    the Sato-type variance."""
    centres = [(11, 25, 10, 27), (16, 4, 22, 10), (14, 5, 7, 12), (2, 14, 1, 16)]
    centres += [(6, 11, 0, 12), (1, 10, 0, 10), (1, 4, 1, 8), (4, 2, 6, 1)]
    strata = [Comparison(a, a + b, c, c + d) for a, b, c, d in centres]
    result = estimate.mantel_haenszel(strata)
    assert result is not None
    assert round(result.estimate, 3) == 0.130
    standard_error = (result.high - result.estimate) / estimate.Z
    assert round(standard_error, 3) == 0.050


def test_the_boundaries_follow_from_the_wilson_limits() -> None:
    """With no events in either group the interval is (−u₂, u₁), u the Wilson upper limits z²/(n+z²)."""
    z2 = estimate.Z**2
    result = estimate.newcombe(0, 10, 0, 20)
    assert result.estimate == 0
    assert math.isclose(result.high, z2 / (10 + z2)) and math.isclose(result.low, -z2 / (20 + z2))
    everyone = estimate.newcombe(10, 10, 0, 20)
    assert everyone.high == 1.0
    assert math.isclose(everyone.low, 1 - math.hypot(z2 / (10 + z2), z2 / (20 + z2)))


counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, counts)
def test_the_interval_holds_the_estimate_and_stays_in_range(first: tuple[int, int], second: tuple[int, int]) -> None:
    result = estimate.newcombe(*first, *second)
    assert -1 <= result.low <= result.estimate <= result.high <= 1
    assert result.low < result.high


@given(counts, counts)
def test_swapping_the_groups_mirrors_the_interval(first: tuple[int, int], second: tuple[int, int]) -> None:
    forward, backward = estimate.newcombe(*first, *second), estimate.newcombe(*second, *first)
    assert math.isclose(forward.estimate, -backward.estimate, abs_tol=1e-12)
    assert math.isclose(forward.low, -backward.high, abs_tol=1e-12)
    assert math.isclose(forward.high, -backward.low, abs_tol=1e-12)


@given(counts)
def test_wilson_holds_the_observed_share(observed: tuple[int, int]) -> None:
    interval = estimate.wilson(*observed)
    assert 0 <= interval.low <= observed[0] / observed[1] <= interval.high <= 1


@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=6))
def test_mantel_haenszel_estimate_lies_between_the_events(
    events: list[tuple[tuple[int, int], tuple[int, int]]],
) -> None:
    strata = [Comparison(x1, n1, x0, n0) for (x1, n1), (x0, n0) in events]
    pooled = estimate.mantel_haenszel(strata)
    singles = [x1 / n1 - x0 / n0 for (x1, n1), (x0, n0) in events]
    assert pooled is not None
    assert min(singles) - 1e-12 <= pooled.estimate <= max(singles) + 1e-12
    assert pooled.low <= pooled.estimate <= pooled.high


def test_one_event_pooled_is_that_event_and_empty_groups_weigh_nothing() -> None:
    alone = estimate.mantel_haenszel([Comparison(50, 80, 5, 20)])
    assert alone is not None and math.isclose(alone.estimate, 50 / 80 - 5 / 20)
    with_empty = estimate.mantel_haenszel([Comparison(50, 80, 5, 20), Comparison(5, 9, 0, 0)])
    assert with_empty == alone
    assert estimate.mantel_haenszel([Comparison(5, 9, 0, 0)]) is None


@pytest.mark.parametrize(
    ("difference", "smallest", "answered", "expected"),
    [
        (Difference(0.12, 0.03, 0.21), 80, 300, Verdict.INTRODUCED_MORE),
        (Difference(-0.12, -0.21, -0.03), 80, 300, Verdict.HELD_OUT_MORE),
        (Difference(0.04, -0.06, 0.14), 80, 300, Verdict.NO_CLEAR_DIFFERENCE),
        (Difference(0.12, 0.03, 0.21), 9, 300, Verdict.TOO_FEW),  # a group under ten people
        (Difference(0.12, 0.03, 0.21), 80, 0, Verdict.TOO_FEW),  # nobody has said whether they came
        (Difference(0.30, 0.01, 0.52), 80, 300, Verdict.TOO_FEW),  # wider than 50 points
        (None, 80, 300, Verdict.TOO_FEW),
    ],
)
def test_the_verdict_rule(difference: Difference | None, smallest: int, answered: int, expected: Verdict) -> None:
    assert estimate.verdict(difference, smallest, answered) == expected


def test_the_verdict_in_plain_words() -> None:
    introduced = Difference(0.12, 0.03, 0.21)
    assert (
        estimate.in_words(Verdict.INTRODUCED_MORE, introduced)
        == "introduced attendees came more often: +12 points, 95 % CI +3 to +21"
    )
    unclear = Difference(0.004, -0.061, 0.07)
    assert estimate.in_words(Verdict.NO_CLEAR_DIFFERENCE, unclear) == "no clear difference: 0 points, 95 % CI −6 to +7"
    assert estimate.in_words(Verdict.TOO_FEW, introduced) == "too few people to tell yet"
    assert "nobody has told me" in estimate.why_too_few(introduced, 80, 0)
    assert "at least 10" in estimate.why_too_few(introduced, 4, 30)
    assert "wider than 50" in estimate.why_too_few(Difference(0.3, 0.0, 0.6), 40, 30)
