"""The one error hierarchy: services raise these, the API and the bots render them."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a user of the service may be shown.

    `code` is stable and machine-readable; `detail` is for humans (and may be structured).
    """

    code = "error"
    status_code = 400

    def __init__(self, detail: Any = None) -> None:
        self.detail = detail if detail is not None else self.code.replace("_", " ")
        super().__init__(str(self.detail))


class NotFound(AppError):
    code = "not_found"
    status_code = 404


class Conflict(AppError):
    code = "conflict"
    status_code = 409


class InvalidInput(AppError):
    code = "invalid_input"
    status_code = 422


class Unauthorized(AppError):
    """No credentials, or credentials that identify nobody."""

    code = "unauthorized"
    status_code = 401


class Forbidden(AppError):
    code = "forbidden"
    status_code = 403


class ConfigurationError(AppError):
    """The service cannot start as configured; the message names what to fix."""

    code = "configuration_error"
    status_code = 500


class Unavailable(AppError):
    """This process cannot do it as installed (a library or font it needs is missing); the
    detail names what to install. Other requests are served as usual."""

    code = "unavailable"
    status_code = 503


class DatabaseUnavailable(AppError):
    """The database cannot be reached or is not at the schema this code expects."""

    code = "database_unavailable"
    status_code = 503
