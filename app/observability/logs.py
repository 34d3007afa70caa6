"""Structured logs: one JSON object per line, each carrying the request id of the HTTP request
that caused it (``X-Request-ID``, set by asgi-correlation-id), so one request can be followed
across the access line, warnings and tracebacks."""

from __future__ import annotations

import logging
import sys

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Replace the root handlers with one stderr handler; uvicorn's loggers propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationIdFilter(uuid_length=None, default_value="-"))  # sets record.correlation_id
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            "{asctime}{levelname}{name}{message}{correlation_id}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "correlation_id": "request_id"},
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's ANSI-coloured copy of the message
        ))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]  # the only one: every line is in the chosen format
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # httpx logs every call at INFO ("HTTP Request: POST http://chroma:8000/... 200"): one line per Chroma or LLM call
    # buried the access log. Its warnings and errors stay; at DEBUG everything does.
    logging.getLogger("httpx").setLevel(logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING)
