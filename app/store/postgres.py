"""The article record and BM25 postings on a PostgreSQL server: one store for several hosts.

Chosen with ``CITEWIRE_LEXICAL_URL=postgresql://…``. Every host ranks BM25 in memory exactly as
the embedded store does (app/store/lexical.py), mirroring the ``chunk_terms`` rows and tombstones
committed by any host, so quality is identical to the embedded default and a query never waits
on the server for ranking (docs/performance.md has the measurements, and why PostgreSQL's own
``ts_rank`` was not used). The record lives here too: a passage found on one host must be
readable on every other.

Writers serialise on a transaction-scoped advisory lock, so ``seq`` values become visible in
commit order and a reader that has seen ``seq`` N has seen everything before it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.store.lexical import BM25Index
from app.store.records import RecordStore

_WRITE_LOCK = 0x43697465  # "Cite": the advisory lock every writer holds for its transaction
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS articles (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
        published_at TEXT, published_ts BIGINT, text TEXT NOT NULL, content_hash TEXT NOT NULL,
        ingested_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS chunks (
        rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT UNIQUE NOT NULL,
        article_id TEXT NOT NULL, idx INTEGER NOT NULL, char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL, text TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id, idx)",
    "CREATE INDEX IF NOT EXISTS articles_by_date ON articles(published_ts)",
    """CREATE TABLE IF NOT EXISTS chunk_terms (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, chunk_rowid BIGINT UNIQUE NOT NULL,
        published_ts BIGINT NOT NULL, dl INTEGER NOT NULL, keys BYTEA NOT NULL, tfs BYTEA NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS chunk_tombstones (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, term_seq BIGINT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS lexical_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]


class PostgresRecordStore(RecordStore):
    """Same queries as the SQLite record (``?`` placeholders become ``%s``), one connection per thread."""

    def __init__(self, url: str, snapshot_dir: Path | None = None) -> None:
        import psycopg  # optional dependency: only this backend needs it

        self._psycopg = psycopg
        self._url = url
        self._local = threading.local()
        self._connections: dict = {}  # connection -> the thread it belongs to (RecordStore._conn)
        self._connections_lock = threading.Lock()
        with self.transaction():
            for statement in _SCHEMA:
                self._run(statement)
        self._backfill_postings()
        self.lexical = BM25Index(self, snapshot_dir=snapshot_dir)

    def _connect(self):
        from psycopg.rows import dict_row

        return self._psycopg.connect(self._url, autocommit=True, row_factory=dict_row, connect_timeout=10)

    def _conn(self):
        """This thread's connection; one the server dropped (restart, failover) is replaced, so a replica
        recovers when PostgreSQL is back instead of failing until it is restarted."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.closed:
            self._local.conn = None
            with self._connections_lock:
                self._connections.pop(conn, None)
        return super()._conn()

    def _all(self, sql: str, params: Iterable = ()) -> list:
        return self._conn().execute(sql.replace("?", "%s"), list(params)).fetchall()

    def _one(self, sql: str, params: Iterable = ()):
        return self._conn().execute(sql.replace("?", "%s"), list(params)).fetchone()

    def _run(self, sql: str, params: Iterable = ()) -> None:
        self._conn().execute(sql.replace("?", "%s"), list(params))

    def _run_many(self, sql: str, rows: list) -> None:
        if rows:
            with self._conn().cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield
