"""The HTTP middleware stack, outermost first: request id → metrics + access log → CORS →
API keys + rate limit → body size limit → routes. Generic: it applies to whatever routers and
mounts ``create_app`` adds (see ``app.api.security`` for which paths need a key)."""

from __future__ import annotations

import re

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api.limits import BodySizeLimit
from app.api.security import AccessControl
from app.config import Settings
from app.observability.metrics import RequestMetrics


def install_middleware(app: FastAPI, settings: Settings) -> None:
    # add_middleware puts each one outside the ones added before it.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessControl, keys=[k.get_secret_value() for k in settings.api_keys],
                       rate_limit=settings.rate_limit, storage_uri=settings.rate_limit_storage,
                       failure_limit=settings.auth_failure_limit)
    if settings.cors_origins:  # closed by default: no CORS headers, browsers on other origins are refused
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           # any header an allowed origin asks for: the openai JS SDK sends its X-Stainless-* headers
                           # (and browser MCP clients mcp-protocol-version), which a fixed list refused at preflight
                           allow_headers=["*"],
                           expose_headers=["X-Request-ID", "Retry-After"])
    app.add_middleware(RequestMetrics)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID", validator=request_id_ok)


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_ok(value: str) -> bool:
    """A client's X-Request-ID is kept when it is a plain token ("req-42", a UUID, a trace id); anything else
    (spaces, newlines that would forge a log line, 200 characters) is replaced by a fresh id. Only UUIDs were
    kept, and every other id a client sent logged a warning."""
    return bool(_REQUEST_ID.fullmatch(value))
