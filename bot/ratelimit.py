"""Per-platform sending limits, as sliding windows over an injectable clock (no wall-clock sleeps in tests)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RateLimits:
    """A platform's published limits; ``None`` means no limit of that kind."""

    overall_per_second: float | None = None
    per_chat_per_second: float | None = None
    per_group_per_minute: float | None = None


TELEGRAM_LIMITS = RateLimits(overall_per_second=30, per_chat_per_second=1, per_group_per_minute=20)
# Slack limits each Web API method by its tier, per workspace: the adapter paces every call itself through the
# shared budget (adapters/slack/tiers.py, bot.port.Paced). Without a budget (tests), 1/s per chat as before.
SLACK_LIMITS = RateLimits(per_chat_per_second=1)


@dataclass(slots=True)
class _Window:
    limit: int
    span: timedelta
    times: deque[datetime] = field(default_factory=deque)

    def wait(self, now: datetime) -> float:
        """Seconds until one more send fits in the window."""
        while self.times and now - self.times[0] >= self.span:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return (self.times[0] + self.span - now).total_seconds()

    def record(self, now: datetime) -> None:
        self.times.append(now)


@dataclass(slots=True)
class Limiter:
    """Tells the delivery worker how long to wait before a send to a chat, and records sends."""

    limits: dict[str, RateLimits]
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def _window(self, key: tuple[str, str], per: float | None, span: timedelta) -> _Window | None:
        if per is None:
            return None
        window = self._windows.get(key)
        if window is None:
            # "30 per second" is a window of 30 sends over one second; "20 per minute", 20 over a minute.
            window = self._windows[key] = _Window(max(1, round(per)), span)
        return window

    def _windows_for(self, platform: str, chat: str, is_group: bool) -> tuple[_Window | None, _Window | None]:
        limits = self.limits.get(platform, RateLimits())
        overall = self._window(("overall", platform), limits.overall_per_second, timedelta(seconds=1))
        if is_group and limits.per_group_per_minute is not None:
            chat_window = self._window((platform, chat), limits.per_group_per_minute, timedelta(minutes=1))
        else:
            chat_window = self._window((platform, chat), limits.per_chat_per_second, timedelta(seconds=1))
        return overall, chat_window

    def chat_wait(self, platform: str, chat: str, is_group: bool, now: datetime) -> float:
        """How long this chat must wait (the row is deferred rather than blocking others)."""
        _, chat_window = self._windows_for(platform, chat, is_group)
        return chat_window.wait(now) if chat_window else 0.0

    def overall_wait(self, platform: str, now: datetime) -> float:
        """How long every send on the platform must wait (the worker paces itself)."""
        limits = self.limits.get(platform, RateLimits())
        overall = self._window(("overall", platform), limits.overall_per_second, timedelta(seconds=1))
        return overall.wait(now) if overall else 0.0

    def record(self, platform: str, chat: str, is_group: bool, now: datetime) -> None:
        for window in self._windows_for(platform, chat, is_group):
            if window is not None:
                window.record(now)
