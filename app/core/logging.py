"""Logging set-up: readable lines for a terminal, JSON lines for log collectors, and every line
cleaned of secrets and phone numbers before any handler writes it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

from app.core.masking import mask_log_line
from app.core.redact import redact

# Loggers that may carry handlers of their own (uvicorn's when it is given a log config) and
# that log URLs: the Bot API's with the token, Kannel's sendsms with password, number and text,
# and Kannel's callbacks with `?secret=` in the access log.
_URL_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "httpx", "httpcore", "telegram")


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) without secrets; from INFO up, phone
    numbers are masked too (DEBUG is for a developer's own machine)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_mic_redacted", False):
            return True  # already seen by another handler's filter
        message = redact(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = redact(record.exc_text) if record.exc_text else record.exc_text
        if record.levelno >= logging.INFO:
            message = mask_log_line(message)
            exc_text = exc_text and mask_log_line(exc_text)
        record.msg, record.args, record.exc_text = message, None, exc_text
        record._mic_redacted = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _URL_LOGGERS:
        for own in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in own.filters):
                own.addFilter(RedactingFilter())
    # Alembic narrates every connection at INFO; `mic db` prints its own one-line summary.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # APScheduler logs every start and end of every job at INFO (the source sync runs twice a
    # minute); job runs are in `job_run`, and the scheduler logs what matters itself.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
