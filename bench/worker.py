"""One dispatcher process for the dispatch and crash benchmarks, sending SMS to the fake gateway.

python -m bench.worker DATABASE_URL GATEWAY_URL RATE LEASE_S
"""

from __future__ import annotations

import asyncio
import logging
import sys

from app.alerts.models import ChannelName
from app.core.config import Settings
from bench.http_channel import HttpGatewayChannel
from jobs.dispatcher import run_dispatcher

CONCURRENCY = 32


def settings_for(database_url: str, rate: float, lease_s: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        sms_rate=rate,
        recipient_interval_s=1.0,
        dispatch_concurrency=CONCURRENCY,
        dispatch_batch=100,
        dispatch_lease_s=lease_s,
        dispatch_poll_s=0.05,
        sms_daily_budget={},
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    database_url, gateway, rate, lease = sys.argv[1:5]
    settings = settings_for(database_url, float(rate), int(lease))
    channel = HttpGatewayChannel("sms", gateway, CONCURRENCY)
    asyncio.run(run_dispatcher(settings, {ChannelName.SMS: channel}))


if __name__ == "__main__":
    main()
