"""The review queue: what a flagged price was compared with, and deciding on several prices at
once. Each decision is curation's own (`publish_price`, `reject_price`), so it is checked and
audited exactly as one taken through the API."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.core.errors import AppError, InvalidInput
from app.prices import curation, plausibility
from app.prices.models import PriceObservation, RejectRequest
from app.prices.publishing import PriceAlerts
from app.text.csvfile import first_error

# One form posts at most a page of prices: more is a mistake, not a review.
MAX_AT_ONCE = 200


@dataclass(frozen=True)
class Comparison:
    """The series' window a price was judged against: its median and how many prices."""

    median: Decimal
    prices: int
    window_days: int = plausibility.WINDOW_DAYS


async def compared_with(
    session: AsyncSession, prices: Sequence[PriceObservation]
) -> dict[int, Comparison]:
    """For each price flagged as an outlier, the window it is compared with now (the window the
    publish check will read). A page holds few outliers, so one query each is cheap."""
    out = {}
    for price in prices:
        if not price.outlier or price.id is None:
            continue
        history = await curation.history_of(session, price)
        if history:
            out[price.id] = Comparison(plausibility.median(history), len(history))
    return out


class Decision(enum.StrEnum):
    PUBLISH = "publish"
    REJECT = "reject"


@dataclass(frozen=True)
class Outcome:
    """One price's result: done, or the error that refused it (its code and detail)."""

    price_id: int
    done: bool
    error: str | None = None
    detail: str | None = None


async def decide_many(
    session: AsyncSession,
    *,
    price_ids: Sequence[int],
    decision: Decision,
    staff: Staff,
    alerts: PriceAlerts,
    reason: str | None = None,
    confirm_outliers: bool = False,
) -> list[Outcome]:
    """Publish or reject each price in turn. A price refused (not pending any more, out of
    scope, an outlier nobody confirmed) is reported and changes nothing; the others are still
    decided, each in a savepoint of its own."""
    staff.require_writer()
    ids = list(dict.fromkeys(price_ids))  # a price ticked twice is decided once
    if not ids:
        raise InvalidInput("select at least one price")
    if len(ids) > MAX_AT_ONCE:
        raise InvalidInput(f"at most {MAX_AT_ONCE} prices at once; select fewer")
    if decision is Decision.REJECT:
        try:  # the API's rule for a reason, whatever form it came in
            reason = RejectRequest(reason=reason or "").reason
        except ValidationError as exc:
            raise InvalidInput(f"reason: {first_error(exc)}") from exc
    outcomes = []
    for price_id in ids:
        try:
            async with session.begin_nested():
                if decision is Decision.PUBLISH:
                    await curation.publish_price(
                        session,
                        price_id=price_id,
                        staff=staff,
                        alerts=alerts,
                        confirm_outlier=confirm_outliers,
                    )
                else:
                    await curation.reject_price(
                        session, price_id=price_id, staff=staff, reason=reason or ""
                    )
        except AppError as exc:
            outcomes.append(Outcome(price_id, False, exc.code, str(exc.detail)))
        else:
            outcomes.append(Outcome(price_id, True))
    return outcomes
