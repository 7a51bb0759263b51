"""Which group sizes a round makes.

Groups have the configured size g. When the number of people placed is not a
multiple of g, the fewest groups possible are one person off, larger first on a
tie:

* g = 2: pairs, and one trio when the count is odd (a group of 1 is no group).
* g = 3: all trios when the count divides by 3; one group of 4 when it leaves 1
  over (10 -> 3, 3, 4); one pair when it leaves 2 (11 -> 3, 3, 3, 2; 5 -> 3, 2;
  2 -> one pair).
* g = 4: all groups of 4; one of 5 for 1 over (9 -> 4, 5); two of 5 for 2 over
  (10 -> 5, 5), or two trios when there are only 6; one trio for 3 over
  (11 -> 4, 4, 3; 3 -> one trio). Fewer than 3 people make no group.

The matcher ranks arrangements by, in order: priority members placed, members
placed, groups off the size, smaller-than-g groups among those, repeats, how
recent the repeats are, points. So sizes follow the count of people who can be
placed, never the points.
"""

from __future__ import annotations


def allowed_sizes(g: int) -> tuple[int, ...]:
    return (g - 1, g, g + 1) if g - 1 >= 2 else (g, g + 1)


def best_split(m: int, g: int) -> tuple[int, int, int] | None:
    """(groups of g-1, groups of g, groups of g+1) for ``m`` people: fewest groups off
    the size, then fewest small ones; None when ``m`` people make no arrangement."""
    best: tuple[int, int, int] | None = None
    small_sizes = range(g) if g - 1 >= 2 else range(1)
    for small in small_sizes:
        for big in range(g):
            rest = m - small * (g - 1) - big * (g + 1)
            if rest < 0 or rest % g:
                continue
            option = (small, rest // g, big)
            if best is None or (small + big, small) < (best[0] + best[2], best[0]):
                best = option
    return best


def off_size(m: int, g: int) -> tuple[int, int]:
    """(groups off the size, of which smaller) in the best split of ``m`` people."""
    split = best_split(m, g)
    if split is None:
        return (0, 0)
    return (split[0] + split[2], split[0])
