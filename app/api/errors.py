"""Every error leaves as JSON ``{"error": ..., "detail": ...}`` with a 4xx for anything the client sent."""

from __future__ import annotations

import difflib
import json
import logging
import sqlite3

import httpx
import openai
from chromadb import errors as chromadb_errors
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.api.security import is_openai_path, openai_error_body, route_path
from app.dependency_errors import (
    EmbeddingEndpointError,
    LLMReplyError,
    VectorCollectionMissing,
    classify,
    record_store_error,
)
from app.request_types import error_message
from app.store.failures import store_failure

log = logging.getLogger(__name__)


class ErrorResponse(BaseModel):
    error: str
    detail: object | None = None


ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 413, 415, 422, 429, 502, 503)}
_WHOLE_BODY_TYPES = {"model_attributes_type", "dict_type", "model_type"}


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: object | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.detail, self.headers = status, error, detail, headers


def _body(error: str, detail: object | None) -> dict:
    return {"error": error, "detail": detail}


def _clean(errors: list[dict]) -> list[dict]:
    return [
        {"loc": list(e.get("loc", ())), "msg": error_message(e), "type": e.get("type", "")} for e in errors
    ]


def _with_meant_fields(request: Request, errors: list[dict]) -> list[dict]:
    """A misspelt top-level field ("topk") of a native body also names the field meant, as the OpenAI route does
    ("did you mean top_k?"); the error keeps its place (``loc``) and type."""
    from app.api.schemas import AskRequest, ChatRequest, SearchRequest, SummarizeRequest

    model = {"/v1/ask": AskRequest, "/v1/search": SearchRequest, "/v1/summarize": SummarizeRequest,
             "/v1/chat": ChatRequest}.get(route_path(request.scope))
    if model is None:
        return errors
    out = []
    for error in errors:
        loc = error["loc"]
        meant = _closest(str(loc[1]), model.model_fields) if error["type"] == "extra_forbidden" and len(loc) == 2 \
            else None
        out.append({**error, "msg": f"{error['msg']}: did you mean {meant}?"} if meant else error)
    return out


def _closest(name: str, fields) -> str | None:
    """The field a misspelt name stands for ("topk", "max_word", "asof"), else None."""
    def key(text: str) -> str:
        return text.lower().replace("_", "").replace("-", "")

    keyed = {key(f): f for f in fields}
    found = difflib.get_close_matches(key(name), list(keyed), n=1, cutoff=0.8)
    return keyed[found[0]] if found else None


def _non_json_body(request: Request, errors: list[dict]) -> str | None:
    """The declared content type when a JSON endpoint got a non-JSON body (else None)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type or content_type == "application/json" or content_type.endswith("+json"):
        return None
    if any(e["loc"] == ["body"] and e["type"] in _WHOLE_BODY_TYPES for e in errors):
        return content_type
    return None


def wrong_content_type(request: Request, exc: RequestValidationError) -> str | None:
    """The declared content type when a JSON route got its body as something else (text/plain, a form), which
    FastAPI reports as "Input should be a valid dictionary": said as a 415 on every route (else None)."""
    return _non_json_body(request, _clean(exc.errors()))


def unreadable_body(exc: StarletteHTTPException) -> str | None:
    """Why FastAPI could not read a JSON body that is no JSON syntax error (bytes that are not UTF-8, nesting deeper
    than the parser goes, an integer of more digits than Python converts), else None. FastAPI answers those with a bare "There was an error parsing the body"; the
    reason is the exception it raises from, as /v1/articles (which parses its own body) reports it."""
    cause = exc.__cause__
    # ValueError: bytes that are not UTF-8 (UnicodeDecodeError), an integer past Python's 4,300 digits
    if exc.status_code == 400 and isinstance(cause, (ValueError, RecursionError)):
        return str(cause) or type(cause).__name__
    return None


async def _json_syntax_error(request: Request, error: dict) -> str:
    """The json module's one line ("Expecting value: line 1 column 14 (char 13)"), as /v1/articles (which parses
    its own body) says it: FastAPI's report was a list with the offset as a "loc" and no reason. The body has been
    read already, so parsing it again gives the exact message; pydantic's short reason where it somehow parses."""
    try:
        json.loads(await request.body())
    except json.JSONDecodeError as exc:
        return str(exc)
    except Exception:  # noqa: BLE001 - the body could not be read again: the fallback below says it
        pass
    return str((error.get("ctx") or {}).get("error") or error_message(error))


def dependency_failure(exc: Exception, mid_stream: bool = False) -> tuple[int, str, str] | None:
    """(status, error, detail) when ``exc`` is a dependency failing (the LLM, the Chroma server, the PostgreSQL
    record store), else None: app.dependency_errors decides, for the CLI too.

    Shared by the JSON handlers below and by the streams, which must say the same thing as an event.
    ``mid_stream``: the LLM answered and then broke off, which "is not reachable" misdescribes."""
    failure = classify(exc)
    if failure is None:
        return None
    if mid_stream and isinstance(exc, openai.APIConnectionError):
        return failure.status, failure.error, f"the LLM endpoint stopped answering mid-stream: {exc}"
    return failure.status, failure.error, failure.detail


_OPENAI_ROUTES = "POST /v1/chat/completions, GET /v1/models and GET /v1/models/{model}"


def _openai_http_error(request: Request, exc: StarletteHTTPException) -> dict:
    """Routing's 404/405 on an OpenAI path in OpenAI's shape, with a message the client shows (its SDKs read
    ``error.message``; a bare string there leaves only "Error code: 404")."""
    asked = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return openai_error_body(f"Invalid URL ({asked}): Citewire's OpenAI-compatible API serves {_OPENAI_ROUTES}.",
                                 code="unknown_url")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return openai_error_body(f"Invalid method for URL ({asked}): use {allowed or 'another method'}.",
                                 code="method_not_allowed")
    return openai_error_body(str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.error, exc.detail), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(exc.errors())
        wrong_type = _non_json_body(request, errors)
        if wrong_type is not None:
            return JSONResponse(_body("unsupported media type",
                                      f"expected a JSON body (Content-Type: application/json), got {wrong_type!r}"),
                                status_code=415)
        invalid = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
        if invalid is not None:
            return JSONResponse(_body("malformed JSON", await _json_syntax_error(request, invalid)), status_code=400)
        return JSONResponse(_body("invalid request", _with_meant_fields(request, errors)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if is_openai_path(route_path(request.scope)):  # an unknown URL or method, asked by an OpenAI client
            return JSONResponse(_openai_http_error(request, exc), status_code=exc.status_code, headers=exc.headers)
        reason = unreadable_body(exc)
        if reason is not None:
            return JSONResponse(_body("malformed JSON", reason), status_code=400)
        return JSONResponse(_body(str(exc.detail), None), status_code=exc.status_code, headers=exc.headers)

    async def _dependency_down(_: Request, exc: Exception) -> JSONResponse:
        failure = classify(exc)
        log.warning("%s failed: %s", failure.dependency, failure.message())  # the endpoint and what it said
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
        return JSONResponse(_body(failure.error, failure.detail), status_code=failure.status, headers=headers)

    # A bare httpx error is the Chroma server's (the openai client wraps its own); the PostgreSQL record
    # (CITEWIRE_LEXICAL_URL) is optional, and so is its driver.
    for kind in (httpx.TransportError, record_store_error(), openai.APIConnectionError, openai.APIStatusError,
                 LLMReplyError, EmbeddingEndpointError, VectorCollectionMissing):
        if kind is not None:
            app.add_exception_handler(kind, _dependency_down)

    async def _store_failed(request: Request, exc: Exception) -> JSONResponse:
        """A full disk, a read-only data dir, a locked or too-new record: a 503 naming it (it was a 500). Any other
        error of these classes is a bug: the generic 500, with its traceback in the log."""
        failure = store_failure(exc)
        if failure is None:
            return await _unexpected(request, exc)
        log.error("store failed (%s %s): %s", request.method, request.url.path, failure.message())
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
        return JSONResponse(_body(failure.error, failure.detail), status_code=failure.status, headers=headers)

    # SQLite's errors, a file write's OSError (ENOSPC) and the embedded Chroma's errors, which carry either
    for kind in (sqlite3.Error, OSError, chromadb_errors.ChromaError):
        app.add_exception_handler(kind, _store_failed)

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # the client's doing, not the server's: no traceback, no 500 in the access log (nobody reads the reply)
        log.info("client disconnected before its request body arrived: %s %s", request.method, request.url.path)
        return JSONResponse(_body("request body incomplete", "the client disconnected while sending it"),
                            status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        failure = store_failure(exc)  # one wrapped in another class (an ExceptionGroup, a worker's error)
        if failure is not None:
            return await _store_failed(_, exc)
        log.exception("unhandled error")
        return JSONResponse(_body("internal error", type(exc).__name__), status_code=500)
