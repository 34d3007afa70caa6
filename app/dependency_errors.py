"""Which dependency failed (the LLM endpoint, the Chroma server, the PostgreSQL record store), decided
once here for the HTTP API (status, error, detail, Retry-After) and the CLI (its one-line message).

A bottom-layer module (pyproject.toml's import-linter layers): it imports nothing from Citewire, so the
API, the CLI and anything between can use it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx

if TYPE_CHECKING:
    import openai

UNAVAILABLE = "dependency unavailable"  # down or unreachable: 503, worth retrying later
FAILED = "dependency failed"  # it answered, with an error: 502
RETRY_AFTER_S = 5


def _openai():
    """The openai module once something imported it (an LLM or embeddings client was made), else None: no openai
    error can have been raised then, and a CLI command without an LLM does not pay ~0.9 s to import it."""
    return sys.modules.get("openai")


def _is_openai(exc: BaseException, name: str) -> bool:
    """``isinstance(exc, openai.<name>)``; False while openai is still being imported (its classes not yet defined)."""
    cls = getattr(_openai(), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


@lru_cache(maxsize=1)
def record_store_error() -> type[Exception] | None:
    """psycopg's OperationalError (server down, connection lost), or None: the driver is optional."""
    try:
        from psycopg import OperationalError
    except ImportError:
        return None
    return OperationalError


class EmbeddingEndpointError(Exception):
    """The OpenAI-compatible embeddings endpoint (CITEWIRE_EMBED_BASE_URL) failed: raised by app/embed so that it
    is not read as the LLM endpoint's failure (both speak through the openai client). ``__cause__`` is the
    client's error."""

    def __init__(self, endpoint: str, cause: openai.OpenAIError | str, status_code: int | None = None) -> None:
        super().__init__(str(cause))
        self.endpoint = endpoint
        self.status_code = cause.status_code if _is_openai(cause, "APIStatusError") else status_code

    def __reduce__(self):  # pickled or copied (an ingest worker's error): the message and status, not the client
        return type(self), (self.endpoint, str(self), self.status_code)


class LLMReplyError(Exception):
    """The LLM endpoint answered 200 with something that is not an OpenAI chat completion (a web UI's HTML page at
    CITEWIRE_LLM_BASE_URL, an empty stream): raised by app/llm/client.py so that it is a 502 on every path, not a
    crash on one (AttributeError) and "the model found no answer" on the streamed ones."""

    HINT = "is CITEWIRE_LLM_BASE_URL the address of the API (often ending in /v1), not of a web page?"

    def __init__(self, endpoint: str, got: str) -> None:
        self.endpoint = public_url(endpoint)
        self.got = got  # what came instead: "text/html", "an event stream with no chat completion chunk"
        super().__init__(f"the reply of the LLM endpoint {self.endpoint} is not an OpenAI chat completion (got {got})")

    def __reduce__(self):
        return type(self), (self.endpoint, self.got)


def public_url(url: str | object | None) -> str:
    """An endpoint's URL fit for an error message: no user:password@, no query (where keys can ride), and the base
    URL the user configured rather than the path the openai client appended (/chat/completions)."""
    if not url:
        return ""
    parts = urlsplit(str(url))
    host = parts.netloc.rpartition("@")[2]
    path = parts.path.removesuffix("/chat/completions").rstrip("/")
    return urlunsplit((parts.scheme, host, path, "", ""))


def _endpoint(exc: BaseException, fallback: str | None = None) -> str:
    """The URL the openai client was asking when ``exc`` was raised, else ``fallback`` (the setting), made public."""
    if isinstance(exc, LLMReplyError):
        return exc.endpoint
    request = getattr(exc, "request", None) if _is_openai(exc, "APIError") else None
    return public_url(getattr(request, "url", None) or fallback)


def _endpoint_says(exc: BaseException) -> str:
    """The endpoint's own error message ("model not found") from an HTTP error's body, one line and short; none for
    401/403, whose messages may echo part of a key."""
    if getattr(exc, "status_code", None) in (401, 403):
        return ""
    body = getattr(exc, "body", None)  # openai's: the "error" object of an OpenAI-shaped body, else the body
    said = None
    if isinstance(body, dict):
        said = body.get("message") or body.get("detail") or body.get("error")
        if isinstance(said, dict):
            said = said.get("message")
    elif isinstance(body, str) and not body.lstrip().startswith("<"):  # plain text, not an HTML error page
        said = body
    said = " ".join(str(said).split()) if said else ""
    return said if len(said) <= 200 else said[:199] + "…"


def _attempts(exc: BaseException) -> str:
    """" (4 attempts, each limited to 3 s by CITEWIRE_LLM_TIMEOUT)" for a timeout: CITEWIRE_LLM_TIMEOUT bounds each attempt, and the openai client
    retries a timed-out one, which a user reading "timed out" after 4 × the setting could not tell."""
    if not _is_openai(exc, "APITimeoutError"):
        return ""
    request = exc.request
    try:
        attempts = int(request.headers.get("x-stainless-retry-count", "0")) + 1
        limit = (request.extensions.get("timeout") or {}).get("read")
    except (TypeError, ValueError):
        return ""
    each = f", each limited to {limit:g} s by CITEWIRE_LLM_TIMEOUT" if isinstance(limit, (int, float)) else ""
    return f" ({attempts} attempt{'s' if attempts > 1 else ''}{each})"


class VectorCollectionMissing(Exception):
    """The Chroma server answers but has no collection of this name: a new or restored volume without it. The
    stores reopen it by name once it is back (``citewire repair`` re-embeds every chunk into a new one)."""

    def __init__(self, collection: str) -> None:
        super().__init__(f"the vector store has no collection {collection!r} (a new or restored Chroma volume?): "
                         "run `citewire repair` to re-embed every chunk into it")


@dataclass(frozen=True)
class DependencyFailure:
    dependency: str  # "llm", "embeddings", "vector store" or "record store"
    status: int  # the HTTP status the API answers with
    error: str  # UNAVAILABLE or FAILED
    detail: str  # the API's detail
    retry_after: int | None  # seconds, for a dependency that is down (None: it answered)
    exc: BaseException

    def message(self, llm_endpoint: str | None = None, url: str | None = None) -> str:
        """The CLI's one line (after ``error: ``); ``url`` is the server ``citewire eval --url`` talks to."""
        exc = self.exc
        if isinstance(exc, EmbeddingEndpointError):
            if exc.status_code is not None:
                return f"the embeddings endpoint {exc.endpoint} answered HTTP {exc.status_code}"
            return f"the embeddings endpoint {exc.endpoint} is unreachable: {_reason(exc.__cause__ or exc)}"
        if isinstance(exc, LLMReplyError):
            return f"{exc}: {exc.HINT}"
        if self.dependency == "llm" and _is_openai(exc, "APIStatusError"):
            return _answered(_endpoint(exc, llm_endpoint), exc)
        if self.dependency == "llm":
            where = _endpoint(exc, llm_endpoint)
            return f"the LLM endpoint {where} is unreachable: {_reason(exc)}{_attempts(exc)}".replace("  ", " ")
        if isinstance(exc, VectorCollectionMissing):
            return str(exc)
        where = url if self.dependency == "vector store" and url else _NAMES[self.dependency]
        return f"cannot reach {where}: {type(exc).__name__}: {_one_line(exc)}"


def _answered(endpoint: str, exc: BaseException) -> str:
    """"the LLM endpoint URL answered HTTP 404: model 'x' not found": what it said tells a wrong CITEWIRE_LLM_MODEL
    from a wrong URL."""
    said = _endpoint_says(exc)
    return f"the LLM endpoint {endpoint} answered HTTP {exc.status_code}{': ' + said if said else ''}".replace(
        "  ", " ")


def _one_line(exc: BaseException) -> str:
    """psycopg's messages hold "\n\t" hints ("Is the server running…"): one line for logs, JSON and the CLI."""
    return " ".join(str(exc).split())


_NAMES = {"vector store": "the vector store (Chroma server)", "record store": "the record store (PostgreSQL)"}


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{exc} ({type(cause).__name__}: {cause})" if cause and str(cause) else str(exc) or type(exc).__name__


def classify(exc: BaseException) -> DependencyFailure | None:
    """The failing dependency behind ``exc``, or None when it is not one of them."""
    if isinstance(exc, EmbeddingEndpointError):
        if exc.status_code is not None:
            return DependencyFailure("embeddings", 502, FAILED, f"the embeddings endpoint answered HTTP "
                                     f"{exc.status_code}", None, exc)
        return DependencyFailure("embeddings", 503, UNAVAILABLE, f"the embeddings endpoint is not reachable: {exc}",
                                 RETRY_AFTER_S, exc)
    if isinstance(exc, VectorCollectionMissing):
        return DependencyFailure("vector store", 503, UNAVAILABLE, str(exc), RETRY_AFTER_S, exc)
    # The API's detail names neither the LLM endpoint nor what it said (an internal address; OpenAI's 429 names the
    # account's organisation): both go to the server log and the CLI (``message``), as for the embeddings endpoint.
    if isinstance(exc, LLMReplyError):
        return DependencyFailure("llm", 502, FAILED, f"the reply of the LLM endpoint is not an OpenAI chat completion "
                                                     f"(got {exc.got})", None, exc)
    if _is_openai(exc, "APIConnectionError"):
        return DependencyFailure("llm", 503, UNAVAILABLE, f"the LLM endpoint is not reachable: {exc}{_attempts(exc)}",
                                 RETRY_AFTER_S, exc)
    if _is_openai(exc, "APIStatusError"):
        return DependencyFailure("llm", 502, FAILED, f"the LLM endpoint answered HTTP {exc.status_code}", None, exc)
    if _is_openai(exc, "APIError") and getattr(exc, "status_code", None) is None:
        # an error event inside a stream (vLLM, OpenAI: {"error": …} after a 200), or a chunk that is no JSON
        return DependencyFailure("llm", 502, FAILED, "the LLM endpoint failed during the stream", None, exc)
    if isinstance(exc, httpx.TransportError):
        # The openai client wraps its own transport errors, so a bare one comes from the Chroma server.
        return DependencyFailure("vector store", 503, UNAVAILABLE, f"{_NAMES['vector store']} is not reachable: "
                                 f"{type(exc).__name__}: {_one_line(exc)}", RETRY_AFTER_S, exc)
    record_down = record_store_error()
    if record_down is not None and isinstance(exc, record_down):
        return DependencyFailure("record store", 503, UNAVAILABLE, f"{_NAMES['record store']} is not reachable: "
                                 f"{type(exc).__name__}: {_one_line(exc)}", RETRY_AFTER_S, exc)
    return None
