from __future__ import annotations

import subprocess
import sys

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
