"""GET /today: what needs the staff member now."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import SessionDep, SettingsDep, StaffDep
from app.today import summary
from app.today.models import TodayOut

router = APIRouter(tags=["today"])


@router.get("/today")
async def today(session: SessionDep, staff: StaffDep, settings: SettingsDep) -> TodayOut:
    """For the caller's countries: pending prices and field reports and leads to verify (how
    many, the oldest), each country's SMS budget left today and its held SMS, failed or
    abandoned job runs and the deliveries of the last 24 hours (per status and channel),
    followed series gone stale past their own window, and source names waiting to be mapped."""
    return await summary.today(session, staff=staff, settings=settings)
