from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.errors import ConfigurationError


def test_defaults_are_a_local_sqlite_service(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MIC_DATABASE_URL", "MIC_PORT", "MIC_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./var/mic.db"
    assert settings.port == 8000
    assert settings.sqlite_path == Path("var/mic.db")


def test_reads_prefixed_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("MIC_PORT=9001\nMIC_LOG_FORMAT=json\n")
    monkeypatch.setenv("MIC_PORT", "9100")  # the environment wins over the file
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.port == 9100
    assert settings.log_format == "json"


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIC_PORT", "eighty")
    with pytest.raises(ValidationError, match="port"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_secrets_do_not_leak_into_repr() -> None:
    settings = Settings(_env_file=None, secret_key="s3cr3t-value")  # type: ignore[call-arg]
    assert "s3cr3t-value" not in repr(settings)


@pytest.mark.parametrize("secret", ["change-me", "", "  CHANGE-ME "])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    settings = Settings(_env_file=None, env="production", secret_key=secret)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="MIC_SECRET_KEY is a placeholder"):
        settings.check_production_secrets()


def test_production_accepts_a_real_secret_and_development_a_placeholder() -> None:
    Settings(_env_file=None, env="production", secret_key="x" * 40).check_production_secrets()  # type: ignore[call-arg]
    Settings(_env_file=None, env="development").check_production_secrets()  # type: ignore[call-arg]
