"""The article record: the source of truth for articles and chunks, plus the BM25 postings.

Each chunk's term counts (``chunk_terms``) are written in the same transaction as the chunk and
deleted with it (leaving a tombstone), so the lexical index (app/store/lexical.py) can never drift
from the stored articles. Vectors are written to Chroma before the record commits (see ingest);
vectors whose chunk is not in this record are ignored on read.

SQLite is the embedded default: one connection per thread in WAL mode, so readers never wait for a
writer and no Python lock is held across a network call. ``PostgresRecordStore`` (postgres.py)
runs the same queries on a server shared by several hosts.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from app.store.failures import SchemaTooNew
from app.store.lexical import FORMAT, BM25Index, PostingRow, Segment, chunk_terms
from app.store.models import ArticleHead, Filters, StoredArticle, StoredChunk
from app.store.write_lock import file_writer_turn

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    published_at TEXT,
    published_ts INTEGER,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id, idx);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles(published_ts);
CREATE TABLE IF NOT EXISTS chunk_terms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_rowid INTEGER UNIQUE NOT NULL,
    published_ts INTEGER NOT NULL,
    dl INTEGER NOT NULL,
    keys BLOB NOT NULL,
    tfs BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS chunk_tombstones (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    term_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS lexical_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# The record's layout (its tables and what they mean), stamped in lexical_meta as key 'schema'. A record stamped
# higher was written by a newer Citewire: it is refused before anything reads or writes it (SchemaTooNew), since
# the start-up backfill below rewrites postings it does not recognise. A record without a stamp is older than the
# stamp (2026-11-28) and has this layout: it is stamped when opened. Raise it with a change of layout that an older
# Citewire would misread, and migrate the older ones here.
SCHEMA_VERSION = 1
_POSTINGS_PAGE = 50_000
_LEGACY = "DROP TABLE IF EXISTS chunks_vocab; DROP TABLE IF EXISTS chunks_fts;"


def schema_of(row) -> int:
    """The schema stamp of a lexical_meta row (none: 1, the layout before the stamp); a stamp that is not a number
    was not written by any Citewire this one knows, so it counts as newer."""
    if row is None:
        return 1
    try:
        return int(row["value"])
    except (TypeError, ValueError):
        return SCHEMA_VERSION + 1


def check_schema(path: Path) -> None:
    """SchemaTooNew when the SQLite record at ``path`` was written by a newer Citewire; read-only, without the
    writer turn or any write (``citewire serve`` asks before uvicorn starts: refused inside its start-up, it was a
    traceback). A missing or unreadable file is left to the store's own opening."""
    if not path.is_file():
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return
    try:
        conn.row_factory = sqlite3.Row
        if conn.execute(RecordStore._META_EXISTS).fetchone() is None:
            return
        found = schema_of(conn.execute("SELECT value FROM lexical_meta WHERE key='schema'").fetchone())
    except sqlite3.Error:
        return
    finally:
        conn.close()
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(str(path), found, SCHEMA_VERSION)


def _scope_sql(sources: list[str] | None, article_ids: list[str] | None) -> tuple[str, list]:
    """SQL for the filters that name articles; dates filter in the lexical index (``_lexical_filter``)."""
    clauses: list[str] = []
    params: list = []
    if sources:
        clauses.append(f"a.source IN ({','.join('?' * len(sources))})")
        params.extend(sources)
    if article_ids:
        clauses.append(f"a.id IN ({','.join('?' * len(article_ids))})")
        params.extend(article_ids)
    return "".join(f" AND {c}" for c in clauses), params


def _in(values: list) -> str:
    return f"({','.join('?' * len(values))})"


class RecordStore:
    """SQLite record (embedded default). Subclasses change only connections and the DDL."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        self._connections: dict = {}  # connection -> the thread it belongs to
        self._connections_lock = threading.Lock()
        # In the writer turn: two processes opening a new record at once (two server workers on a fresh data
        # dir) both turned the new file into WAL mode, which takes an exclusive lock without waiting, and one of
        # them failed with "database is locked".
        with file_writer_turn(path):
            conn = self._conn()
            self._refuse_newer_schema(str(path))
            conn.executescript(_SCHEMA)
            self._backfill_postings()
            conn.executescript(_LEGACY)
        self.lexical = BM25Index(self, snapshot_dir=path.parent / "lexical")

    _META_EXISTS = "SELECT 1 FROM sqlite_master WHERE type='table' AND name='lexical_meta'"

    def _refuse_newer_schema(self, where: str) -> None:
        """SchemaTooNew when this record was written by a newer Citewire (before anything is written to it)."""
        if self._one(self._META_EXISTS) is None:
            return  # a new record, or one older than lexical_meta
        found = schema_of(self._one("SELECT value FROM lexical_meta WHERE key='schema'"))
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(where, found, SCHEMA_VERSION)

    def schema(self) -> int:
        """The record's layout version (SCHEMA_VERSION once opened)."""
        return schema_of(self._one("SELECT value FROM lexical_meta WHERE key='schema'"))

    def _backfill_postings(self) -> None:
        """Records written before the in-memory index (FTS5 era), or with another tokenisation
        (``lexical.FORMAT``), get their postings (re)computed once, under the write lock. A record without a
        schema stamp is stamped (it has this layout: the stamp came later)."""
        with self.transaction():
            if self._one("SELECT value FROM lexical_meta WHERE key='schema'") is None:
                self._run("INSERT INTO lexical_meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            if self._one("SELECT value FROM lexical_meta WHERE key='instance'") is None:
                self._run("INSERT INTO lexical_meta(key, value) VALUES ('instance', ?)", (uuid.uuid4().hex,))
            row = self._one("SELECT value FROM lexical_meta WHERE key='format'")
            if row is None or row["value"] != FORMAT:
                self._run("INSERT INTO chunk_tombstones(term_seq) SELECT seq FROM chunk_terms")
                self._run("DELETE FROM chunk_terms")
                self._run("DELETE FROM lexical_meta WHERE key='format'")
                self._run("INSERT INTO lexical_meta(key, value) VALUES ('format', ?)", (FORMAT,))
            rows = self._all("SELECT c.rowid AS rowid, c.text AS text, a.title AS title, a.published_ts AS ts"
                             " FROM chunks c JOIN articles a ON a.id = c.article_id"
                             " LEFT JOIN chunk_terms t ON t.chunk_rowid = c.rowid WHERE t.seq IS NULL ORDER BY c.rowid")
            self._run_many("INSERT INTO chunk_terms(chunk_rowid,published_ts,dl,keys,tfs) VALUES (?,?,?,?,?)",
                           [(r["rowid"], r["ts"] or 0, *chunk_terms((f"{r['title']}\n" if r["title"] else "") + r["text"]))
                            for r in rows])

    # --- connections ------------------------------------------------------------------------
    def _connect(self):
        conn = sqlite3.connect(str(self._path), check_same_thread=False, isolation_level=None, timeout=60)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        return conn

    def _conn(self):
        """This thread's connection. Those of threads that have ended are closed as a new one opens: every ingest
        runs its writes on threads of its own (app/ingest/pipeline.py) and the API's thread pool retires idle
        threads, so each left a connection open until the store closed (PostgreSQL: one server connection per
        POST /v1/articles, until the server's max_connections refused every replica)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._connections_lock:
                ended = [c for c, thread in self._connections.items() if not thread.is_alive()]
                for c in ended:
                    del self._connections[c]
                self._connections[conn] = threading.current_thread()
            for c in ended:
                try:
                    c.close()
                except Exception:  # noqa: BLE001 - a connection the server dropped may fail to close; it is gone
                    pass
        return conn

    def _all(self, sql: str, params: Iterable = ()) -> list:
        return self._conn().execute(sql, list(params)).fetchall()

    def _one(self, sql: str, params: Iterable = ()):
        return self._conn().execute(sql, list(params)).fetchone()

    def _run(self, sql: str, params: Iterable = ()) -> None:
        self._conn().execute(sql, list(params))

    def _run_many(self, sql: str, rows: list) -> None:
        self._conn().executemany(sql, rows)

    def close(self) -> None:
        with self._connections_lock:
            for conn in list(self._connections):
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def ping(self) -> None:
        self._one("SELECT 1")

    def claim_once(self, key: str, keep_s: float) -> bool:
        """Whether this call is the first, from any host, to take ``key`` on (a Slack message): only a record every
        host reaches can say (PostgreSQL). The embedded record is one host's: its Slack claims live in a file of
        the data dir (app/slack/conversation.py SeenMessages)."""
        raise NotImplementedError("message claims across hosts need the record on PostgreSQL (CITEWIRE_LEXICAL_URL)")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes go through here: either the whole batch lands or none of it does."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """Writers of this record take turns across processes (app/store/write_lock.py): IngestService holds
        it around each batch's "old chunk ids -> vectors -> record -> stale vectors" and each delete. Readers
        take it only once, when they open the record (``__init__``); ``transaction()`` alone does not cover the
        Chroma calls around the commit."""
        with file_writer_turn(self._path):
            yield

    def writer_turn_held(self) -> bool:
        """Whether this thread's writer turn still holds, asked before each Chroma call that could undo another
        writer's work (a vector delete, the record's commit after an upsert). A flock lasts as long as its
        descriptor: always. PostgreSQL's session lock ends with its session (PostgresRecordStore)."""
        return True

    # --- writes (call inside transaction()) ------------------------------------------------
    def _insert_chunk(self, chunk: StoredChunk) -> int:
        return self._one(
            "INSERT INTO chunks(id,article_id,idx,char_start,char_end,text) VALUES (?,?,?,?,?,?) RETURNING rowid",
            (chunk.id, chunk.article_id, chunk.index, chunk.char_start, chunk.char_end, chunk.text),
        )["rowid"]

    def put_article(self, article: StoredArticle, chunks: list[StoredChunk], bm25_prefix: str,
                    terms: list[tuple[int, bytes, bytes]] | None = None) -> None:
        """``terms``: each chunk's ``chunk_terms(bm25_prefix + text)``, when the caller computed them."""
        self.remove_article(article.id)
        self._run(
            "INSERT INTO articles(id,title,source,url,published_at,published_ts,text,content_hash,ingested_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (article.id, article.title, article.source, article.url, article.published_at,
             article.published_ts, article.text, article.content_hash, article.ingested_at),
        )
        if terms is None:
            terms = [chunk_terms(bm25_prefix + chunk.text) for chunk in chunks]
        rows = [(self._insert_chunk(chunk), article.published_ts or 0, *t) for chunk, t in zip(chunks, terms)]
        self._run_many("INSERT INTO chunk_terms(chunk_rowid,published_ts,dl,keys,tfs) VALUES (?,?,?,?,?)", rows)

    def remove_article(self, article_id: str) -> list[str]:
        rows = self._all("SELECT rowid, id FROM chunks WHERE article_id=?", (article_id,))
        if rows:
            # by subquery, not an IN list of every rowid: PostgreSQL takes at most 65,535 bind parameters
            # (SQLite 32,766 unless built with more), so an article of more chunks could not be replaced or deleted
            of_article = "chunk_rowid IN (SELECT rowid FROM chunks WHERE article_id=?)"
            self._run(f"INSERT INTO chunk_tombstones(term_seq) SELECT seq FROM chunk_terms WHERE {of_article}"
                      " ORDER BY seq", (article_id,))
            self._run(f"DELETE FROM chunk_terms WHERE {of_article}", (article_id,))
            self._run("DELETE FROM chunks WHERE article_id=?", (article_id,))
        self._run("DELETE FROM articles WHERE id=?", (article_id,))
        return [r["id"] for r in rows]

    # --- consistency (``citewire check``) -------------------------------------------------------
    def postings_count(self) -> int:
        return int(self._one("SELECT COUNT(*) AS n FROM chunk_terms")["n"])

    def record_gaps(self) -> dict[str, list]:
        """Where the record disagrees with itself (a damaged or hand-edited record; a partial restore):
        ``postings_without_chunk`` (seq), ``chunks_without_postings`` (chunk id), ``chunks_without_article``
        (chunk id), ``articles_without_chunks`` (article id)."""
        return {
            "postings_without_chunk": [r["seq"] for r in self._all(
                "SELECT t.seq AS seq FROM chunk_terms t LEFT JOIN chunks c ON c.rowid = t.chunk_rowid"
                " WHERE c.rowid IS NULL ORDER BY t.seq")],
            "chunks_without_postings": [r["id"] for r in self._all(
                "SELECT c.id AS id FROM chunks c LEFT JOIN chunk_terms t ON t.chunk_rowid = c.rowid"
                " WHERE t.seq IS NULL ORDER BY c.rowid")],
            "chunks_without_article": [r["id"] for r in self._all(
                "SELECT c.id AS id FROM chunks c LEFT JOIN articles a ON a.id = c.article_id"
                " WHERE a.id IS NULL ORDER BY c.rowid")],
            "articles_without_chunks": [r["id"] for r in self._all(
                "SELECT a.id AS id FROM articles a WHERE NOT EXISTS"
                " (SELECT 1 FROM chunks c WHERE c.article_id = a.id) ORDER BY a.id")],
        }

    def drop_postings(self, seqs: list[int]) -> None:
        """Postings whose chunk is gone: deleted with a tombstone each, so every process's index drops them."""
        for start in range(0, len(seqs), 500):
            part = seqs[start : start + 500]
            self._run_many("INSERT INTO chunk_tombstones(term_seq) VALUES (?)", [(s,) for s in part])
            self._run(f"DELETE FROM chunk_terms WHERE seq IN {_in(part)}", part)

    def add_missing_postings(self, chunk_ids: list[str]) -> int:
        """Postings for those of ``chunk_ids`` that have none (and an article: its title is indexed with them)."""
        added = 0
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            rows = self._all(
                "SELECT c.rowid AS rowid, c.text AS text, a.title AS title, a.published_ts AS ts FROM chunks c"
                " JOIN articles a ON a.id = c.article_id LEFT JOIN chunk_terms t ON t.chunk_rowid = c.rowid"
                f" WHERE t.seq IS NULL AND c.id IN {_in(part)}", part)
            self._run_many("INSERT INTO chunk_terms(chunk_rowid,published_ts,dl,keys,tfs) VALUES (?,?,?,?,?)",
                           [(r["rowid"], r["ts"] or 0,
                             *chunk_terms((f"{r['title']}\n" if r["title"] else "") + r["text"])) for r in rows])
            added += len(rows)
        return added

    def drop_chunks(self, chunk_ids: list[str]) -> None:
        """Chunks (and their postings, tombstoned) whose article the record lacks: nothing can quote them."""
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            rowids = [r["rowid"] for r in self._all(f"SELECT rowid FROM chunks WHERE id IN {_in(part)}", part)]
            if rowids:
                seqs = [r["seq"] for r in self._all(f"SELECT seq FROM chunk_terms WHERE chunk_rowid IN {_in(rowids)}",
                                                    rowids)]
                self.drop_postings(seqs)
            self._run(f"DELETE FROM chunks WHERE id IN {_in(part)}", part)

    # --- what the in-memory BM25 index mirrors -----------------------------------------------
    def lexical_marks(self) -> tuple[int, int]:
        row = self._one("SELECT (SELECT COALESCE(MAX(seq),0) FROM chunk_terms) AS terms,"
                        " (SELECT COALESCE(MAX(seq),0) FROM chunk_tombstones) AS tombs")
        return int(row["terms"]), int(row["tombs"])

    def lexical_identity(self) -> str:
        """Names this record: a snapshot of another (recreated) record is never loaded."""
        return self._one("SELECT value FROM lexical_meta WHERE key='instance'")["value"]

    def postings_since(self, seq: int, limit: int = _POSTINGS_PAGE) -> list[PostingRow]:
        rows = self._all("SELECT seq, chunk_rowid, published_ts, dl, keys, tfs FROM chunk_terms WHERE seq > ?"
                         " ORDER BY seq LIMIT ?", (seq, limit))
        return [PostingRow(r["seq"], r["chunk_rowid"], r["published_ts"], r["dl"], bytes(r["keys"]), bytes(r["tfs"]))
                for r in rows]

    def tombstones_since(self, seq: int) -> tuple[list[int], int]:
        rows = self._all("SELECT seq, term_seq FROM chunk_tombstones WHERE seq > ? ORDER BY seq", (seq,))
        return [r["term_seq"] for r in rows], (rows[-1]["seq"] if rows else seq)

    # --- reads --------------------------------------------------------------------------------
    def content_hashes(self, article_ids: Iterable[str]) -> dict[str, str]:
        ids = list(article_ids)
        if not ids:
            return {}
        rows = self._all(f"SELECT id, content_hash FROM articles WHERE id IN {_in(ids)}", ids)
        return {r["id"]: r["content_hash"] for r in rows}

    def chunk_ids_of(self, article_id: str) -> list[str]:
        return [r["id"] for r in self._all("SELECT id FROM chunks WHERE article_id=? ORDER BY idx", (article_id,))]

    def get_article(self, article_id: str) -> StoredArticle | None:
        row = self._one(
            "SELECT a.*, (SELECT COUNT(*) FROM chunks c WHERE c.article_id=a.id) AS n_chunks"
            " FROM articles a WHERE a.id=?", (article_id,)
        )
        return _article(row) if row else None

    def list_articles(self, limit: int = 100, offset: int = 0, source: str | None = None) -> tuple[list[StoredArticle], int]:
        where, params = ("WHERE source=?", [source]) if source else ("", [])
        total = self._one(f"SELECT COUNT(*) AS n FROM articles {where}", params)["n"]
        rows = self._all(
            f"SELECT id,title,source,url,published_at,published_ts,'' AS text,content_hash,ingested_at,"
            f" (SELECT COUNT(*) FROM chunks c WHERE c.article_id=articles.id) AS n_chunks"
            f" FROM articles {where} ORDER BY COALESCE(published_ts,0) DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_article(r) for r in rows], total

    def chunking(self) -> str | None:
        """How this record's articles were chunked (``Chunker.stamp``; None: nothing stamped yet)."""
        row = self._one("SELECT value FROM lexical_meta WHERE key='chunking'")
        return None if row is None else row["value"]

    def stamp_chunking(self, stamp: str) -> None:
        """Record how the articles are chunked; call inside the transaction that writes them, in the writer turn."""
        self._run("DELETE FROM lexical_meta WHERE key='chunking'")
        self._run("INSERT INTO lexical_meta(key, value) VALUES ('chunking', ?)", (stamp,))

    def article_of_most_chunks(self) -> str | None:
        row = self._one("SELECT article_id FROM chunks GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT 1")
        return None if row is None else row["article_id"]

    def has_articles(self) -> bool:
        return self._one("SELECT 1 AS one FROM articles LIMIT 1") is not None

    def count(self) -> tuple[int, int]:
        row = self._one("SELECT (SELECT COUNT(*) FROM articles) AS a, (SELECT COUNT(*) FROM chunks) AS c")
        return int(row["a"]), int(row["c"])

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        out: dict[str, StoredChunk] = {}
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            rows = self._all(f"SELECT id,article_id,idx,char_start,char_end,text FROM chunks WHERE id IN {_in(part)}", part)
            out.update({r["id"]: _chunk(r) for r in rows})
        return out

    def known_chunk_ids(self, chunk_ids: list[str]) -> set[str]:
        """Those of ``chunk_ids`` the record holds (an id alone, no text: the orphan sweep's question)."""
        out: set[str] = set()
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            out.update(r["id"] for r in self._all(f"SELECT id FROM chunks WHERE id IN {_in(part)}", part))
        return out

    def chunk_ids_after(self, rowid: int, limit: int) -> list[tuple[int, str]]:
        """(rowid, chunk id) of the next ``limit`` chunks after ``rowid``: every chunk, page by page."""
        rows = self._all("SELECT rowid, id FROM chunks WHERE rowid > ? ORDER BY rowid LIMIT ?", (rowid, limit))
        return [(int(r["rowid"]), r["id"]) for r in rows]

    def chunks_for_vectors(self, chunk_ids: list[str]) -> list[tuple[StoredChunk, ArticleHead, int]]:
        """Each stored chunk of ``chunk_ids`` with its article's head and ``published_ts`` (0 when undated):
        what its vector is embedded from and what Chroma keeps beside it."""
        out = []
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            rows = self._all(
                f"SELECT c.id AS id, c.article_id AS article_id, c.idx AS idx, c.char_start AS char_start,"
                f" c.char_end AS char_end, c.text AS text, a.title AS title, a.source AS source, a.url AS url,"
                f" a.published_at AS published_at, a.published_ts AS published_ts"
                f" FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN {_in(part)}", part)
            out.extend((_chunk(r), ArticleHead(r["article_id"], r["title"], r["source"], r["url"], r["published_at"]),
                        int(r["published_ts"] or 0)) for r in rows)
        return out

    def chunks_of(self, article_id: str) -> list[StoredChunk]:
        rows = self._all(
            "SELECT id,article_id,idx,char_start,char_end,text FROM chunks WHERE article_id=? ORDER BY idx", (article_id,)
        )
        return [_chunk(r) for r in rows]

    def articles_by_id(self, article_ids: Iterable[str]) -> dict[str, StoredArticle]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        rows = self._all(f"SELECT *, 0 AS n_chunks FROM articles WHERE id IN {_in(ids)}", ids)
        return {r["id"]: _article(r) for r in rows}

    def article_heads_by_id(self, article_ids: Iterable[str]) -> dict[str, ArticleHead]:
        """``articles_by_id`` without the articles' text: what search results carry."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        rows = self._all(f"SELECT id, title, source, url, published_at FROM articles WHERE id IN {_in(ids)}", ids)
        return {r["id"]: ArticleHead(r["id"], r["title"], r["source"], r["url"], r["published_at"]) for r in rows}

    def bm25_search(self, query: str, limit: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; scores are positive, higher is better.

        Ranked by the in-memory index (lexical.py); dates filter there, sources and article ids
        by the set of chunks the record says qualify. The record has the last word: a chunk
        deleted or replaced since the index last synced drops out when its posting is looked up.
        """
        allow = self._lexical_filter(filters)
        ranked = self.lexical.search(query, limit, allow)
        if not ranked:
            return []
        seqs = [seq for seq, _ in ranked]
        ids = {r["seq"]: r["id"] for r in self._all(
            f"SELECT t.seq AS seq, c.id AS id FROM chunk_terms t JOIN chunks c ON c.rowid = t.chunk_rowid"
            f" WHERE t.seq IN {_in(seqs)}", seqs)}
        return [(ids[seq], score) for seq, score in ranked if seq in ids]

    def _lexical_filter(self, filters: Filters | None):
        if filters is None:
            return None
        low, high = filters.published_from_ts, filters.published_to_ts
        allowed = None
        if filters.sources or filters.article_ids:
            where, params = _scope_sql(filters.sources, filters.article_ids)
            rows = self._all(f"SELECT c.rowid AS rowid FROM chunks c JOIN articles a ON a.id = c.article_id WHERE 1=1{where}",
                             params)
            allowed = np.fromiter((r["rowid"] for r in rows), dtype=np.int64)
            allowed.sort()
        undated = filters.undated_pass
        if allowed is None and low is None and high is None and undated:
            return None

        def mask(segment: Segment) -> np.ndarray:
            keep = np.ones(len(segment), dtype=bool)
            if low is not None:
                keep &= segment.published >= low
            if high is not None:
                keep &= segment.published <= high
            keep = keep | (segment.published == 0) if undated else keep & (segment.published != 0)
            if allowed is not None:
                keep &= np.isin(segment.rowids, allowed, assume_unique=True)
            return keep

        return mask

    def newest_published_ts(self) -> int:
        row = self._one("SELECT MAX(published_ts) AS ts FROM articles")
        return int(row["ts"] or 0)

    def document_frequencies(self, raw_words: Iterable[str]) -> tuple[dict[str, int], int]:
        """How many chunks contain each word (its Porter stem), and how many chunks there are."""
        return self.lexical.document_frequencies(raw_words)

    def published_ts_of_chunks(self, chunk_ids: list[str]) -> dict[str, int | None]:
        if not chunk_ids:
            return {}
        rows = self._all(
            f"SELECT c.id AS id, a.published_ts AS ts FROM chunks c JOIN articles a ON a.id=c.article_id"
            f" WHERE c.id IN {_in(chunk_ids)}", chunk_ids
        )
        return {r["id"]: r["ts"] for r in rows}


def _article(row) -> StoredArticle:
    return StoredArticle(
        id=row["id"], title=row["title"], source=row["source"], url=row["url"], published_at=row["published_at"],
        published_ts=row["published_ts"], text=row["text"], content_hash=row["content_hash"],
        ingested_at=row["ingested_at"], n_chunks=row["n_chunks"],
    )


def _chunk(row) -> StoredChunk:
    return StoredChunk(
        id=row["id"], article_id=row["article_id"], index=row["idx"], char_start=row["char_start"],
        char_end=row["char_end"], text=row["text"],
    )
