"""The article record and BM25 postings on a PostgreSQL server: one store for several hosts.

Chosen with ``CITEWIRE_LEXICAL_URL=postgresql://…``. Every host ranks BM25 in memory exactly as
the embedded store does (app/store/lexical.py), mirroring the ``chunk_terms`` rows and tombstones
committed by any host, so quality is identical to the embedded default and a query never waits
on the server for ranking (docs/performance.md has the measurements, and why PostgreSQL's own
``ts_rank`` was not used). The record lives here too: a passage found on one host must be
readable on every other.

Writers serialise on a transaction-scoped advisory lock, so ``seq`` values become visible in
commit order and a reader that has seen ``seq`` N has seen everything before it. Ingests and deletes
also take turns across hosts around their Chroma calls (``writer_turn``: a session-level advisory
lock, app/store/write_lock.py says why they must).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.store.lexical import BM25Index
from app.store.records import RecordStore

_WRITE_LOCK = 0x43697465  # "Cite": the advisory lock every writer holds for its transaction
_TURN_LOCK = 0x43697477  # "Citw": the writer's turn around its Chroma calls (writer_turn); never the one above,
# which the same writer takes again, on its thread's connection, inside the turn
log = logging.getLogger(__name__)
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
    # messages an adapter has taken on (Slack's retries reach any host): claim_once
    "CREATE TABLE IF NOT EXISTS message_claims (key TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL)",
]
_PRUNE_CLAIMS_EVERY = 500
CLAIM_TIMEOUT_S = 2  # connect and statement: a claim runs before Slack's 3-second acknowledgement


class PostgresRecordStore(RecordStore):
    """Same queries as the SQLite record (``?`` placeholders become ``%s``), one connection per thread."""

    _META_EXISTS = "SELECT 1 WHERE to_regclass('lexical_meta') IS NOT NULL"

    def __init__(self, url: str, snapshot_dir: Path | None = None) -> None:
        import psycopg  # optional dependency: only this backend needs it

        self._psycopg = psycopg
        self._url = url
        self._local = threading.local()
        self._connections: dict = {}  # connection -> the thread it belongs to (RecordStore._conn)
        self._connections_lock = threading.Lock()
        self._turn = threading.Lock()  # this process's writers queue here, then one of them asks the server
        self._turn_conn = None
        self._claims_lock = threading.Lock()  # one connection for message claims, short timeouts (claim_once)
        self._claims_conn = None
        self._claim_count = itertools.count()
        self._refuse_newer_schema("on the PostgreSQL server (CITEWIRE_LEXICAL_URL)")
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
        return self._read(sql, params).fetchall()

    def _one(self, sql: str, params: Iterable = ()):
        return self._read(sql, params).fetchone()

    def _read(self, sql: str, params: Iterable):
        """A read outside a transaction, asked once more on a new connection when the server had dropped this
        thread's (a restart or failover between requests): only the statement that meets a dropped connection
        notices it, so every worker thread's first request after a restart failed with a 503 though the
        server was back. Reads are safe to repeat; inside a transaction the failure is the transaction's."""
        query, args = sql.replace("?", "%s"), list(params)  # once: params may be an iterator, spent by the first try
        conn = self._conn()
        try:
            return conn.execute(query, args)
        except self._psycopg.OperationalError:
            if not conn.closed or getattr(self._local, "transactions", 0):
                raise
            log.info("PostgreSQL had dropped this thread's connection; reading again on a new one")
            return self._conn().execute(query, args)

    def _run(self, sql: str, params: Iterable = ()) -> None:
        self._conn().execute(sql.replace("?", "%s"), list(params))

    def _run_many(self, sql: str, rows: list) -> None:
        if rows:
            with self._conn().cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._conn()
        outermost = not getattr(self._local, "transactions", 0)
        self._local.transactions = getattr(self._local, "transactions", 0) + 1  # reads inside are not repeated
        try:
            with contextlib.ExitStack() as stack:
                try:
                    stack.enter_context(conn.transaction())
                except self._psycopg.OperationalError:
                    # BEGIN met a connection the server had dropped (a restart or terminate between requests):
                    # nothing ran, so it is begun once more on a new one, as a read is (``_read``)
                    if not (outermost and conn.closed):
                        raise
                    log.info("PostgreSQL had dropped this thread's connection; beginning again on a new one")
                    conn = self._conn()
                    stack.enter_context(conn.transaction())
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                yield
        finally:
            self._local.transactions -= 1

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """The write turn across every process and host on this database: ``pg_advisory_lock`` on a connection
        kept for it. Session-level, not ``pg_advisory_xact_lock``: the turn spans Chroma calls before and after
        the record's commit (the record's transaction is short and runs on the writing thread's own
        connection), so a transaction-scoped lock would need a transaction left open, idle, across network
        calls to another server (holding back VACUUM, ended by ``idle_in_transaction_session_timeout``). The
        server drops a session lock when its session ends, so a crashed holder (its socket closed by the
        kernel) frees the turn; a vanished host, after the TCP keepalives set below (about a minute)."""
        with self._turn:
            conn = self._take_turn()
            try:
                yield
            finally:
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_TURN_LOCK,))
                except self._psycopg.Error:  # the session is gone, and the lock with it (maybe mid-write)
                    log.warning("lost the PostgreSQL connection holding the write turn; if a write overlapped "
                                "another meanwhile, `citewire repair` restores missing vectors", exc_info=True)
                    self._drop_turn_connection()

    def writer_turn_held(self) -> bool:
        """Whether the turn's session still holds the lock: the server ends a session (restart, failover,
        terminate, a TCP timeout) without the holder noticing until its next statement, and frees the lock, so
        another host may be writing the same ids now. Asked by the holder before each vector delete and before
        its record commit; it narrows the window to that one call (no fencing token reaches Chroma)."""
        conn = self._turn_conn
        if conn is None or conn.closed:
            return False
        try:
            row = conn.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                               " AND granted AND classid = 0 AND objid = %s AND objsubid = 1",
                               (_TURN_LOCK,)).fetchone()
        except self._psycopg.Error:
            return False
        return row is not None

    def _take_turn(self):
        """The turn's connection, holding the turn. The kept connection may have been ended by the server while
        it sat idle between turns (idle_session_timeout, a restart, a NAT or firewall dropping an idle flow): a
        lock not taken is always safe to ask again, so that is retried once on a fresh connection instead of
        failing the write."""
        retry = self._turn_conn is not None and not self._turn_conn.closed
        while True:
            try:
                conn = self._turn_connection()
                conn.execute("SELECT pg_advisory_lock(%s)", (_TURN_LOCK,))
                return conn
            except self._psycopg.Error as exc:  # the next try, or the next turn, opens another connection
                self._drop_turn_connection()
                if not (retry and isinstance(exc, self._psycopg.OperationalError)):
                    raise
                retry = False

    def _turn_connection(self):
        conn = self._turn_conn
        if conn is not None and not conn.closed:
            return conn
        conn = self._connect()
        try:
            # Waiting for the turn is unbounded, as the flock's wait is on SQLite: a lock_timeout or
            # statement_timeout set for the role or database ended a wait behind another host's batch and failed
            # the write. Only the turn's lock and unlock run on this connection.
            conn.execute("SET lock_timeout = 0")
            conn.execute("SET statement_timeout = 0")
            if conn.info.server_version >= 140000:  # idle between turns is this connection's normal state
                conn.execute("SET idle_session_timeout = 0")
        except self._psycopg.Error:
            conn.close()
            raise
        try:  # the server notices a holder whose host vanished (no FIN) after ~60 s instead of hours
            for name, value in (("idle", 30), ("interval", 10), ("count", 3)):
                conn.execute(f"SET tcp_keepalives_{name} = {value}")
        except self._psycopg.Error:
            pass
        self._turn_conn = conn
        return conn

    def _drop_turn_connection(self) -> None:
        conn, self._turn_conn = self._turn_conn, None
        self._close_quietly(conn)

    def _close_quietly(self, conn) -> None:
        if conn is not None:
            try:
                conn.close()
            except self._psycopg.Error:
                pass

    def claim_once(self, key: str, keep_s: float) -> bool:
        """Whether this call is the first, from any host, to take ``key`` on (a Slack message). On its own connection,
        with a short connect and statement timeout: it runs before Slack's 3-second acknowledgement, and the record's
        connections wait 10 s to connect. Not retried: an insert that committed before a dropped connection would
        read as taken and nobody would answer; the caller falls back to its host's own claim instead. Claims older
        than ``keep_s`` are pruned every few hundred claims (a failed prune fails no claim)."""
        now = time.time()
        with self._claims_lock:
            conn = self._claims_connection()
            try:
                row = conn.execute("INSERT INTO message_claims (key, at) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING"
                                   " RETURNING 1", (key, now)).fetchone()
            except self._psycopg.Error:
                self._drop_claims_connection()
                raise
            if next(self._claim_count) % _PRUNE_CLAIMS_EVERY == _PRUNE_CLAIMS_EVERY - 1:
                try:
                    conn.execute("DELETE FROM message_claims WHERE at < %s", (now - keep_s,))
                except self._psycopg.Error:
                    log.info("could not prune old message claims", exc_info=True)
        return row is not None

    def _claims_connection(self):
        if self._claims_conn is None or self._claims_conn.closed:
            conn = self._psycopg.connect(self._url, autocommit=True, connect_timeout=CLAIM_TIMEOUT_S)
            try:
                conn.execute(f"SET statement_timeout = {CLAIM_TIMEOUT_S * 1000}")
            except self._psycopg.Error:
                conn.close()
                raise
            self._claims_conn = conn
        return self._claims_conn

    def _drop_claims_connection(self) -> None:
        conn, self._claims_conn = self._claims_conn, None
        self._close_quietly(conn)

    def close(self) -> None:
        with self._turn:
            self._drop_turn_connection()
        with self._claims_lock:
            self._drop_claims_connection()
        super().close()
