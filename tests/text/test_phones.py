"""The one rule for producers' phone numbers: E.164, a mobile number of their country."""

from __future__ import annotations

import phonenumbers
import pytest

from app.core.errors import InvalidInput
from app.text.phones import (
    MYANMAR_MOBILE_RANGES_MISSING_FROM_LIBRARY,
    phone_country,
    phone_e164,
)


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("09 250 123 789", "MM", "+959250123789"),
        ("၀၉ ၂၅၀ ၁၂၃ ၇၈၉", "MM", "+959250123789"),  # typed with Burmese digits
        ("+95 9 250 123 789", "MM", "+959250123789"),
        ("09 791 234 567", "MM", "+959791234567"),
        ("09 39 123456", "MM", "+95939123456"),  # a range libphonenumber lags behind
        ("012 345 678", "KH", "+85512345678"),
        ("020 5555 1234", "LA", "+8562055551234"),
        ("0912 345 678", "VN", "+84912345678"),
        ("00 95 9 250 123 789", "MM", "+959250123789"),  # Myanmar's international prefix
        ("+95 9 250 123 789", None, "+959250123789"),
        # International form without its + (how Android and Kannel report senders) or with 00.
        ("959250123789", None, "+959250123789"),
        ("00959250123789", None, "+959250123789"),
        ("၉၅၉၂၅၀၁၂၃၇၈၉", None, "+959250123789"),
        ("+95 (9) 250-123.789", None, "+959250123789"),
        # A leading bracket, as numbers are often written on forms and business cards.
        ("(09) 250 123 789", "MM", "+959250123789"),
        ("(+95) 9 250 123 789", None, "+959250123789"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, country: str | None, e164: str) -> None:
    assert phone_e164(raw, country) == e164


@pytest.mark.parametrize(
    ("raw", "country", "reason"),
    [
        ("09 12", "MM", "too short"),
        ("hello", "MM", "not a phone number"),
        ("09 250 123 789 123 4", "MM", "too long"),
        ("12345", "MM", "phone '12345' is not a valid Myanmar mobile number"),
        ("09 123 456 789", "MM", "not a valid Myanmar mobile number"),  # no such range
        ("01 234 567", "MM", "not a valid Myanmar mobile number"),  # a Yangon landline
        ("+1 415 555 0123", "MM", r"\+14155550123 is a US number, producer is in MM"),
        ("+84 912 345 678", "KH", r"\+84912345678 is a VN number, producer is in KH"),
        ("MPT", None, r"'MPT' is not a phone number in international form \(\+95 9 ...\)"),
        # libphonenumber alone reads letters as a keypad's: a typed O is not a 6.
        ("09 25O 123 789", "MM", "not a phone number"),
        ("+959250MPTABC", None, "not a phone number"),
        ("09250123789", None, "not a phone number in international form"),  # national form
        ("", None, "not a phone number"),
        ("+959000000000", None, "not a valid Myanmar mobile number"),
    ],
)
def test_refused_numbers_say_why(raw: str, country: str | None, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        phone_e164(raw, country)


@pytest.mark.parametrize(("prefix", "length"), MYANMAR_MOBILE_RANGES_MISSING_FROM_LIBRARY)
def test_each_extra_myanmar_range_is_still_needed_and_accepted(prefix: str, length: int) -> None:
    national = (prefix + "1234567890")[:length]
    number = phonenumbers.parse(f"+95{national}")
    # When this fails, libphonenumber has caught up: remove the row from the table.
    assert not phonenumbers.is_valid_number(number)
    assert phone_e164(f"0{national}", "MM") == f"+95{national}"
    # The table widens nothing else: one digit more or less is still refused.
    for other in (national[:-1], national + "1"):
        with pytest.raises(InvalidInput):
            phone_e164(f"0{other}", "MM")


@pytest.mark.parametrize(
    ("e164", "country"),
    [
        ("+959250123789", "MM"),
        ("+85512345678", "KH"),
        ("+14155550123", "US"),
        ("not a number", None),
        ("959250123789", None),  # E.164 only: its + is part of it
    ],
)
def test_the_country_of_a_number_is_its_prefix(e164: str, country: str | None) -> None:
    assert phone_country(e164) == country
