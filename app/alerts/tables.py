"""The Core tables the outbox's set-based statements read and write, each named once after its
table (claims, results, fallbacks and the fan-out all spell them the same way)."""

from __future__ import annotations

from app.alerts.models import BroadcastText, ChannelPace, Delivery, SmsSpend
from app.catalogue.models import Commodity, Country, Market
from app.core.db import core_table
from app.producers.models import Address, Producer, Subscription

DELIVERY = core_table(Delivery)
BROADCAST_TEXT = core_table(BroadcastText)
CHANNEL_PACE = core_table(ChannelPace)
SMS_SPEND = core_table(SmsSpend)
ADDRESS = core_table(Address)
PRODUCER = core_table(Producer)
SUBSCRIPTION = core_table(Subscription)
COUNTRY = core_table(Country)
COMMODITY = core_table(Commodity)
MARKET = core_table(Market)
