"""/webhooks/sms/{gateway}/inbound and /status: authenticated by the gateway adapter, answered
fast. An inbound message is stored and answered in one transaction, the answer in a savepoint,
and the gateway hears 200 only once that is committed: a failure while answering it loses
nothing (the message is committed without its answer, and jobs/inbound.py answers it later),
and a failure to store it is a 5xx, which the gateway retries. Replies go through the outbox;
the dispatcher is woken to send them at once."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from app.alerts.receipts import record_receipt
from app.api.errors import error_response
from app.commands.parse import ParserCache
from app.core.config import Settings
from app.core.db import Database
from app.inbound.sms import receive_sms
from bots.sms.gateways.base import SmsGateway, WebhookInvalid, WebhookRefused, WebhookRequest

log = logging.getLogger("mic.sms")
router = APIRouter(prefix="/webhooks/sms", tags=["webhooks"], include_in_schema=False)


async def _request(request: Request, settings: Settings) -> WebhookRequest:
    """The request as the gateway addressed it: behind a TLS proxy the URL this process sees
    differs from the public one the gateway signed (Twilio), so MIC_PUBLIC_URL is used."""
    body = await request.body()
    url = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url = f"{url}?{request.url.query}"
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return WebhookRequest(
        method=request.method,
        url=url,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=body,
        form=form,
    )


def _gateway(request: Request, name: str) -> SmsGateway | None:
    gateway: SmsGateway = request.app.state.sms_gateway
    return gateway if gateway.name == name else None


def _refused(kind: str, name: str, exc: Exception) -> Response:
    """A forgery gets 403. A genuine request we cannot use (a sender that is no phone number,
    such as an operator's "MPT") is logged and acknowledged: a 4xx would only make the gateway
    retry it for days."""
    if isinstance(exc, WebhookRefused):
        log.warning("%s webhook of %s refused: %s", kind, name, exc)
        return error_response(403, "forbidden", str(exc))
    log.warning("%s webhook of %s dropped: %s", kind, name, exc)
    return Response(status_code=200)


@router.api_route("/{name}/inbound", methods=["GET", "POST"])
async def inbound(name: str, request: Request) -> Response:
    gateway = _gateway(request, name)
    if gateway is None:
        return error_response(404, "not_found", f"the {name} gateway is not configured")
    settings: Settings = request.app.state.settings
    try:
        messages = gateway.read_inbound(await _request(request, settings))
    except (WebhookRefused, WebhookInvalid) as exc:
        return _refused("inbound", name, exc)
    database: Database = request.app.state.database
    parsers: ParserCache = request.app.state.parsers
    turns: asyncio.Semaphore = request.app.state.inbound_turns
    for sms in messages:
        async with turns:  # FIFO: see Settings.sms_inbound_concurrency
            outcome = await receive_sms(
                database,
                parsers,
                settings,
                sender=sms.sender,
                text=sms.text,
                gateway_id=sms.gateway_id,
            )
        if outcome is None:
            continue  # delivered twice: the first delivery is (being) answered
        log.info("SMS from %s via %s: %s", sms.sender, name, outcome.status)
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()
    return Response(status_code=200)  # an empty body: Kannel sends no reply of its own


@router.api_route("/{name}/status", methods=["GET", "POST"])
async def status(name: str, request: Request) -> Response:
    gateway = _gateway(request, name)
    if gateway is None:
        return error_response(404, "not_found", f"the {name} gateway is not configured")
    try:
        receipts = gateway.read_status(await _request(request, request.app.state.settings))
    except (WebhookRefused, WebhookInvalid) as exc:
        return _refused("status", name, exc)
    database: Database = request.app.state.database
    for receipt in receipts:
        if receipt.delivered is None:
            continue  # queued or accepted at the SMSC: nothing changes yet
        async with database.session() as session:
            found = await record_receipt(
                session,
                delivered=receipt.delivered,
                delivery_id=receipt.delivery_id,
                gateway_id=receipt.gateway_id,
                reason=receipt.reason,
            )
        if found is None:
            log.warning(
                "%s report for an unknown delivery (id %s, gateway id %s): ignored",
                name,
                receipt.delivery_id,
                receipt.gateway_id,
            )
    return Response(status_code=200)
