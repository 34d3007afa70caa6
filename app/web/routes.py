"""Serves the chat page at ``/`` and its assets under ``/web``: files inside the package, so it works offline.

The page talks to the public JSON API only (``/v1/...``), like any other client."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

# Everything the page loads comes from this server: a browser refuses anything else.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

router = APIRouter(include_in_schema=False)
router.mount("/web", StaticFiles(directory=STATIC_DIR), name="web")


@router.api_route("/", methods=["GET", "HEAD"])
def page(request: Request) -> HTMLResponse:
    """The page, its absolute links under the root path (``uvicorn --root-path /citewire`` behind a proxy that
    forwards /citewire/…): the scripts then find the API beside themselves (app/web/static/api.js)."""
    root = (request.scope.get("root_path") or "").rstrip("/")
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    if root:
        html = re.sub(r'(src|href)="/(?!/)', lambda m: f'{m.group(1)}="{root}/', html)
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
