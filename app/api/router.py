"""The /api/v1 router: every domain's api.py, mounted in one place."""

from fastapi import APIRouter

from app.accounts.api import router as accounts_router
from app.catalogue.api import router as catalogue_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(catalogue_router)
api_router.include_router(accounts_router)
