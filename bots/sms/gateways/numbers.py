"""Phone numbers as gateways give them and take them: senders read into E.164, and the number
of a `tel:` URN checked before it is sent anywhere."""

from __future__ import annotations

from app.channels.base import ChannelError, ErrorKind
from app.core.errors import InvalidInput
from app.text.phones import phone_e164
from bots.sms.gateways.base import WebhookInvalid


def to_e164(raw: str) -> str | None:
    """`+959250000001`, `959250000001` or `00959250000001` -> `+959250000001`; None when the
    text is not a possible international number.

    No country is known here to read a national `09...` against, so this is the one rule of
    app.text.phones for international numbers: a mobile number of the country its prefix names,
    written with or without its `+` or `00`, letters refused.
    """
    try:
        return phone_e164(raw, None)
    except InvalidInput:
        return None


def sender_e164(raw: object) -> str:
    """The sender of an inbound webhook in E.164; WebhookInvalid when it is not a number
    (an alphanumeric sender such as an operator's "MPT", a short code, an empty field)."""
    if not isinstance(raw, str):
        raise WebhookInvalid(f"sender {raw!r} is not a phone number")
    number = to_e164(raw)
    if number is None:
        raise WebhookInvalid(f"sender {raw!r} is not a phone number")
    return number


def urn_e164(urn: str) -> str:
    """The E.164 number of a `tel:+959...` URN, for a gateway's To field.

    Not a tel: URN: a routing mistake upstream, permanent but the address itself may be fine
    (on another channel). A tel: URN with an impossible number will never be delivered: the
    address is dead.
    """
    scheme, _, rest = urn.partition(":")
    if scheme != "tel" or not rest:
        raise ChannelError(ErrorKind.PERMANENT, f"{urn!r} is not a tel: URN")
    number = to_e164(rest)
    if number is None:
        raise ChannelError(
            ErrorKind.PERMANENT, f"{urn!r} is not a possible phone number", address_invalid=True
        )
    return number
