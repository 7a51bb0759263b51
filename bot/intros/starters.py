"""A built-in library of conversation starters per interest; organisers can add their own per event."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

LIBRARY: Mapping[str, tuple[str, ...]] = {
    "python": ("What's the last thing you automated with Python?", "Which Python library couldn't you live without?"),
    "recruiting": (
        "What's the hardest role you've had to fill, and how did you crack it?",
        "What makes a candidate stand out to you in the first five minutes?",
    ),
    "hiking": ("What's the best trail you've walked this year?", "Day hikes or multi-day treks?"),
    "design": ("What's a product whose design you secretly envy?", "Sketch first or straight into the tool?"),
    "startups": ("What's the best piece of advice you got from a founder?", "Which early-stage idea excites you now?"),
    "data": ("What's the most surprising thing a dataset ever told you?", "SQL, notebooks or dashboards?"),
    "coffee": ("Where's the best coffee near the venue?", "Espresso, filter or tea in disguise?"),
    "music": ("What's on repeat for you this week?", "Best gig you've been to?"),
    "ai": ("Which AI tool has actually changed how you work?", "What's one thing you'd never hand to an AI?"),
    "marketing": ("What's a campaign you wish you'd made?", "Which channel surprised you lately?"),
    "leadership": ("What's a habit that made you a better lead?", "Who taught you the most about managing people?"),
    "career change": ("What made you switch paths?", "What carried over from your old career that you didn't expect?"),
    "travel": ("Where's the last place that surprised you?", "Window or aisle?"),
    "food": ("What's the best meal you've had in this city?", "What do you cook when friends come over?"),
    "books": ("What are you reading right now?", "Which book do you give as a present?"),
    "running": ("Training for anything at the moment?", "Favourite running route?"),
}
GENERIC: tuple[str, ...] = (
    "What brings you to the event?",
    "What are you hoping to get out of the evening?",
    "What's something you're working on that you're excited about?",
)


def pick_starter(shared: Sequence[str], custom: Mapping[str, Sequence[str]], rng: random.Random) -> str:
    """A starter for the rarest shared interest that has one (organisers' own first), else a generic one."""
    for interest in shared:
        key = interest.casefold()
        choices = tuple(custom.get(key, ())) or LIBRARY.get(key, ())
        if choices:
            return rng.choice(choices)
    return rng.choice(GENERIC)
