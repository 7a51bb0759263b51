"""Nobody gets the same introduction twice in one event.

The matcher avoids repeating a pair but allows one when nothing else is possible (a community's weekly rounds
rely on that). For a dated event another round is only worth sending for new people: a member who has already
been introduced to everyone else in their group is taken out of it (left out, told why), and a group that
keeps fewer than two members is not sent at all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from bot.matching import Candidate, Group, LeftOut, LeftOutKind

MET_EVERYONE = "you've already been introduced to everyone I could match you with this round"


def without_repeats(
    groups: tuple[Group, ...], candidates: Collection[Candidate], met: Collection[tuple[int, int]]
) -> tuple[tuple[Group, ...], tuple[LeftOut, ...]]:
    """The groups with every repeated introduction taken out, and the members taken out (to leave out)."""
    if not met:
        return groups, ()
    interests = {c.member_id: c.interests for c in candidates}
    kept_groups: list[Group] = []
    taken_out: list[LeftOut] = []
    for group in groups:
        kept = list(group.members)
        while len(kept) > 1:
            done = next(
                (m for m in kept if all((min(m, o), max(m, o)) in met for o in kept if o != m)),
                None,
            )
            if done is None:
                break
            kept.remove(done)
            taken_out.append(LeftOut(done, MET_EVERYONE, LeftOutKind.NO_PARTNER))
        if len(kept) < 2:
            taken_out += [LeftOut(m, MET_EVERYONE, LeftOutKind.NO_PARTNER) for m in kept]
        elif len(kept) == len(group.members):
            kept_groups.append(group)
        else:
            shared = tuple(i for i in group.shared_interests if sum(1 for m in kept if i in interests.get(m, ())) >= 2)
            roles = {c.member_id: c.role for c in candidates if c.member_id in kept}
            complementary = tuple(r for r in group.complementary_roles if r in roles.values())
            kept_groups.append(
                replace(
                    group,
                    members=tuple(kept),
                    shared_interests=shared,
                    complementary_roles=complementary,
                    repeat=False,
                )
            )
    return tuple(kept_groups), tuple(taken_out)
