"""The /api/v1 router: every domain's api.py, mounted in one place."""

from fastapi import APIRouter, Depends

from app.accounts.api import router as accounts_router
from app.alerts.api import router as alerts_router
from app.api.errors import ERROR_RESPONSES
from app.api.strict import reject_unknown_query
from app.api.text_input import refuse_control_characters
from app.catalogue.api import router as catalogue_router
from app.commands.api import router as commands_router
from app.leads.api import router as leads_router
from app.lifecycle.api import router as lifecycle_router
from app.notices.api import router as notices_router
from app.prices.api import router as prices_router
from app.producers.api import router as producers_router
from app.sources.api import router as sources_router
from app.today.api import router as today_router

api_router = APIRouter(
    prefix="/api/v1",
    responses=ERROR_RESPONSES,
    # Query parameters first: an unknown one is named before its value is looked at.
    dependencies=[Depends(reject_unknown_query), Depends(refuse_control_characters)],
)
api_router.include_router(catalogue_router)
api_router.include_router(prices_router)
api_router.include_router(leads_router)
api_router.include_router(notices_router)
api_router.include_router(producers_router)
api_router.include_router(lifecycle_router)
api_router.include_router(commands_router)
api_router.include_router(alerts_router)
api_router.include_router(sources_router)
api_router.include_router(accounts_router)
api_router.include_router(today_router)
