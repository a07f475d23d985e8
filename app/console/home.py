"""The console's front door. Until the Today page exists it leads to your account."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from app.console.deps import ACCOUNT, ConsoleStaff

router = APIRouter()


@router.get("/")
async def home(_staff: ConsoleStaff) -> RedirectResponse:
    return RedirectResponse(ACCOUNT, status_code=303)
