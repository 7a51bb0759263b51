"""Structured logs: one JSON object per line on stderr, with secrets and token-shaped strings redacted.

Redaction happens in the formatter, on every string that reaches the line (the message with its arguments,
``extra`` values, the exception trace), before JSON encoding: a secret is caught whatever logged it (httpx
puts the Telegram token in the Bot API URL it logs) and the output stays valid JSON.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import Settings

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter "secrets" would mask ordinary words in every line

# Shapes of credentials worth masking even when nobody registered them.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/bot[^/\s:\"']*:[^/\s\"']+"), "/bot" + MASK),  # Bot API URLs: https://…/bot<token>/method
    (re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}"), MASK),  # a Telegram bot token
    (re.compile(r"xox[abposr]-[A-Za-z0-9-]+"), MASK),  # Slack bot, user and legacy tokens
    (re.compile(r"xapp-[A-Za-z0-9-]+"), MASK),  # a Slack app-level (Socket Mode) token
)

# Chatty at INFO: every HTTP request (with the token in the URL), every scheduler tick.
NOISY_LOGGERS = ("httpx", "httpcore", "apscheduler")

# Attributes every LogRecord has: anything else on a record came from ``extra={...}``.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


class Redactor:
    """Masks registered secret values (longest first) and then the token-shaped patterns."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()

    def add(self, value: str) -> None:
        if len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
            self._secrets = tuple(sorted((*self._secrets, value), key=len, reverse=True))

    def clear(self) -> None:
        self._secrets = ()

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in PATTERNS:
            text = pattern.sub(replacement, text)
        return text


REDACTOR = Redactor()


def add_secret(value: str) -> None:
    """Never let ``value`` appear in a log line again (tokens, signing secrets, passwords in URLs)."""
    REDACTOR.add(value)


def secrets_from(settings: Settings) -> list[str]:
    """Every ``SecretStr`` setting (tokens, signing and webhook secrets) and the database password."""
    values = [getattr(settings, name) for name in type(settings).model_fields]
    secrets = [value.get_secret_value() for value in values if isinstance(value, SecretStr)]
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    return [*secrets, *([str(password)] if password else [])]


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra, "exc"?}`` on one line; every string passes the redactor."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                event[f"extra.{key}" if key in event else key] = value
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            event["exc"] = record.exc_text
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(self._clean(event), ensure_ascii=False)

    def _clean(self, value: Any) -> Any:
        """A JSON-ready copy with every string redacted; unknown types become their ``str``."""
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self.redact(str(k)): self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._clean(v) for v in value]
        return self.redact(str(value))


class _JsonHandler(logging.StreamHandler[TextIO]):
    """Marks the handler we installed, so configuring twice replaces it instead of doubling every line."""


def configure_logging(level: str, stream: TextIO | None = None, *, secrets: Iterable[str] = ()) -> None:
    """Send every log record to ``stream`` (default stderr) as redacted JSON lines, at ``level`` and above."""
    for secret in secrets:
        add_secret(secret)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter(REDACTOR))
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = level.upper() != "DEBUG"
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
