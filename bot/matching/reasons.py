"""Why each left-out member was left out, only said when it is true.

* too few: fewer people than the smallest group (``sizes.allowed_sizes``).
* no partner: every other member is blocked (or declined), or excluded by the platform or role
  rules (history does not count: a repeat is allowed when nothing else is); the causes are named.
* outnumbered: proven by counting. When no two of the left-out members' kinds
  (platform, consent, role) may meet, each group holds at most one of them and at
  least ``smallest size - 1`` members of kinds they may meet, so at most
  ``partners // (smallest - 1)`` of them can be placed by any arrangement; when
  that many are placed, the rest were left out by the count, not by the matcher.
* odd one out: pairs, an odd count, everyone else placed, and no pair this round
  could take them as a third within the rules (whose rules are named).
* not placed: otherwise (the matcher found no group for them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .scoring import Instance
from .sizes import allowed_sizes
from .types import LeftOutKind

TEXTS = {
    LeftOutKind.NO_PARTNER: "nobody else this round could be matched with you",
    LeftOutKind.OUTNUMBERED: (
        "there were more people like you this round (by role or platform) than people you may be matched with,"
        " and all of those were in groups"
    ),
    LeftOutKind.ODD_ONE_OUT: "there was an odd number of people, and none of the pairs could take you as a third",
    LeftOutKind.NOT_PLACED: "no group could be formed around you within the rules this round",
}
OWN_CONSENT = "you have introductions across platforms turned off (send /crossplatform on to allow them)"
THEIR_CONSENT = "the people on other platforms have introductions across platforms turned off"
DECLINED = "some of them are people you or they blocked, or said no thanks to"
ROLES = "the event's role rules keep people of the same role apart"


def causes(inst: Instance, u: int, others: Iterable[int]) -> list[str]:
    """What keeps ``u`` apart from ``others``, in words, the member's own settings first: their consent to
    introductions across platforms, then others', then a block or a declined proposal (whose, not said), then
    the role rules. A "No thanks" to a double opt-in proposal is a block for the rest of the event."""
    found: set[str] = set()
    for v in others:
        if v == u or inst.compatible(u, v):
            continue
        if inst.platform[u] != inst.platform[v] and not (inst.xok[u] and inst.xok[v]):
            found.add(OWN_CONSENT if not inst.xok[u] else THEIR_CONSENT)
        elif inst.key(u, v) in inst.blocked:
            found.add(DECLINED)
        else:
            found.add(ROLES)
    return [cause for cause in (OWN_CONSENT, THEIR_CONSENT, DECLINED, ROLES) if cause in found]


def _because(text: str, found: list[str]) -> str:
    return f"{text}: {'; '.join(found)}" if found else text


def left_out_reasons(inst: Instance, loose: list[int], groups: list[list[int]]) -> dict[int, tuple[LeftOutKind, str]]:
    n = inst.n
    if not loose:
        return {}
    smallest = allowed_sizes(inst.g)[0]
    if n < smallest:
        text = f"only {n} {'person' if n == 1 else 'people'} this round; a group needs {smallest}"
        return dict.fromkeys(loose, (LeftOutKind.TOO_FEW, text))
    size = Counter(inst.klass)
    out: dict[int, tuple[LeftOutKind, str]] = {}
    rest = []
    for u in loose:
        ok = inst.class_ok[inst.klass[u]]
        allowed = sum(k for c, k in size.items() if ok[c]) - (1 if ok[inst.klass[u]] else 0)
        if allowed <= 0 or not any(inst.compatible(u, v) for v in range(n)):
            out[u] = (LeftOutKind.NO_PARTNER, _because(TEXTS[LeftOutKind.NO_PARTNER], causes(inst, u, range(n))))
        else:
            rest.append(u)
    for u in _outnumbered(inst, rest, size, smallest):
        out[u] = (LeftOutKind.OUTNUMBERED, TEXTS[LeftOutKind.OUTNUMBERED])
    rest = [u for u in rest if u not in out]
    if len(rest) == 1 and len(loose) == 1 and inst.g == 2 and n % 2 == 1:
        u = rest[0]
        if not any(len(grp) == 2 and inst.can_join(grp, u, allow_repeats=True) for grp in groups):
            found = causes(inst, u, (v for grp in groups for v in grp))
            out[u] = (LeftOutKind.ODD_ONE_OUT, _because(TEXTS[LeftOutKind.ODD_ONE_OUT], found))
            rest = []
    for u in rest:
        out[u] = (LeftOutKind.NOT_PLACED, TEXTS[LeftOutKind.NOT_PLACED])
    return out


def _outnumbered(inst: Instance, loose: list[int], size: Counter[int], smallest: int) -> list[int]:
    """The loose members whose being left out the counting argument proves forced."""
    ok = inst.class_ok
    by_class = Counter(inst.klass[u] for u in loose)
    proven: list[int] = []
    candidates = [sorted(by_class)] + [[c] for c in sorted(by_class)] if len(by_class) > 1 else [sorted(by_class)]
    for kinds in candidates:
        if any(ok[a][b] for a in kinds for b in kinds):
            continue  # two of them could meet each other: no counting bound
        if any(u in proven for u in loose if inst.klass[u] in kinds):
            continue
        partners = sum(k for c, k in size.items() if any(ok[a][c] for a in kinds))
        members = sum(size[a] for a in kinds)
        must_leave = members - partners // (smallest - 1)
        left = [u for u in loose if inst.klass[u] in kinds]
        if must_leave >= len(left):
            proven += left
    return proven
