"""The words a staff member reads for the states and kinds MIC stores as codes: a price's
status and type, a delivery's status and channel, a job run's status. One table each, shared
by every page that shows them."""

from __future__ import annotations

from typing import Final

from app.alerts.models import ChannelName, DeliveryStatus
from app.core.i18n import N_
from app.prices.models import PriceStatus, PriceType
from app.sources.models import RunStatus

PRICE_STATUS: Final = {
    PriceStatus.PENDING: N_("Pending"),
    PriceStatus.PUBLISHED: N_("Published"),
    PriceStatus.REJECTED: N_("Rejected"),
}
PRICE_TYPE: Final = {
    PriceType.FARMGATE: N_("Farm gate"),
    PriceType.WHOLESALE: N_("Wholesale"),
    PriceType.RETAIL: N_("Retail"),
    PriceType.BORDER: N_("Border"),
    PriceType.EXPORT: N_("Export"),
}
DELIVERY_STATUS: Final = {
    DeliveryStatus.QUEUED: N_("Queued"),
    DeliveryStatus.SENDING: N_("Sending"),
    DeliveryStatus.SENT: N_("Sent"),
    DeliveryStatus.DELIVERED: N_("Delivered"),
    DeliveryStatus.ERRORED: N_("Will retry"),
    DeliveryStatus.FAILED: N_("Failed"),
    DeliveryStatus.CANCELLED: N_("Cancelled"),
    DeliveryStatus.HELD: N_("Held (SMS budget)"),
    DeliveryStatus.MERGED: N_("In a digest"),
}
CHANNEL: Final = {
    ChannelName.SMS: N_("SMS"),
    ChannelName.TELEGRAM: N_("Telegram"),
}
RUN_STATUS: Final = {
    RunStatus.RUNNING: N_("Running"),
    RunStatus.SUCCEEDED: N_("Succeeded"),
    RunStatus.FAILED: N_("Failed"),
    RunStatus.SKIPPED: N_("Nothing new"),
    RunStatus.ABANDONED: N_("Abandoned"),
}
