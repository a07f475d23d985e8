"""The console's front door, the Today page: what needs the staff member now in their
countries (app.today's summary, the one GET /api/v1/today answers), with links to where each
thing is dealt with and the last day's deliveries as a chart."""

from __future__ import annotations

from collections import Counter
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from app.alerts.models import DeliveryStatus
from app.api.deps import SessionDep, SettingsDep
from app.catalogue.service import country_zones
from app.console.deps import ConsoleStaff
from app.console.labels import CHANNEL, DELIVERY_STATUS, RUN_STATUS
from app.core.i18n import N_, console_translator
from app.text.formatting import Formatter
from app.today.summary import today
from app.web.charts import Bar, bar_chart
from app.web.page import locale_of
from app.web.templates import render

router = APIRouter()

CHART_TITLE: Final = N_("Deliveries in the last 24 hours")
CHART_SUMMARY: Final = N_("Messages created in the last 24 hours, by status.")


@router.get("/")
async def today_page(
    request: Request, session: SessionDep, settings: SettingsDep, staff: ConsoleStaff
) -> Response:
    summary = await today(session, staff=staff, settings=settings)
    zones = await country_zones(session)
    # Times read on the clock of the staff member's one country; on UTC when they cover several.
    zone = zones[summary.countries[0]] if len(summary.countries) == 1 else "UTC"
    translator = console_translator(locale_of(request))
    by_status: Counter[DeliveryStatus] = Counter()
    for row in summary.deliveries:
        by_status[row.status] += row.count
    chart = None
    if by_status:
        fmt = Formatter(translator.locale)
        chart = Markup(  # noqa: S704 - the chart's XML serialiser escaped every text in it
            bar_chart(
                title=translator.gettext(CHART_TITLE),
                summary=translator.gettext(CHART_SUMMARY),
                bars=[
                    Bar(translator.gettext(DELIVERY_STATUS[status]), count)
                    for status, count in sorted(by_status.items(), key=lambda kv: -kv[1])
                ],
                format_count=fmt.number,
            )
        )
    return render(
        request,
        "console/today.html",
        summary=summary,
        zone=zone,
        chart=chart,
        chart_title=CHART_TITLE,
        delivery_status=DELIVERY_STATUS,
        channel=CHANNEL,
        run_status=RUN_STATUS,
    )
