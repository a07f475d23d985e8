"""The one place where errors become HTTP responses: {"error": code, "detail": ...}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.strict import explain_body_error
from app.core.errors import AppError, InvalidInput

log = logging.getLogger(__name__)

_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def error_response(status: int, code: str, detail: object) -> JSONResponse:
    return JSONResponse(
        status_code=status, content=jsonable_encoder({"error": code, "detail": detail})
    )


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status_code >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    response = error_response(exc.status_code, exc.code, exc.detail)
    if headers:
        response.headers.update(headers)
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    route = request.scope.get("route")
    route = route if isinstance(route, APIRoute) else None
    detail = [
        {
            "loc": list(e.get("loc", ())),
            "msg": explain_body_error(route, e),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    return error_response(422, InvalidInput.code, detail)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, exc.detail)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
