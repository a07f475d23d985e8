"""The one rule for a producer's phone number: read as people write it in their country, stored
as E.164, and refused (with the reason) unless it is a mobile number of that country.

Every way a number comes in uses `phone_e164`: the admin API and CSV imports (app.producers),
SMS gateways' senders and recipients (bots.sms.gateways.numbers), a staff member's report
contact (app.accounts.contact) and `mic ask --from` (app.cli). An impossible number such as
`12345` used to be stored as `+9512345`, and a US number accepted for a Myanmar producer; both
are messages that can never arrive.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers
from babel import Locale

from app.core.errors import InvalidInput
from app.text.digits import to_ascii_digits

# Myanmar mobile ranges in use that libphonenumber (9.0.x) does not know yet, as (national
# number prefix, national number length). Myanmar's operators open ranges faster than the
# library follows them, and refusing a farmer's real number is worse than accepting an unused
# one. Source: the MPT ranges of the operator table in github.com/kaungmyatlwin/myanmar-phonenumber
# (itself from the ITU-T numbering plan for Myanmar, itu.int/oth/T0202000092): 09 39x xxxxx is an
# MPT CDMA-800 range. tests/text/test_phones.py fails once the library validates a row: drop it.
MYANMAR_MOBILE_RANGES_MISSING_FROM_LIBRARY: Final = (("939", 9),)

# Kinds of number an SMS can reach; some countries do not tell fixed from mobile apart.
_MOBILE: Final = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)

_IMPOSSIBLE: Final = {
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.ValidationResult.INVALID_LENGTH: "wrong length",
}


# What a written number may hold besides digits: the separators people and gateways put in
# numbers (`(09) 250 000 123`, `(+95) 9-250...`), and once they are gone, a leading `+`.
# libphonenumber would read letters as a keypad's (`25O` -> `256`, an operator's sender name
# `MPT` as digits): a typo must be refused, not dialled.
_SEPARATORS: Final = re.compile(r"[\s\-().]")
_DIGITS: Final = re.compile(r"\+?[0-9]+")


def country_name(code: str) -> str:
    """ "Myanmar" for MM: Babel's English name without its aside ("Myanmar (Burma)")."""
    return str(Locale("en").territories.get(code, code)).split(" (")[0]


def _in_missing_myanmar_range(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return number.country_code == 95 and any(
        national.startswith(prefix) and len(national) == length
        for prefix, length in MYANMAR_MOBILE_RANGES_MISSING_FROM_LIBRARY
    )


def is_mobile_number(number: phonenumbers.PhoneNumber) -> bool:
    """A number an SMS can reach: valid and mobile for libphonenumber, or in a known range it
    lags behind."""
    if _in_missing_myanmar_range(number):
        return True
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE


def _international(digits: str) -> str:
    """`959...` and `00959...` as `+959...`: with no country to read a national number against,
    digits are international. Gateways report senders that way (Android, Kannel drop the `+`)."""
    if digits.startswith("+"):
        return digits
    return "+" + digits.removeprefix("00")


def phone_e164(raw: str, country: str | None) -> str:
    """E.164 for a mobile number of `country`, as people write it there (`09 250 123 456` in
    MM, also in Burmese digits, `+95 9...`, `00 95 9...`). `country=None`: a number in
    international form, with or without its `+` or `00` (`959...`), valid for the country its
    prefix names.

    InvalidInput says why: no number (letters included), a wrong length, a number of another
    country ("+1415... is a US number, producer is in MM"), or not a mobile number there.
    """
    text = _SEPARATORS.sub("", to_ascii_digits(raw))
    where = "" if country else " in international form (+95 9 ...)"
    if not _DIGITS.fullmatch(text):
        raise InvalidInput(f"phone {raw!r} is not a phone number{where}")
    if country is None:
        text = _international(text)
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"phone {raw!r} is not a phone number{where}") from exc
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (
        phonenumbers.ValidationResult.IS_POSSIBLE,
        phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ):
        what = f"{country} number" if country else "number"
        raise InvalidInput(
            f"phone {raw!r} is not a valid {what}: {_IMPOSSIBLE.get(possible, 'invalid')}"
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(number)
    regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
    if country and (country not in regions or (region and region != country)):
        raise InvalidInput(f"{e164} is a {region or regions[0]} number, producer is in {country}")
    if not is_mobile_number(number):
        name = country_name(country or region or regions[0])
        raise InvalidInput(f"phone {raw!r} is not a valid {name} mobile number")
    return e164


def phone_country(e164: str) -> str | None:
    """The country (ISO 3166 code) whose numbering plan an E.164 number belongs to; None for
    text that is no number or a prefix shared by no single country."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number)
