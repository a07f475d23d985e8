"""Gateway numbers read by the one phone rule: international digits, with or without + or 00."""

from __future__ import annotations

import pytest

from app.channels.base import ChannelError, ErrorKind
from bots.sms.gateways.base import WebhookInvalid
from bots.sms.gateways.numbers import sender_e164, to_e164, urn_e164


@pytest.mark.parametrize(
    "raw", ["+959250000001", "959250000001", "00959250000001", "+95 9 250-000-001"]
)
def test_senders_in_any_international_form_are_read(raw: str) -> None:
    assert to_e164(raw) == "+959250000001"
    assert sender_e164(raw) == "+959250000001"


@pytest.mark.parametrize("raw", ["MPT", "", "959250MPT001", "09250000001", "12345", 959250000001])
def test_senders_that_are_no_mobile_number_are_refused(raw: object) -> None:
    with pytest.raises(WebhookInvalid, match="is not a phone number"):
        sender_e164(raw)


def test_a_urn_that_is_not_tel_or_not_a_number_is_a_permanent_error() -> None:
    with pytest.raises(ChannelError) as other:
        urn_e164("telegram:42")
    assert other.value.kind is ErrorKind.PERMANENT and not other.value.address_invalid
    with pytest.raises(ChannelError) as dead:
        urn_e164("tel:+95925O000001")
    assert dead.value.kind is ErrorKind.PERMANENT and dead.value.address_invalid
    assert urn_e164("tel:+959250000001") == "+959250000001"
