"""The SMS tests' fixtures: Kannel settings, and the alerts tests' fixture for dispatching
quickly."""

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from tests.alerts.conftest import fast

__all__ = ["fast"]

SECRET = "s3cret-for-kannel"


@pytest.fixture
def kannel_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "sms_gateway": "kannel",
            "kannel_username": "mic",
            "sms_webhook_secret": SecretStr(SECRET),
            "sms_replies_per_hour": 3,
        }
    )
