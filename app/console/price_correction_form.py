"""The correction form of a price's page: the price's values as the form shows them, and what a
CDE typed read into the API's PriceUpdate, or the problem with each field in the reader's
language. What was typed is kept to show again, so a bad field loses nothing.

Only the fields the CDE changed go into the correction: a price whose day is left alone is not
held to the age limit of a new price, and the audit entry lists what really changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.catalogue.service import CatalogueIndex
from app.core import clock
from app.core.amounts import AmbiguousNumber, NotANumber, check_amount, read_amount
from app.core.errors import InvalidInput
from app.core.i18n import N_
from app.prices.currencies import currency_code
from app.prices.models import PricePublic, PriceType, PriceUpdate
from app.prices.review import Comparison

# What a correction may change: PriceUpdate's fields, in its order, which is the form's.
FIELDS: Final = tuple(name for name in PriceUpdate.model_fields if name != "confirm_outlier")
FORM: Final = ""  # the key of a problem of the whole form, beside those of its fields

PRICE_NEEDED: Final = N_("Write the price.")
AMBIGUOUS: Final = N_(
    "Write the number without thousands separators, with a point for decimals: 1500, not 1,500."
)
NOT_A_NUMBER: Final = N_("This is not a number: write digits, with a point for decimals.")
BAD_AMOUNT: Final = N_("Write an amount above zero, with at most 14 digits before the point.")
CURRENCY_NEEDED: Final = N_("Write the currency.")
UNKNOWN_CURRENCY: Final = N_("MIC does not know this currency: write its code, such as MMK or CNY.")
CHOOSE_UNIT: Final = N_("Choose a unit from the list.")
CHOOSE_TYPE: Final = N_("Choose a price type from the list.")
DAY_NEEDED: Final = N_("Write the day the price was observed.")
BAD_DAY: Final = N_("Write the day as year-month-day, for example 2026-05-31.")
NOT_VALID: Final = N_("This value is not valid.")
NOTHING_CHANGED: Final = N_("Nothing to correct: every value is as it was. Change one first.")
RELOAD: Final = N_("This form is incomplete. Reload the page and correct the price again.")


@dataclass(frozen=True)
class Problem:
    """A message of the console catalog, and the rule's own words (in English, as the API
    gives them) when a rule of the domain refused the value."""

    message: str
    detail: str | None = None


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _plain(amount: Decimal | None) -> str:
    """An amount as a person writes it: 12000, not 12000.0000 or 1.2E+4."""
    return "" if amount is None else f"{amount.normalize():f}"


@dataclass
class Correction:
    """The form as the page shows it: values (the price's, or as typed), the version of the
    price they were read from, and what was wrong with them when sent."""

    values: dict[str, str]
    version: int | None
    confirm_outlier: bool = False
    problems: dict[str, Problem] = field(default_factory=dict)
    # Why the correction sent was not saved: a message of the console catalog, the service's
    # own words, for an outlier what it was compared with, and for a duplicate the price it
    # would repeat.
    message: str | None = None
    detail: str | None = None
    outlier: Comparison | None = None
    twin: int | None = None

    @classmethod
    def of(cls, price: PricePublic, version: int) -> Correction:
        return cls(
            values={
                "price": _plain(price.price),
                "price_min": _plain(price.price_min),
                "price_max": _plain(price.price_max),
                "currency": price.currency,
                "unit": price.unit,
                "price_type": price.price_type.value,
                "observed_on": price.observed_on.isoformat(),
                "note": price.note or "",
            },
            version=version,
        )

    @classmethod
    def read(cls, form: FormData) -> Correction:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        version = text("version")
        return cls(
            values={name: text(name) for name in FIELDS},
            version=int(version) if version.isdigit() and len(version) < 19 else None,
            confirm_outlier=text("confirm_outlier") == "yes",
        )


@dataclass(frozen=True)
class Choices:
    """What the form offers: the catalogue's units, and the market's today as the latest day."""

    units: list[str]
    latest_day: dt.date


def choices(index: CatalogueIndex, price: PricePublic) -> Choices:
    market = index.market(price.market)
    return Choices(
        units=sorted(u.code for u in index.unit_by_id.values()),
        latest_day=clock.today(market.timezone),
    )


def _amount(name: str, *, required: bool) -> Callable[[str], Decimal | None]:
    def parse(text: str) -> Decimal | None:
        try:
            amount = read_amount(text, name)
            check_amount(name, amount)
        except AmbiguousNumber as exc:
            raise _Refused(Problem(AMBIGUOUS)) from exc
        except NotANumber as exc:
            raise _Refused(Problem(NOT_A_NUMBER)) from exc
        except InvalidInput as exc:
            raise _Refused(Problem(BAD_AMOUNT, str(exc.detail))) from exc
        if amount is None and required:
            raise _Refused(Problem(PRICE_NEEDED))
        return amount

    return parse


def _currency(text: str) -> str:
    if not text:
        raise _Refused(Problem(CURRENCY_NEEDED))
    try:
        return currency_code(text)
    except InvalidInput as exc:
        raise _Refused(Problem(UNKNOWN_CURRENCY, str(exc.detail))) from exc


def _unit(index: CatalogueIndex) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            return index.unit(text).code
        except InvalidInput as exc:
            raise _Refused(Problem(CHOOSE_UNIT, str(exc.detail) if text else None)) from exc

    return parse


def _price_type(text: str) -> PriceType:
    try:
        return PriceType(text)
    except ValueError as exc:
        raise _Refused(Problem(CHOOSE_TYPE)) from exc


def _day(text: str) -> dt.date:
    if not text:
        raise _Refused(Problem(DAY_NEEDED))
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _Refused(Problem(BAD_DAY)) from exc


def to_update(form: Correction, price: PricePublic, index: CatalogueIndex) -> PriceUpdate | None:
    """The correction of the fields the form changed, or None with the problems in
    `form.problems`. The domain checks the rest (the day against the market's today, the
    series' median, the scope)."""
    if form.version is None:
        form.problems[FORM] = Problem(RELOAD)
    readers: dict[str, Callable[[str], Any]] = {
        "price": _amount("price", required=True),
        "price_min": _amount("price_min", required=False),
        "price_max": _amount("price_max", required=False),
        "currency": _currency,
        "unit": _unit(index),
        "price_type": _price_type,
        "observed_on": _day,
        "note": lambda text: text or None,
    }
    changed: dict[str, Any] = {}
    for name, read in readers.items():
        try:
            value = read(form.values[name])
        except _Refused as refused:
            form.problems[name] = refused.problem
            continue
        if value != getattr(price, name):
            changed[name] = value
    if form.problems:
        return None
    if not changed:
        form.problems[FORM] = Problem(NOTHING_CHANGED)
        return None
    try:
        return PriceUpdate.model_validate({**changed, "confirm_outlier": form.confirm_outlier})
    except ValidationError as invalid:
        for error in invalid.errors():
            name = str(error["loc"][0]) if error["loc"] else FORM
            form.problems[name if name in FIELDS else FORM] = Problem(NOT_VALID, error["msg"])
        return None
