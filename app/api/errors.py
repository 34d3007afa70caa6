"""Every error leaves as JSON ``{"error": ..., "detail": ...}`` with a 4xx for anything the client sent."""

from __future__ import annotations

import logging

import httpx
import openai
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ErrorResponse(BaseModel):
    error: str
    detail: object | None = None


ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 413, 415, 422, 429, 503)}
_WHOLE_BODY_TYPES = {"model_attributes_type", "dict_type", "model_type"}


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: object | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail


def _body(error: str, detail: object | None) -> dict:
    return {"error": error, "detail": detail}


def _clean(errors: list[dict]) -> list[dict]:
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors
    ]


def _non_json_body(request: Request, errors: list[dict]) -> str | None:
    """The declared content type when a JSON endpoint got a non-JSON body (else None)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type or content_type == "application/json" or content_type.endswith("+json"):
        return None
    if any(e["loc"] == ["body"] and e["type"] in _WHOLE_BODY_TYPES for e in errors):
        return content_type
    return None


def dependency_failure(exc: Exception) -> tuple[int, str, str] | None:
    """(status, error, detail) when ``exc`` is a dependency failing (the LLM, the Chroma server), else None.

    Shared by the JSON handlers below and by the streams, which must say the same thing as an event."""
    if isinstance(exc, openai.APIConnectionError):
        return 503, "dependency unavailable", f"the LLM endpoint is not reachable: {exc}"
    if isinstance(exc, openai.APIStatusError):
        return 502, "dependency failed", f"the LLM endpoint answered HTTP {exc.status_code}"
    if isinstance(exc, httpx.TransportError):
        return 503, "dependency unavailable", (f"the vector store (Chroma server) is not reachable: "
                                               f"{type(exc).__name__}: {exc}")
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.error, exc.detail), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(exc.errors())
        wrong_type = _non_json_body(request, errors)
        if wrong_type is not None:
            return JSONResponse(_body("unsupported media type",
                                      f"expected a JSON body (Content-Type: application/json), got {wrong_type!r}"),
                                status_code=415)
        if any(e["type"] == "json_invalid" for e in errors):
            return JSONResponse(_body("malformed JSON", errors), status_code=400)
        return JSONResponse(_body("invalid request", errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_body(str(exc.detail), None), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(httpx.TransportError)
    async def _store_down(_: Request, exc: httpx.TransportError) -> JSONResponse:
        # The openai client wraps its own transport errors, so a bare one comes from the Chroma server.
        log.warning("vector store unreachable: %s: %s", type(exc).__name__, exc)
        status, error, detail = dependency_failure(exc)
        return JSONResponse(_body(error, detail), status_code=status, headers={"Retry-After": "5"})

    try:  # the PostgreSQL record (CITEWIRE_LEXICAL_URL) is optional, and so is its driver
        from psycopg import OperationalError as RecordStoreDown
    except ImportError:
        RecordStoreDown = None
    if RecordStoreDown is not None:
        @app.exception_handler(RecordStoreDown)
        async def _record_store_down(_: Request, exc: Exception) -> JSONResponse:
            log.warning("record store unreachable: %s: %s", type(exc).__name__, exc)
            return JSONResponse(_body("dependency unavailable", f"the record store (PostgreSQL) is not reachable: "
                                      f"{type(exc).__name__}: {exc}"), status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(openai.APIConnectionError)
    async def _llm_down(_: Request, exc: openai.APIConnectionError) -> JSONResponse:
        log.warning("LLM endpoint unreachable: %s", exc)
        status, error, detail = dependency_failure(exc)
        return JSONResponse(_body(error, detail), status_code=status, headers={"Retry-After": "5"})

    @app.exception_handler(openai.APIStatusError)
    async def _llm_failed(_: Request, exc: openai.APIStatusError) -> JSONResponse:
        log.warning("LLM endpoint answered %s after retries", exc.status_code)
        status, error, detail = dependency_failure(exc)
        return JSONResponse(_body(error, detail), status_code=status)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(_body("internal error", type(exc).__name__), status_code=500)
