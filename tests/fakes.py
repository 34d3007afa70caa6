"""Test doubles (unit tests only)."""

from __future__ import annotations

import numpy as np


class FailingEmbedder:
    """Stands in for an embeddings endpoint that is down."""

    name = "wordllama-l2-supercat-256"
    dim = 256

    def embed(self, texts: list[str]) -> np.ndarray:
        raise ConnectionError("embeddings endpoint unreachable")


class DiskFullRecordStore:
    """Mixed into the SQLite record (``disk_full_record_store``): a disk that fills up. Once ``fill_after(n)`` is
    called, the write statement (INSERT, UPDATE, DELETE) after the next ``n`` raises SQLite's own error for a full
    disk, ``sqlite3.OperationalError("database or disk is full")`` with SQLITE_FULL, inside whatever transaction
    is open: what the record does then (roll back) is the real one."""

    _writes_left: int | None = None

    def fill_after(self, writes: int = 0) -> None:
        self._writes_left = writes

    def free_space(self) -> None:
        self._writes_left = None

    def _full(self, sql: str) -> None:
        if self._writes_left is None or not sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            return
        if self._writes_left <= 0:
            import sqlite3

            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode, exc.sqlite_errorname = 13, "SQLITE_FULL"
            raise exc
        self._writes_left -= 1

    def _run(self, sql, params=()):
        self._full(sql)
        return super()._run(sql, params)

    def _run_many(self, sql, rows):
        self._full(sql)
        return super()._run_many(sql, rows)

    def _one(self, sql, params=()):
        self._full(sql)
        return super()._one(sql, params)


def disk_full_record_store(path):
    """A RecordStore at ``path`` whose disk fills up on demand (DiskFullRecordStore)."""
    from app.store.records import RecordStore

    return type("DiskFullSQLiteRecordStore", (DiskFullRecordStore, RecordStore), {})(path)


class NoSpaceVectorStore:
    """Wraps a VectorStore whose disk fills up: after ``fill_after(n)`` further upserts, an upsert raises
    ``OSError(ENOSPC)`` before writing anything, as a file write on a full disk does. ``calls``: upserts asked."""

    def __init__(self, inner) -> None:
        self._inner, self._upserts_left, self.calls = inner, None, 0

    def fill_after(self, upserts: int = 0) -> None:
        self._upserts_left = upserts

    def _refuse(self) -> None:
        import errno
        import os

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "chroma/data_level0.bin")

    def upsert(self, ids, embeddings, metadatas) -> None:
        self.calls += 1
        if self._upserts_left is not None:
            if self._upserts_left <= 0:
                self._refuse()
            self._upserts_left -= 1
        self._inner.upsert(ids, embeddings, metadatas)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class ChromaDownVectorStore(NoSpaceVectorStore):
    """Wraps a VectorStore whose Chroma server goes away: after ``fill_after(n)`` further upserts, an upsert raises
    the ``httpx.ConnectError`` chromadb's HTTP client raises for a server that is down."""

    def _refuse(self) -> None:
        import httpx

        raise httpx.ConnectError("[Errno 111] Connection refused")
