"""What each kind of source may store in its `mapping`, checked when a CDE saves it, so that a
typo or a wrong value is refused then rather than failing a run at night."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationError

from app.catalogue.models import MarketKind
from app.core.errors import InvalidInput
from app.core.inputs import StrictInput
from app.leads.models import LeadKind
from app.sources.models import NameKind, SourceKind
from app.sources.tables import TableMapping

DEFAULT_CURRENCIES = ("MMK", "KHR", "LAK", "VND", "CNY", "THB")
Currency = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]


class _Mapping(StrictInput):
    """A stored mapping: a typo in it fails loudly (StrictInput), never drops a setting."""


class WfpMapping(_Mapping):
    # Names the source may add to the catalogue itself (WFP gives markets with coordinates).
    create_missing: list[NameKind] = Field(default_factory=list)
    market_kind: MarketKind = MarketKind.RETAIL  # of the markets it creates


class CbmMapping(_Mapping):
    history_days: Annotated[int, Field(ge=0, le=31)] = 0


class CurrencyMapping(_Mapping):
    currencies: list[Currency] = Field(default_factory=lambda: list(DEFAULT_CURRENCIES))


class FeedMapping(_Mapping):
    kind: LeadKind = LeadKind.BUY
    expires_days: Annotated[int, Field(ge=1, le=90)] = 14
    contact: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


MAPPINGS: dict[SourceKind, type[BaseModel]] = {
    SourceKind.WFP_HDX: WfpMapping,
    SourceKind.CBM_FX: CbmMapping,
    SourceKind.CURRENCY_API: CurrencyMapping,
    SourceKind.RSS_LEADS: FeedMapping,
    SourceKind.CSV_URL: TableMapping,
    SourceKind.HTML_TABLE: TableMapping,
}


def check_mapping(kind: SourceKind, mapping: dict[str, Any]) -> dict[str, Any]:
    """The mapping as stored: checked, with what was left at its default left out."""
    try:
        checked = MAPPINGS[kind].model_validate(mapping)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"mapping of a {kind} source: {problems}") from None
    return checked.model_dump(mode="json", exclude_defaults=True)
