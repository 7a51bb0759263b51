"""Structured logs: one JSON object per line, extras and exceptions included, secrets never shown."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.logs import NOISY_LOGGERS, REDACTOR, add_secret, configure_logging, secrets_from
from bot.settings import load_settings

TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawZ"
SLACK_BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP_TOKEN = "xapp-1-A0123456789-1234567890123-abcdef0123456789"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put the root logger and the redactor back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)
    REDACTOR.clear()


def configured(level: str = "INFO", **kwargs: Any) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level, stream, **kwargs)
    return stream


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    assert all(line.strip() for line in lines)
    return [json.loads(line) for line in lines]


def test_each_record_is_one_json_line_with_the_standard_fields() -> None:
    stream = configured()
    logging.getLogger("tests.ops.logs").info("hello %s", "world")
    logging.getLogger("other").warning("multi\nline")

    first, second = events(stream)
    assert first["level"] == "INFO"
    assert first["logger"] == "tests.ops.logs"
    assert first["msg"] == "hello world"
    assert datetime.fromisoformat(first["ts"]).tzinfo is not None
    assert second == second | {"level": "WARNING", "logger": "other", "msg": "multi\nline"}
    assert "exc" not in first


def test_the_level_filters_and_configuring_twice_does_not_double_lines() -> None:
    configured()
    stream = configured("WARNING")
    log = logging.getLogger("tests.ops.logs")
    log.info("not shown")
    log.warning("shown")
    assert [event["msg"] for event in events(stream)] == ["shown"]


def test_extra_fields_are_top_level_keys() -> None:
    stream = configured()
    when = datetime(2026, 12, 10, 18, 30, tzinfo=UTC)
    logging.getLogger("x").info(
        "icebreaker running", extra={"adapters": ["telegram", "slack"], "port": 8080, "when": when, "level": "x"}
    )
    (event,) = events(stream)
    assert event["adapters"] == ["telegram", "slack"]
    assert event["port"] == 8080
    assert event["when"] == str(when)
    assert event["level"] == "INFO"
    assert event["extra.level"] == "x"


def test_exceptions_are_included_with_their_trace() -> None:
    stream = configured()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("handler failed", extra={"event": "Command"})
    (event,) = events(stream)
    assert event["msg"] == "handler failed"
    assert event["event"] == "Command"
    assert event["level"] == "ERROR"
    assert event["exc"].startswith("Traceback (most recent call last):")
    assert "ValueError: boom" in event["exc"]


def test_registered_secrets_are_masked_in_message_arguments_extras_and_exceptions() -> None:
    stream = configured(secrets=["webhook-secret-42"])
    add_secret('pa"ss\\word')
    add_secret("ab")  # too short to be a secret worth masking: would garble every line
    log = logging.getLogger("x")
    log.info("secret webhook-secret-42 and %s", 'pa"ss\\word', extra={"dsn": 'postgresql://u:pa"ss\\word@db/x'})
    try:
        raise RuntimeError("rejected webhook-secret-42")
    except RuntimeError:
        log.exception("failed with ab")

    text = stream.getvalue()
    assert "webhook-secret-42" not in text
    assert "word" not in text
    first, second = events(stream)
    assert first["msg"] == "secret *** and ***"
    assert first["dsn"] == "postgresql://u:***@db/x"
    assert second["msg"] == "failed with ab"
    assert "RuntimeError: rejected ***" in second["exc"]


def test_token_shaped_strings_are_masked_without_being_registered() -> None:
    stream = configured()
    log = logging.getLogger("x")
    log.info("telegram %s slack %s app %s", TELEGRAM_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN)
    try:
        raise PermissionError(f"invalid_auth for {SLACK_BOT_TOKEN} / {TELEGRAM_TOKEN}")
    except PermissionError:
        log.exception("auth failed", extra={"token": SLACK_APP_TOKEN})

    text = stream.getvalue()
    for token in (TELEGRAM_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawZ"):
        assert token not in text
    first, second = events(stream)
    assert first["msg"] == "telegram *** slack *** app ***"
    assert second["token"] == "***"
    assert "invalid_auth for *** / ***" in second["exc"]


def test_an_httpx_style_request_line_hides_the_bot_token_in_the_url() -> None:
    stream = configured("DEBUG")
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"',
        "POST",
        f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage",
        "HTTP/1.1",
        200,
        "OK",
    )
    # A token of another shape (a self-hosted Bot API test server) is still hidden by the URL rule.
    logging.getLogger("httpx").info("HTTP Request: GET http://127.0.0.1:8081/botTEST:token/getMe")
    first, second = events(stream)
    assert first["msg"] == 'HTTP Request: POST https://api.telegram.org/bot***/sendMessage "HTTP/1.1 200 OK"'
    assert second["msg"] == "HTTP Request: GET http://127.0.0.1:8081/bot***/getMe"


async def test_a_real_httpx_request_log_is_redacted() -> None:
    stream = configured("DEBUG")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post(f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage", json={"text": "hi"})
    requests = [event for event in events(stream) if event["logger"] == "httpx"]
    assert requests, "httpx logs each request at INFO"
    assert TELEGRAM_TOKEN not in stream.getvalue()
    assert any("https://api.telegram.org/bot***/sendMessage" in event["msg"] for event in requests)


def test_noisy_libraries_are_quiet_at_info_but_not_at_debug() -> None:
    stream = configured("INFO")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).info("chatter")
        logging.getLogger(name).warning("trouble")
    assert [(event["logger"], event["msg"]) for event in events(stream)] == [(n, "trouble") for n in NOISY_LOGGERS]

    stream = configured("DEBUG")
    logging.getLogger("httpx").debug("details")
    assert [event["msg"] for event in events(stream)] == ["details"]


def test_every_secret_setting_and_the_database_password_are_collected_for_redaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ICEBREAKER_DATABASE_URL", "postgresql://icebreaker:hunter2hunter2@db/icebreaker")
    monkeypatch.setenv("ICEBREAKER_TELEGRAM_TOKEN", "42:not-token-shaped")
    monkeypatch.setenv("ICEBREAKER_TELEGRAM_WEBHOOK_SECRET", "webhook-secret")
    monkeypatch.setenv("ICEBREAKER_SLACK_SIGNING_SECRET", "signing-secret")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(f"ICEBREAKER_{name}", raising=False)
    secrets = secrets_from(load_settings())
    assert sorted(secrets) == sorted(["42:not-token-shaped", "webhook-secret", "signing-secret", "hunter2hunter2"])

    stream = configured(secrets=secrets)
    logging.getLogger("x").warning("connecting with %s", "42:not-token-shaped")
    logging.getLogger("x").warning("dsn %s", "postgresql+asyncpg://icebreaker:hunter2hunter2@db/icebreaker")
    assert [event["msg"] for event in events(stream)] == [
        "connecting with ***",
        "dsn postgresql+asyncpg://icebreaker:***@db/icebreaker",
    ]
