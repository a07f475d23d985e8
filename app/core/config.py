"""Settings, read from MIC_* environment variables and an optional .env file."""

from __future__ import annotations

import ipaddress
import os
import socket
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.db import parse_database_url
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

    # Scheduled collection and housekeeping; on PostgreSQL one process at a time runs them.
    scheduler: bool = True
    # Retention (app/lifecycle/retention.py, run daily): messages producers sent and unfinished
    # conversations are deleted, deliveries lose whom they went to, job runs are deleted.
    inbound_retention_days: int = Field(default=365, ge=1)
    delivery_retention_days: int = Field(default=365, ge=1)
    job_run_retention_days: int = Field(default=90, ge=1)
    # Private hosts sources may fetch from (an on-premise portal), comma-separated; sources
    # fetch only public addresses otherwise.
    source_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Alerts and the outbox dispatcher.
    dispatcher: bool = (
        True  # run the dispatcher in the app process (`mic dispatcher` runs one alone)
    )
    sms_cost_currency: str = "USD"
    # Price of one SMS segment and the daily SMS budget, per country, in sms_cost_currency.
    sms_segment_price: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "MM": Decimal("0.025"),
            "KH": Decimal("0.02"),
            "LA": Decimal("0.02"),
            "VN": Decimal("0.015"),
        }
    )
    sms_daily_budget: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "MM": Decimal(50),
            "KH": Decimal(50),
            "LA": Decimal(50),
            "VN": Decimal(50),
        }
    )
    digest_time: str = Field(default="18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    telegram_rate: float = Field(default=25.0, ge=0)  # messages per second per bot; 0: no limit
    sms_rate: float = Field(default=10.0, ge=0)  # per gateway; 0: no limit
    recipient_interval_s: float = Field(default=1.0, ge=0)  # between two messages to one chat
    dispatch_batch: int = Field(default=100, ge=1, le=1000)
    dispatch_concurrency: int = Field(default=32, ge=1, le=1000)
    dispatch_max_attempts: int = Field(default=8, ge=1)
    dispatch_lease_s: int = Field(default=120, ge=1)
    dispatch_backoff_s: float = Field(default=30.0, gt=0)  # first retry; doubles each time
    dispatch_poll_s: float = Field(default=1.0, gt=0)
    dispatch_send_timeout_s: float = Field(default=30.0, gt=0)  # a gateway that never answers
    # This many different messages failing in a row (nothing sent between) mean the channel is
    # down: it is held and tried again every dispatch_outage_probe_s, costing no attempts.
    dispatch_outage_after: int = Field(default=5, ge=2)
    dispatch_outage_probe_s: float = Field(default=10.0, gt=0)

    # Telegram: with a token, alerts go out through the bot; without one they are printed.
    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org/bot"  # a local Bot API server, or tests
    # webhook: Telegram posts updates to MIC_PUBLIC_URL/webhooks/telegram; polling: development.
    telegram_mode: Literal["webhook", "polling", "off"] = "webhook"
    telegram_webhook_secret: SecretStr = SecretStr("change-me")

    # SMS gateways.
    sms_gateway: Literal["console", "kannel", "android", "twilio"] = "console"
    sms_sender: str = "MIC"  # sender id or short code
    sms_sender_by_country: dict[str, str] = Field(default_factory=dict)  # {"KH": "1294"}
    sms_webhook_secret: SecretStr = SecretStr("change-me")
    public_url: str = "http://127.0.0.1:8000"  # how gateways reach this service (delivery reports)
    sms_replies_per_hour: int = Field(default=10, ge=0)  # per number: a looping phone stops here
    sms_replies_per_minute: int = Field(default=120, ge=0)  # all numbers: an inbound storm
    # Inbound SMS answered at once by one process; the others wait their turn in arrival order.
    # Fifty questions answered side by side share one event loop and each takes fifty times
    # as long; a few at a time, in turn, answers the first ones first and the last no later.
    sms_inbound_concurrency: int = Field(default=8, ge=1)
    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = ""
    kannel_password: SecretStr = SecretStr("")
    android_url: str = (
        ""  # http://PHONE:8080 (local server) or https://api.sms-gate.app/3rdparty/v1
    )
    android_username: str = ""
    android_password: SecretStr = SecretStr("")
    android_signing_key: SecretStr = SecretStr("")
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_base_url: str = "https://api.twilio.com"

    # The web console: a session ends after this long without a request, and this long after
    # sign-in whatever happens.
    console_idle_minutes: int = Field(default=30, ge=1)
    console_session_hours: int = Field(default=12, ge=1)

    # Prometheus metrics (app/api/metrics.py). With a token, /metrics asks for it as a Bearer
    # token; with a port, they are served there (on metrics_host) and the API serves no
    # /metrics; in production, without either, they are not served at all.
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # How long the database facts behind the gauges are reused: a storm of scrapes queries the
    # database at most once in this time.
    metrics_cache_s: float = Field(default=10.0, ge=0)
    # The `process` label of this process's series, and the name its database connections
    # that lead show in pg_stat_activity; unset, host:pid.
    process_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:@-]{1,63}$")
    # What anyone reads without signing in (/, /board/, /cards/, /open/). Open data is published
    # under this licence, named in every download.
    open_data_licence: str = Field(default="CC BY 4.0", min_length=1, max_length=100)
    open_data_licence_url: str = Field(
        default="https://creativecommons.org/licenses/by/4.0/", max_length=300
    )
    # Each client (an IP address; an IPv6 /64) gets a bucket of public_burst requests, refilled
    # at public_rate a second (0: no limit). These buckets are the public routes' alone: the API,
    # the console and the webhooks neither count in them nor wait for them.
    public_rate: float = Field(default=1.0, ge=0)
    public_burst: int = Field(default=60, ge=1)
    public_clients: int = Field(default=10_000, ge=1)  # buckets kept; the least recent go first
    # Public requests one process serves at once: many clients together cannot take every
    # worker and database connection from the console and the API.
    public_concurrency: int = Field(default=8, ge=1)
    # Proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated;
    # empty: none). A request from anywhere else is the client itself, whatever it claims.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    # The public board's share cards draw Chinese with this Noto Sans CJK font (Debian's
    # fonts-noto-cjk); its Simplified Chinese face is used.
    card_cjk_font: Path = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

    @property
    def https(self) -> bool:
        """MIC is reached over https (behind a proxy that ends TLS, its public URL says so)."""
        return self.public_url.lower().startswith("https://")

    @property
    def process_label(self) -> str:
        """Who this process is among the deployment's processes: MIC_PROCESS_NAME or host:pid."""
        return self.process_name or f"{socket.gethostname()}:{os.getpid()}"

    def channel_rate(self, channel: str) -> float:
        return self.telegram_rate if channel == "telegram" else self.sms_rate

    @field_validator("database_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("metrics_token", "metrics_port", "process_name", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`MIC_METRICS_TOKEN=` in a .env file or a compose file means no token, not ""."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("source_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for proxy in value:
            if proxy == "*":  # every peer: only behind a load balancer nothing else can reach
                continue
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"{proxy!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)"
                ) from None
        return value

    @field_validator("open_data_licence", "open_data_licence_url")
    @classmethod
    def _header_safe(cls, value: str) -> str:
        # Both travel in HTTP headers, which carry printable ASCII only.
        value = value.strip()
        if not all(" " <= c <= "~" for c in value):
            raise ValueError("use printable ASCII only: it is sent in HTTP headers")
        return value

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for an SQLite URL, None for other engines or in-memory SQLite."""
        return parse_database_url(self.database_url).sqlite_path

    def check_production_secrets(self) -> None:
        """Refuse to run a production deployment on a secret anyone can read in our repository."""
        if self.env != "production":
            return
        secrets = {"MIC_SECRET_KEY": self.secret_key}
        if self.telegram_token is not None and self.telegram_mode == "webhook":
            secrets["MIC_TELEGRAM_WEBHOOK_SECRET"] = self.telegram_webhook_secret
        if self.sms_gateway == "kannel":
            secrets["MIC_SMS_WEBHOOK_SECRET"] = self.sms_webhook_secret
        if self.metrics_token is not None:
            secrets["MIC_METRICS_TOKEN"] = self.metrics_token
        for name, value in secrets.items():
            if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ConfigurationError(
                    f"{name} is a placeholder; set a random value before running with "
                    "MIC_ENV=production (openssl rand -base64 32)"
                )


@lru_cache
def get_settings() -> Settings:
    return Settings()
