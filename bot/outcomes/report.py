"""The holdout's part of an organiser's /stats: each group's outcomes and the estimate, in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.messages import MessageBuilder, bold
from bot.outcomes import estimate
from storage.holdouts import GroupCounts


@dataclass(frozen=True, slots=True)
class EventOutcomes:
    introduced: GroupCounts
    held_out: GroupCounts

    @property
    def comparison(self) -> estimate.Comparison:
        return estimate.Comparison(
            self.introduced.attended,
            self.introduced.members,
            self.held_out.attended,
            self.held_out.members,
            self.introduced.answered_attendance + self.held_out.answered_attendance,
        )


def share(count: int, total: int) -> str:
    """``count`` of ``total`` as a share with its count: "81 % (258 of 318)"."""
    if total == 0:
        return f"— (0 of {total})"
    return f"{round(100 * count / total)} % ({count} of {total})"


def answered_share(count: int, answered: int) -> str:
    """``count`` of those who ``answered`` the question; someone who has not said is neither yes nor no."""
    if answered == 0:
        return "— (nobody has answered yet)"
    return f"{round(100 * count / answered)} % ({count} of {answered} who answered)"


def group_line(title: str, counts: GroupCounts) -> str:
    total = counts.members
    return (
        f"{title}: RSVP yes {share(counts.rsvp_yes, total)}  ·  attended {share(counts.attended, total)}  ·  "
        f"met someone new {answered_share(counts.met_someone_new, counts.answered_met)}"
    )


def verdict_of(comparison: estimate.Comparison, difference: estimate.Difference | None) -> str:
    smallest = min(comparison.introduced, comparison.held_out)
    result = estimate.verdict(difference, smallest, comparison.answered)
    words = estimate.in_words(result, difference)
    if result == estimate.Verdict.TOO_FEW:
        words += ": " + estimate.why_too_few(difference, smallest, comparison.answered)
    return words


def lines(outcomes: EventOutcomes) -> tuple[str, ...]:
    """The two groups, who said whether they came, and the verdict: what /stats and the dashboard both show."""
    comparison = outcomes.comparison
    return (
        group_line("Introduced", outcomes.introduced),
        group_line("Held out", outcomes.held_out),
        f"Told me whether they came: {outcomes.introduced.answered_attendance} of {outcomes.introduced.members} "
        f"introduced, {outcomes.held_out.answered_attendance} of {outcomes.held_out.members} held out "
        "(the others count as not there, in both groups alike)",
        "Attendance: " + verdict_of(comparison, estimate.event_difference(comparison)),
    )


def add_event(builder: MessageBuilder, percent: int, seed: int, outcomes: EventOutcomes) -> None:
    builder.line(bold("Do introductions work?"), f" {percent} % of members are held out at random (seed {seed}).")
    for line in lines(outcomes):
        builder.line(line)


def pooled(events: Sequence[EventOutcomes]) -> tuple[estimate.Comparison, estimate.Difference | None] | None:
    """The Mantel–Haenszel estimate across events whose attendance has been asked; None below two of them."""
    asked = [event.comparison for event in events if event.comparison.answered > 0]
    if len(asked) < 2:
        return None
    total = estimate.Comparison(
        sum(c.introduced_attended for c in asked),
        sum(c.introduced for c in asked),
        sum(c.held_out_attended for c in asked),
        sum(c.held_out for c in asked),
        sum(c.answered for c in asked),
    )
    return total, estimate.mantel_haenszel(asked)


def add_pooled(builder: MessageBuilder, events: Sequence[EventOutcomes]) -> None:
    result = pooled(events)
    if result is None:
        return
    total, difference = result
    count = sum(1 for event in events if event.comparison.answered > 0)
    builder.line(
        bold(f"Across your {count} events with a holdout: "),
        verdict_of(total, difference),
        " (Mantel–Haenszel: each event compared within itself, then weighted by its size)",
    )
