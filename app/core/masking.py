"""Personal data as a reader without the right to it sees it: phone numbers, Telegram chat ids
and buyer contacts masked enough to tell two apart, not enough to call or message anyone.

Every place that shows such data to a viewer (the API) or writes it to a log goes through here.
"""

from __future__ import annotations

import re

import phonenumbers

BULLET = "•"
# What stands in for a buyer's contact: its form (a number, an address) is of no use either.
HIDDEN = "[contact hidden]"

# A phone number as it appears in free text or in a URL: +959250123456, %2B959250123456.
_PHONE_IN_TEXT = re.compile(r"(?:\+|%2B)(\d(?:[ -]?\d){6,14})(?!\d)", re.IGNORECASE)
_TELEGRAM_IN_TEXT = re.compile(r"telegram:(-?\d{5,})")
# A message's text in a gateway's URL (Kannel's sendsms, its inbound callback).
_MESSAGE_PARAM = re.compile(r"(?i)(?<![\w-])(text|body|message)=([^&\s\"']*)")


def mask_phone(e164: str) -> str:
    """+959123456789 -> +95 9••••••789: enough to recognise, not enough to call."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", e164)
        return f"+{digits[:2]}{BULLET * max(len(digits) - 5, 1)}{digits[-3:]}"
    national = str(number.national_number)
    return (
        f"+{number.country_code} {national[0]}{BULLET * max(len(national) - 4, 1)}{national[-3:]}"
    )


def mask_chat_id(chat_id: int | str) -> str:
    """A Telegram chat id: only its last three digits, which tell chats apart in a list."""
    text = str(chat_id)
    return f"{BULLET * max(len(text) - 3, 1)}{text[-3:]}"


def mask_urn(urn: str) -> str:
    """tel:+959123456789 -> tel:+95 9••••••789; telegram:123456789 -> telegram:••••••789."""
    scheme, _, value = urn.partition(":")
    if scheme == "tel":
        return f"tel:{mask_phone(value)}"
    if scheme == "telegram":
        return f"telegram:{mask_chat_id(value)}"
    return urn


def mask_text(text: str, contacts: tuple[str, ...] = ()) -> str:
    """A message as a viewer may read it: each of `contacts` (in any of the forms it was
    written in) hidden, then every phone number and Telegram address left masked."""
    for contact in sorted({c for c in contacts if c}, key=len, reverse=True):
        text = text.replace(contact, HIDDEN)
    return mask_numbers(text)


def mask_log_line(text: str) -> str:
    """A log line without what producers said or were told, nor their numbers."""
    return mask_numbers(_MESSAGE_PARAM.sub(lambda m: f"{m.group(1)}=[{len(m.group(2))}]", text))


def mask_numbers(text: str) -> str:
    """Phone numbers and Telegram chat ids in free text (a log line, a message) masked."""
    text = _PHONE_IN_TEXT.sub(
        lambda m: mask_phone("+" + re.sub(r"\D", "", m.group(1))).replace(" ", ""), text
    )
    return _TELEGRAM_IN_TEXT.sub(lambda m: f"telegram:{mask_chat_id(m.group(1))}", text)
