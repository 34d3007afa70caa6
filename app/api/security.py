"""Who may call the API and how often: API keys, a per-key rate limit, validated ids, clean HTML.

Applies to the paths under ``PROTECTED_PREFIXES`` (``/v1/`` and ``/mcp``), whatever router adds
them. Open on purpose: ``/``, ``/docs``, ``/redoc``, ``/openapi.json`` (no data), ``/healthz``,
``/readyz`` (probes), ``/metrics`` (scraped from inside the network; see docs/operations.md), and
``/slack/*`` (Slack signs its requests; the Slack adapter checks the signature).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import re
import time
from typing import Annotated

import nh3
from fastapi import Path
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from lxml import etree
from lxml import html as lxml_html
from starlette.datastructures import Headers

from app.ingest.article import ARTICLE_ID
from app.request_types import ARTICLE_ID_RULE

PROTECTED_PREFIXES = ("/v1/", "/mcp")
log = logging.getLogger(__name__)

ArticleIdPath = Annotated[str, Path(
    pattern=ARTICLE_ID.pattern, description=f"Article id: {ARTICLE_ID_RULE}.",
)]


def fingerprint(secret: str) -> str:
    """A short, one-way label for a key, safe to log and to use as a rate-limit bucket."""
    return "key:" + hashlib.sha256(secret.encode()).hexdigest()[:10]


def address_bucket(address: str) -> str:
    """The unit the wrong-key limit counts per: an IPv4 address, or an IPv6 address's /64 (one host is given a whole
    /64, so per address it could guess without limit)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # ::ffff:10.0.0.1, a dual-stack socket's IPv4 client
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def presented_key(headers: Headers) -> str | None:
    """The Bearer key, else the X-API-Key, each without surrounding spaces (an empty Bearer hid a valid X-API-Key)."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return headers.get("x-api-key", "").strip() or None


class KeyRing:
    """The configured keys, compared in constant time (digests of equal length, every key checked)."""

    def __init__(self, keys: list[str]) -> None:
        self._digests = [(hashlib.sha256(k.encode()).digest(), fingerprint(k)) for k in keys if k]

    def __bool__(self) -> bool:
        return bool(self._digests)

    def identify(self, presented: str | None) -> str | None:
        candidate = hashlib.sha256((presented or "").encode()).digest()
        found = None
        for digest, label in self._digests:
            if hmac.compare_digest(candidate, digest) and presented:
                found = label
        return found


class AccessControl:
    """ASGI middleware: 401 without a valid key (when keys are configured), 429 past the rate limit, and 429 for an
    address past ``failure_limit`` requests with a wrong key (they were answered 401 as fast as sent)."""

    def __init__(self, app, keys: list[str], rate_limit: str | None = None,
                 storage_uri: str = "memory://", prefixes: tuple[str, ...] = PROTECTED_PREFIXES,
                 failure_limit: str | None = None) -> None:
        self.app = app
        self.keys = KeyRing(keys)
        self.prefixes = prefixes
        self.limit = parse(rate_limit) if rate_limit else None
        self.failure_limit = parse(failure_limit) if failure_limit and self.keys else None
        storage = storage_from_string(storage_uri) if self.limit or self.failure_limit else None
        self.limiter = MovingWindowRateLimiter(storage) if storage is not None else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            return await self.app(scope, receive, send)
        path = route_path(scope)
        if not path.startswith(self.prefixes):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        address = (scope.get("client") or ("unknown",))[0]
        if self.keys:
            failures = f"auth-failures:{address_bucket(address)}"
            # checked before the key: past the limit a right guess is refused as a wrong one, so guessing is slowed
            if self.failure_limit is not None and not self.limiter.test(self.failure_limit, failures):
                return await self._too_many(send, self.failure_limit, failures, path,
                                            f"too many wrong API keys from this address (at most "
                                            f"{self.failure_limit})")
            presented = presented_key(headers)
            client = self.keys.identify(presented)
            if client is None:
                # only a wrong key counts: a missing one guesses nothing (the web page's first call, a probe)
                if self.failure_limit is not None and presented is not None \
                        and not self.limiter.hit(self.failure_limit, failures):
                    log.warning("too many wrong API keys from %s: its requests get 429 for up to %s",
                                address_bucket(address), self.failure_limit)
                return await _reject(send, 401, "unauthorized",
                                     "send a valid API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                                     {"www-authenticate": 'Bearer realm="citewire"'}, path)
        else:
            client = "addr:" + address
        scope.setdefault("state", {})["client_key"] = client
        if self.limit is not None and not self.limiter.hit(self.limit, client):
            return await self._too_many(send, self.limit, client, path, f"at most {self.limit} per client")
        return await self.app(scope, receive, send)

    async def _too_many(self, send, limit, bucket: str, path: str, what: str) -> None:
        reset = self.limiter.get_window_stats(limit, bucket).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        await _reject(send, 429, "rate limit exceeded", f"{what}; retry after {retry_after} s",
                      {"retry-after": str(retry_after)}, path)


# OpenAI clients read errors as {"error": {"message", "type", "code"}}; every /v1/ path that is not a native route
# answers in that shape: besides the two OpenAI routes Citewire serves, a client that calls any other OpenAI endpoint
# (completions, embeddings, evals, videos, containers, chatkit, ... a list that keeps growing) is an OpenAI client,
# and its 404 must carry a message it can show. The native routes (app/api/ask.py, app/api/articles.py) keep
# {"error", "detail"} on their paths and below them; /v1/chat is native only itself (/v1/chat/completions is OpenAI's).
NATIVE_V1_TREES = ("/v1/ask", "/v1/search", "/v1/summarize", "/v1/articles")
NATIVE_V1_EXACT = ("/v1/chat",)


def route_path(scope) -> str:
    """The path the routes match. Behind ``uvicorn --root-path /citewire`` (or mounted in a parent app) ``scope["path"]``
    starts with ``scope["root_path"]``, which the router takes off before matching: a check of the raw path let
    "/citewire/v1/articles" through without a key, though the router answered it as "/v1/articles"."""
    path, root = scope["path"], (scope.get("root_path") or "").rstrip("/")
    if root and (path == root or path.startswith(root + "/")):  # Starlette's rule: the root, then a "/"
        return path[len(root):] or "/"
    return path


def is_openai_path(path: str) -> bool:
    """Whether an error on ``path`` is read by an OpenAI client: under /v1/ and no native route's."""
    if not path.startswith("/v1/") or path in NATIVE_V1_EXACT:
        return False
    return not any(path == tree or path.startswith(tree + "/") for tree in NATIVE_V1_TREES)


_OPENAI_TYPES = {401: ("authentication_error", "invalid_api_key"), 429: ("rate_limit_error", "rate_limit_exceeded"),
                 413: ("invalid_request_error", "request_too_large")}


def error_payload(path: str, status: int, error: str, detail: str) -> dict:
    """A middleware's rejection in the shape the path's clients read: OpenAI's, or ``{"error", "detail"}``."""
    if is_openai_path(path):
        kind, code = _OPENAI_TYPES[status]
        return openai_error_body(f"{error}: {detail}", kind, code)
    return {"error": error, "detail": detail}


def openai_error_body(message: str, kind: str = "invalid_request_error", code: str | None = None,
                      param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


async def _reject(send, status: int, error: str, detail: str, headers: dict[str, str], path: str = "") -> None:
    body = json.dumps(error_payload(path, status, error, detail)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# Tags trafilatura needs for the text and its metadata (title, date, site name); scripts, styles,
# frames, form controls, event handlers and javascript: links are removed before extraction.
_HTML_TAGS = nh3.ALLOWED_TAGS | {"html", "head", "title", "meta", "body", "article", "main", "section",
                                  "header", "footer", "time", "figure", "figcaption", "nav", "aside", "link"}
# class, id, itemprop, data-component/data-testid, aria-hidden and a style's display/visibility stay on every tag:
# trafilatura reads them (bylines, comment blocks, id="newsletter", itemprop="articleBody", display:none), as it does
# in the CLI's unsanitised file; without them an upload stored cookie banners, newsletter boxes and readers' comments
# as article sentences the CLI left out.
_HTML_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()} | {
    "meta": {"name", "property", "content", "itemprop"}, "time": {"datetime", "itemprop", "pubdate"},
    "html": {"lang"},
    "*": {"class", "role",  # role="presentation": a layout table, not data (html_tables.py)
          "id", "itemprop", "style", "data-component", "data-testid", "aria-hidden"},
    "link": {"rel", "href"},  # rel="canonical": the article's URL, as the CLI reads it from the same file
}
# JSON-LD blocks found in a parsed tree (linear in the page; the regex this replaces was quadratic on a page of
# unclosed "<script " tags). The type matches without regard to case or parameters, as the regex did.
_JSON_LD = ('//script[starts-with(translate(normalize-space(@type), "APPLICATIONLDJSON", "applicationldjson"),'
            ' "application/ld+json")]/text()')
# Real JSON-LD is kilobytes (tens with an articleBody); a larger block is skipped rather than parsed and copied.
_JSON_LD_MAX_CHARS = 1_000_000

_HEAD_ELEMENTS = re.compile(r"<title>.*?</title>|<meta\b[^>]*>|<link\b[^>]*>", re.S | re.I)
_CANONICAL = re.compile(r'\brel="canonical"', re.I)  # the one <link> kept: stylesheets, preloads and imports go
# <form> itself is stripped but not its content: ASP.NET WebForms pages wrap the whole page, article and all, in one
# <form>, and such an upload was refused as "no article text found" (its inputs, buttons and selects still go).
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "noscript",
                         "template", "svg", "math", "button", "select", "textarea"}
_STYLE_PROPERTIES = {"display", "visibility"}  # hidden elements (display:none) are no article text


def sanitise_html(html: str) -> str:
    """Uploaded HTML with everything active stripped, before any text is extracted from it."""
    clean = nh3.clean(html, tags=_HTML_TAGS, attributes=_HTML_ATTRIBUTES, link_rel=None,
                      clean_content_tags=_DROPPED_WITH_CONTENT, filter_style_properties=_STYLE_PROPERTIES)
    # nh3 returns a fragment with <title>, <meta> and <link> among the body's text; back in a <head>, the title stays
    # the title (not the article's first line) and an empty page stays empty, as when the CLI reads the file
    head = "".join(e for e in _HEAD_ELEMENTS.findall(clean) if not e.startswith("<link") or _CANONICAL.search(e))
    head += _json_ld(html)
    return f"<!DOCTYPE html><html><head>{head}</head><body>{_HEAD_ELEMENTS.sub('', clean)}</body></html>"


def _json_ld(html: str) -> str:
    """The page's JSON-LD (where it states its publication date) as inert data: parsed and written back
    with every '<' escaped, so nothing in it can end the element or run; a block that is not JSON
    (or is too large or too deeply nested to parse) is dropped."""
    try:
        root = etree.fromstring(html.encode(), lxml_html.HTMLParser(encoding="utf-8", huge_tree=True))
    except etree.LxmlError:
        return ""
    blocks = []
    for raw in root.xpath(_JSON_LD) if root is not None else []:
        if len(raw) > _JSON_LD_MAX_CHARS:
            continue
        try:
            inert = json.dumps(json.loads(raw)).replace("<", "\\u003c")
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser recurses
            continue
        blocks.append(f'<script type="application/ld+json">{inert}</script>')
    return "".join(blocks)
