"""Settings, read from MIC_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.errors import ConfigurationError

# Values shipped in .env.example and as defaults; a production deployment must replace them.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "placeholder"})

# The six languages MIC speaks; app.core.i18n.LOCALES is derived from this.
Locale = Literal["en", "my", "km", "lo", "vi", "zh"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MIC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/mic.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr = SecretStr("change-me")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    default_locale: Locale = "en"
    # Compiled message catalogs; unset means the locales/ folder of the source tree.
    locales_dir: Path | None = None
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    db_pool_size: int = Field(default=5, ge=1)
    db_connect_timeout_s: int = Field(default=5, ge=1)

    @field_validator("database_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for an SQLite URL, None for other engines or in-memory SQLite."""
        from app.core.db import parse_database_url

        return parse_database_url(self.database_url).sqlite_path

    def check_production_secrets(self) -> None:
        """Refuse to run a production deployment on a secret anyone can read in our repository."""
        if self.env != "production":
            return
        secrets = {"MIC_SECRET_KEY": self.secret_key}
        for name, value in secrets.items():
            if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ConfigurationError(
                    f"{name} is a placeholder; set a random value before running with "
                    "MIC_ENV=production (openssl rand -base64 32)"
                )


@lru_cache
def get_settings() -> Settings:
    return Settings()
