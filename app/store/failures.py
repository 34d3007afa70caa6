"""Store failures an operator can act on, read once here for the CLI (one ``error:`` line) and the API (a 503
with the same words): a full disk (SQLite's "database or disk is full", ENOSPC from a file write, Chroma passing
either on), a data dir that cannot be written, a record another process keeps locked, and a record written by a
newer Citewire (``SchemaTooNew``). A full disk was a traceback on the CLI and a 500 from ``DELETE
/v1/articles/{id}``; nothing is lost by it: the record's transaction rolls back whole (``RecordStore.transaction``)
and an ingest stops at the first batch it could not write (app/ingest/service.py).

The dependencies that are down (Chroma server, PostgreSQL, an endpoint) keep their words in app.dependency_errors;
``store_failure`` answers for those too, so a caller asks one function."""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

from app.dependency_errors import RETRY_AFTER_S, UNAVAILABLE, classify

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_BUSY = 13, 8, 5  # primary result codes (sqlite3.SQLITE_FULL from 3.11 on)
# as SQLite and the OS word them, and as Chroma's Rust core passes them on inside its own errors
_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_READONLY_WORDS = ("attempt to write a readonly database", "read-only file system")
_BUSY_WORDS = ("database is locked",)


class SchemaTooNew(RuntimeError):
    """The record was written by a newer Citewire (its ``schema`` stamp is above what this one reads): opening it
    would misread it, and writing it could damage it."""

    def __init__(self, where: str, found: int, known: int) -> None:
        super().__init__(f"the record store {where} has schema {found}, written by a newer Citewire; this one reads "
                         f"schema {known} and older: upgrade Citewire, or point CITEWIRE_DATA_DIR at another data dir")
        self.where, self.found, self.known = where, found, known

    def __reduce__(self):
        return type(self), (self.where, self.found, self.known)


@dataclass(frozen=True)
class StoreFailure:
    kind: str  # "disk full", "read-only", "busy", "schema", or a dependency's name ("vector store", …)
    status: int  # what the API answers with
    error: str  # the API's "error"
    detail: str  # the API's "detail" and the CLI's line (after "error: ")
    retry_after: int | None
    line: str = ""  # the CLI's words when they differ from the API's (a dependency's, which name its URL)
    reason: str = ""  # what failed alone, without what became of the write ("the store's disk is full (…)")

    def message(self) -> str:
        return self.line or self.detail

    def cause(self) -> str:
        """What failed, without what became of the write (for a write that did land, e.g. before a vector delete)."""
        return self.reason or self.message()


def _chain(exc: BaseException):
    """``exc`` and the exceptions it was raised from or during (Chroma and SQLAlchemy-style wrappers)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _has(exc: BaseException, errnos: set[int], code: int, words: tuple[str, ...]) -> BaseException | None:
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in errnos:
            return link
        if isinstance(link, sqlite3.Error) and getattr(link, "sqlite_errorcode", -1) & 0xFF == code:
            return link
        text = str(link).lower()
        if any(word in text for word in words):
            return link
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return " ".join(str(exc).split()) or type(exc).__name__


def disk_full(exc: BaseException) -> bool:
    return _has(exc, _FULL_ERRNOS, _SQLITE_FULL, _FULL_WORDS) is not None


def store_failure(exc: BaseException) -> StoreFailure | None:
    """What stopped a store read or write, in words fit for an operator, or None when ``exc`` is none of these
    (a bug, which keeps its traceback in the log)."""
    if isinstance(exc, SchemaTooNew):
        return StoreFailure("schema", 503, UNAVAILABLE, str(exc), None)
    if (cause := _has(exc, _FULL_ERRNOS, _SQLITE_FULL, _FULL_WORDS)) is not None:
        reason = f"the store's disk is full ({_reason(cause)})"
        return StoreFailure("disk full", 503, UNAVAILABLE,
                            f"{reason}: the write was rolled back, nothing of it was stored; free some space (or raise "
                            "the quota), then retry", RETRY_AFTER_S, reason=reason)
    if (cause := _has(exc, {errno.EROFS}, _SQLITE_READONLY, _READONLY_WORDS)) is not None:
        reason = f"the store cannot be written ({_reason(cause)})"
        return StoreFailure("read-only", 503, UNAVAILABLE,
                            f"{reason}: nothing was stored; make the data dir writable (CITEWIRE_DATA_DIR), then retry",
                            RETRY_AFTER_S, reason=reason)
    if _has(exc, set(), _SQLITE_BUSY, _BUSY_WORDS) is not None:
        return StoreFailure("busy", 503, UNAVAILABLE, "the record store is locked by another writer (SQLite: "
                            "database is locked): nothing was stored; retry", RETRY_AFTER_S)
    failure = classify(exc)
    if failure is not None and failure.dependency in ("vector store", "record store"):
        return StoreFailure(failure.dependency, failure.status, failure.error, failure.detail, failure.retry_after,
                            failure.message())
    return None
