"""Serves the chat page at ``/`` and its assets under ``/web``: files inside the package, so it works offline.

The page talks to the public JSON API only (``/v1/...``), like any other client."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

# Everything the page loads comes from this server: a browser refuses anything else.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

router = APIRouter(include_in_schema=False)
router.mount("/web", StaticFiles(directory=STATIC_DIR), name="web")


@router.api_route("/", methods=["GET", "HEAD"])
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
