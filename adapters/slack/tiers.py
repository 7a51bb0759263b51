"""Slack's published rate limits for every Web API method the adapter calls: the one place they are written down.

Slack limits each method per workspace per app, in tiers (https://docs.slack.dev/apis/web-api/rate-limits):
Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min, and "special" methods with their own rules.
The tier of each method is on its reference page (https://docs.slack.dev/reference/methods/<method>):

=============================  =========  ===============================================================
method                         tier       how the adapter paces it
=============================  =========  ===============================================================
conversations.open             Tier 3     50/min per workspace (only when the DM or group DM is not cached)
chat.postMessage               special    1/s per conversation ("short bursts >1 allowed"); Slack also has a
                                          workspace-wide limit whose number it does not publish: not paced
chat.update                    Tier 3     50/min per workspace
users.info                     Tier 4     100/min per workspace (answers are cached for 10 minutes)
users.lookupByEmail            Tier 3     50/min per workspace (the CSV import)
views.open                     Tier 4     100/min per workspace
views.publish                  Tier 4     100/min per workspace
files.getUploadURLExternal     Tier 4     100/min per workspace (files_upload_v2, step 1)
files.completeUploadExternal   Tier 4     100/min per workspace (files_upload_v2, step 3)
auth.test                      special    "hundreds of requests per minute": start-up and health only, not paced
=============================  =========  ===============================================================

The tiers are minimums ("50+ per minute"), and a tier is a per-minute budget; pacing sends its calls evenly
(``adapters.slack.pacing``), a little below the published rate, through the budget every replica shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class MethodLimit:
    """One method's published limit: ``per_minute`` calls per workspace (``None``: not paced), and for
    chat.postMessage ``per_conversation_per_second`` in any one conversation."""

    tier: str
    per_minute: float | None
    per_conversation_per_second: float | None = None

    def scaled(self, factor: float) -> MethodLimit:
        """The same limit ``factor`` times faster (tests and benchmarks run the real mechanism on a fast clock)."""
        return replace(
            self,
            per_minute=None if self.per_minute is None else self.per_minute * factor,
            per_conversation_per_second=(
                None if self.per_conversation_per_second is None else self.per_conversation_per_second * factor
            ),
        )


TIER_3 = 50.0
TIER_4 = 100.0

SLACK_METHODS: Mapping[str, MethodLimit] = {
    "conversations.open": MethodLimit("Tier 3", TIER_3),
    "chat.postMessage": MethodLimit("special", None, per_conversation_per_second=1.0),
    "chat.update": MethodLimit("Tier 3", TIER_3),
    "users.info": MethodLimit("Tier 4", TIER_4),
    "users.lookupByEmail": MethodLimit("Tier 3", TIER_3),
    "views.open": MethodLimit("Tier 4", TIER_4),
    "views.publish": MethodLimit("Tier 4", TIER_4),
    "files.getUploadURLExternal": MethodLimit("Tier 4", TIER_4),
    "files.completeUploadExternal": MethodLimit("Tier 4", TIER_4),
    "auth.test": MethodLimit("special", None),
}


def scaled(methods: Mapping[str, MethodLimit], factor: float) -> dict[str, MethodLimit]:
    """Every limit ``factor`` times faster, keeping their ratios."""
    return {name: limit.scaled(factor) for name, limit in methods.items()}
