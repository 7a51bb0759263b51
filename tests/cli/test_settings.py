from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings


def test_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICEBREAKER_HTTP_PORT", "eighty")
    monkeypatch.setenv("ICEBREAKER_DATABASE_URL", "mysql://nope")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "ICEBREAKER_HTTP_PORT" in str(error.value)
    assert "ICEBREAKER_DATABASE_URL" in str(error.value)


def test_defaults_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICEBREAKER_ORGANISERS", "telegram:42, slack:U1 ,")
    monkeypatch.setenv("ICEBREAKER_TELEGRAM_TOKEN", "123:secret")
    monkeypatch.setenv("ICEBREAKER_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    settings = load_settings()
    assert settings.organisers == frozenset({"telegram:42", "slack:U1"})
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1/test"
    assert "123:secret" not in repr(settings)  # tokens never reach a log by accident
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value() == "123:secret"


@pytest.mark.parametrize("command", ["shell", "run", "db", "demo"])
def test_every_subcommand_help_lists_its_options_and_environment(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "options:" in result.stdout
    if command == "run":  # run reads every setting: the list is the settings object's own fields
        for name in Settings.model_fields:
            assert f"ICEBREAKER_{name.upper()}" in result.stdout, name
    elif command == "demo":
        assert "reads no environment variable" in result.stdout
    else:
        assert "environment variables read:\n  ICEBREAKER_DATABASE_URL" in result.stdout


@pytest.mark.parametrize("platform", ["telegram", "slack"])
def test_an_unreachable_platform_at_start_up_is_one_clear_line(tmp_path: Path, platform: str) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = {
        "telegram": {
            "ICEBREAKER_TELEGRAM_TOKEN": "123:abc",
            "ICEBREAKER_TELEGRAM_API_URL": f"http://127.0.0.1:{port}/bot",
        },
        "slack": {
            "ICEBREAKER_SLACK_BOT_TOKEN": "xoxb-1",
            "ICEBREAKER_SLACK_SIGNING_SECRET": "secret",
            "ICEBREAKER_SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        },
    }[platform]
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("ICEBREAKER_")}
        | settings
        | {
            "ICEBREAKER_HTTP_PORT": "0",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout  # was: a traceback from httpx through PTB
    lines = [line for line in result.stderr.splitlines() if f"Could not start {platform}" in line]
    assert len(lines) == 1 and "Check its token and that its API can be reached from here." in lines[0]


def test_run_without_a_platform_is_one_line_naming_the_variables(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICEBREAKER_")} | {
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines  # was: seven lines
    for name in ("ICEBREAKER_TELEGRAM_TOKEN", "ICEBREAKER_SLACK_BOT_TOKEN", "ICEBREAKER_SLACK_APP_TOKEN"):
        assert name in lines[0]
    assert not list(tmp_path.iterdir())  # nothing started: no database file left behind


def _run_once(tmp_path: Path, settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("ICEBREAKER_")}
        | settings
        | {
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_busy_http_port_at_start_up_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:  # another process (a shell serving the dashboard, say) holds the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_once(tmp_path, {"ICEBREAKER_TELEGRAM_TOKEN": "123:abc", "ICEBREAKER_HTTP_PORT": str(port)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout  # was: OSError: [Errno 98] Address already in use
    assert f"Could not listen on 127.0.0.1:{port}" in result.stderr and "ICEBREAKER_HTTP_PORT" in result.stderr


def test_slack_without_its_signing_secret_at_start_up_is_one_clear_line(tmp_path: Path) -> None:
    result = _run_once(tmp_path, {"ICEBREAKER_SLACK_BOT_TOKEN": "xoxb-1", "ICEBREAKER_HTTP_PORT": "0"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout  # was: a traceback ending in SettingsError
    assert "ICEBREAKER_SLACK_SIGNING_SECRET is required in HTTP mode" in result.stderr
