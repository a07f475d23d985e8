"""Every console page under /console, kept out of the OpenAPI (it is HTML for people)."""

from __future__ import annotations

from fastapi import APIRouter

from app.console import (
    account,
    audit,
    boards,
    compare,
    deliveries,
    home,
    leads,
    notices,
    price_correction,
    prices,
    producer_forms,
    producer_import,
    producers,
    sign_in,
    sources,
)

router = APIRouter(prefix="/console", include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(account.router)
router.include_router(home.router)
# /prices/compare before /prices/{price_id}, which would take "compare" for an id.
router.include_router(compare.router)
router.include_router(prices.router)
router.include_router(price_correction.router)
router.include_router(boards.router)
router.include_router(sources.router)
router.include_router(audit.router)
router.include_router(notices.router)
router.include_router(leads.router)
# The fixed paths (/producers/new, /import, /export) before /producers/{producer_id}.
router.include_router(producer_forms.router)
router.include_router(producer_import.router)
router.include_router(producers.router)
router.include_router(deliveries.router)
