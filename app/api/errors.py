"""The one place where errors become HTTP responses: {"error": code, "detail": ...}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.strict import explain_body_error
from app.core.errors import AppError, InvalidInput

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


class ValidationIssue(BaseModel):
    """One problem with the request: where (`["body", "price"]`, `["query", "cursor"]`) and why."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error response. `error` is stable and machine-readable; `detail` is for humans."""

    error: str
    detail: str


class InvalidInputBody(BaseModel):
    """422: one sentence from the service, or the list of fields the request got wrong."""

    error: str
    detail: str | list[ValidationIssue]


def _documented(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {"description": description, "model": model}


# Documented once for every operation of a router that includes them (see app/api/router.py), so
# the OpenAPI promises what the handlers below really answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The body could not be read (bad_request)"),
    401: _documented("No valid API token (unauthorized)"),
    403: _documented("Outside the token's role or countries (forbidden)"),
    404: _documented("No such thing, or not visible to this token (not_found)"),
    409: _documented("Refused in the current state; the detail says why (conflict)"),
    413: _documented("The request body is over its limit (too_large)"),
    422: _documented("The request is not valid (invalid_input)", InvalidInputBody),
}


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


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # Starlette's outermost middleware calls this for anything unhandled, also from inside other
    # middleware, then re-raises so the server logs the traceback: the client only learns that
    # it was not its fault, in the same shape as every other error.
    return error_response(500, "internal_error", "the service failed; the error is logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
