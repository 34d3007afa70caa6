"""Every error leaves as JSON ``{"error": ..., "detail": ...}`` with a 4xx for anything the client sent."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ErrorResponse(BaseModel):
    error: str
    detail: object | None = None


ERRORS = {status: {"model": ErrorResponse} for status in (400, 404, 413, 415, 422)}


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.error, exc.detail), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(exc.errors())
        if any(e["type"] == "json_invalid" for e in errors):
            return JSONResponse(_body("malformed JSON", errors), status_code=400)
        return JSONResponse(_body("invalid request", errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_body(str(exc.detail), None), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(_body("internal error", type(exc).__name__), status_code=500)
