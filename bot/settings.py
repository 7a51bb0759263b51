"""Settings, read once from the environment (prefix ``ICEBREAKER_``) and passed explicitly."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///icebreaker.db"


class SettingsError(Exception):
    """Start-up configuration is invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ICEBREAKER_", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    organisers: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(),
        description="Who may create events: 'platform:user_id' or a bare user id/name. Empty: anyone.",
    )
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    tick_seconds: float = Field(default=5.0, gt=0, le=300, description="How often the campaign and retries are checked")
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    public_url: str | None = Field(
        default=None, description="Where people reach this process (the dashboard's links); unset: the local address"
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs dashboard links and sessions; unset: one is generated and kept in the database"
    )

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or not value.split("://", 1)[1]:
            raise ValueError("use the address people open, e.g. https://icebreaker.example.org")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("use at least 32 characters: docs/operations.md shows how to make a key")
        return value

    @property
    def behind_https(self) -> bool:
        return self.public_url is not None and self.public_url.startswith("https://")

    @field_validator("organisers", mode="before")
    @classmethod
    def _split_organisers(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        # sqlite+aiosqlite:// is the form older set-ups wrote; every SQLite URL runs on aiosqlite (storage/engine.py).
        if not value.startswith(("sqlite://", "sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError("use sqlite:///path.db or postgresql+asyncpg://user@host/db")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning a validation error into one message per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"ICEBREAKER_{field.upper()}: {error['msg']}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems)) from None
