from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


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
