"""The article record: the source of truth for articles and chunks, plus the BM25 index.

SQLite FTS5 gives BM25 ranking (Porter stemming) that is updated in the same transaction as the
record, so the lexical index can never drift from the stored articles. Chroma writes happen inside
that transaction (see ingest), and vectors whose chunk is not in this record are ignored on read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.store.models import Filters, StoredArticle, StoredChunk
from app.text import QUESTION_WORDS, STOPWORDS, porter_stem, words

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
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(body, tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab('chunks_fts', 'row');
"""


def fts_query(text: str) -> str | None:
    """An OR query of the quoted content words: BM25 does the weighting, quoting escapes syntax."""
    terms = [w for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS]
    unique = list(dict.fromkeys(terms))
    if not unique:
        return None
    return " OR ".join('"' + t.replace('"', "") + '"' for t in unique)


def _filter_sql(filters: Filters | None) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
    if filters is None:
        return "", params
    if filters.sources:
        clauses.append(f"a.source IN ({','.join('?' * len(filters.sources))})")
        params.extend(filters.sources)
    if filters.article_ids:
        clauses.append(f"a.id IN ({','.join('?' * len(filters.article_ids))})")
        params.extend(filters.article_ids)
    if filters.published_from_ts is not None:
        clauses.append("COALESCE(a.published_ts, 0) >= ?")
        params.append(filters.published_from_ts)
    if filters.published_to_ts is not None:
        clauses.append("COALESCE(a.published_ts, 0) <= ?")
        params.append(filters.published_to_ts)
    return "".join(f" AND {c}" for c in clauses), params


class RecordStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes go through here: either the whole batch lands or none of it does."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    # --- writes (call inside transaction()) ------------------------------------------------
    def put_article(self, article: StoredArticle, chunks: list[StoredChunk], bm25_prefix: str) -> None:
        self.remove_article(article.id)
        self._conn.execute(
            "INSERT INTO articles(id,title,source,url,published_at,published_ts,text,content_hash,ingested_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (article.id, article.title, article.source, article.url, article.published_at,
             article.published_ts, article.text, article.content_hash, article.ingested_at),
        )
        for chunk in chunks:
            cursor = self._conn.execute(
                "INSERT INTO chunks(id,article_id,idx,char_start,char_end,text) VALUES (?,?,?,?,?,?)",
                (chunk.id, chunk.article_id, chunk.index, chunk.char_start, chunk.char_end, chunk.text),
            )
            self._conn.execute(
                "INSERT INTO chunks_fts(rowid, body) VALUES (?, ?)", (cursor.lastrowid, bm25_prefix + chunk.text)
            )

    def remove_article(self, article_id: str) -> list[str]:
        rows = self._conn.execute("SELECT rowid, id FROM chunks WHERE article_id=?", (article_id,)).fetchall()
        if rows:
            self._conn.executemany("DELETE FROM chunks_fts WHERE rowid=?", [(r["rowid"],) for r in rows])
            self._conn.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
        self._conn.execute("DELETE FROM articles WHERE id=?", (article_id,))
        return [r["id"] for r in rows]

    # --- reads --------------------------------------------------------------------------------
    def content_hashes(self, article_ids: Iterable[str]) -> dict[str, str]:
        ids = list(article_ids)
        if not ids:
            return {}
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, content_hash FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids
            ).fetchall()
        return {r["id"]: r["content_hash"] for r in rows}

    def chunk_ids_of(self, article_id: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT id FROM chunks WHERE article_id=? ORDER BY idx", (article_id,)).fetchall()
        return [r["id"] for r in rows]

    def get_article(self, article_id: str) -> StoredArticle | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT a.*, (SELECT COUNT(*) FROM chunks c WHERE c.article_id=a.id) AS n_chunks"
                " FROM articles a WHERE a.id=?", (article_id,)
            ).fetchone()
        return _article(row) if row else None

    def list_articles(self, limit: int = 100, offset: int = 0, source: str | None = None) -> tuple[list[StoredArticle], int]:
        where, params = ("WHERE source=?", [source]) if source else ("", [])
        with self._lock:
            total = self._conn.execute(f"SELECT COUNT(*) FROM articles {where}", params).fetchone()[0]
            rows = self._conn.execute(
                f"SELECT id,title,source,url,published_at,published_ts,'' AS text,content_hash,ingested_at,"
                f" (SELECT COUNT(*) FROM chunks c WHERE c.article_id=articles.id) AS n_chunks"
                f" FROM articles {where} ORDER BY COALESCE(published_ts,0) DESC, id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return [_article(r) for r in rows], total

    def count(self) -> tuple[int, int]:
        with self._lock:
            articles = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            chunks = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return articles, chunks

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        if not chunk_ids:
            return {}
        out: dict[str, StoredChunk] = {}
        with self._lock:
            for start in range(0, len(chunk_ids), 500):
                part = chunk_ids[start : start + 500]
                rows = self._conn.execute(
                    f"SELECT id,article_id,idx,char_start,char_end,text FROM chunks WHERE id IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
                out.update({r["id"]: _chunk(r) for r in rows})
        return out

    def chunks_of(self, article_id: str) -> list[StoredChunk]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id,article_id,idx,char_start,char_end,text FROM chunks WHERE article_id=? ORDER BY idx",
                (article_id,),
            ).fetchall()
        return [_chunk(r) for r in rows]

    def articles_by_id(self, article_ids: Iterable[str]) -> dict[str, StoredArticle]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        with self._lock:
            rows = self._conn.execute(
                f"SELECT *, 0 AS n_chunks FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids
            ).fetchall()
        return {r["id"]: _article(r) for r in rows}

    def bm25_search(self, query: str, limit: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; scores are positive, higher is better.

        The FTS index ranks alone first (joins per match are what make OR queries slow); only when
        filters leave too few of those does the exact filtered query run.
        """
        match = fts_query(query)
        if match is None:
            return []
        where, params = _filter_sql(filters)
        head = limit * 4 if where else limit
        with self._lock:
            ranked = self._conn.execute(
                "SELECT rowid, -rank AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, head),
            ).fetchall()
            if not ranked:
                return []
            scores = {r[0]: float(r[1]) for r in ranked}
            rows = self._conn.execute(
                f"SELECT c.rowid AS rowid, c.id AS id FROM chunks c JOIN articles a ON a.id = c.article_id"
                f" WHERE c.rowid IN ({','.join('?' * len(scores))}){where}",
                [*scores, *params],
            ).fetchall()
            if len(rows) < limit and len(ranked) == head:  # filters cut deep: ask the exact question
                rows = self._conn.execute(
                    "SELECT c.rowid AS rowid, c.id AS id, -bm25(chunks_fts) AS score FROM chunks_fts"
                    " JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN articles a ON a.id = c.article_id"
                    f" WHERE chunks_fts MATCH ?{where} ORDER BY bm25(chunks_fts) LIMIT ?",
                    [match, *params, limit],
                ).fetchall()
                return [(r["id"], float(r["score"])) for r in rows]
        found = sorted(((scores[r["rowid"]], r["id"]) for r in rows), reverse=True)[:limit]
        return [(chunk_id, score) for score, chunk_id in found]

    def newest_published_ts(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT MAX(published_ts) FROM articles").fetchone()
        return int(row[0] or 0)

    def document_frequencies(self, raw_words: Iterable[str]) -> tuple[dict[str, int], int]:
        """How many chunks contain each word (FTS5's Porter stem), and how many chunks there are."""
        stems = {w: porter_stem(w) for w in set(raw_words)}
        if not stems:
            return {}, self.count()[1]
        unique = list(set(stems.values()))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT term, doc FROM chunks_vocab WHERE term IN ({','.join('?' * len(unique))})", unique
            ).fetchall()
        by_stem = {r[0]: r[1] for r in rows}
        return {w: by_stem.get(s, 0) for w, s in stems.items()}, self.count()[1]

    def published_ts_of_chunks(self, chunk_ids: list[str]) -> dict[str, int | None]:
        if not chunk_ids:
            return {}
        with self._lock:
            rows = self._conn.execute(
                f"SELECT c.id, a.published_ts FROM chunks c JOIN articles a ON a.id=c.article_id"
                f" WHERE c.id IN ({','.join('?' * len(chunk_ids))})", chunk_ids
            ).fetchall()
        return {r[0]: r[1] for r in rows}


def _article(row: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        id=row["id"], title=row["title"], source=row["source"], url=row["url"], published_at=row["published_at"],
        published_ts=row["published_ts"], text=row["text"], content_hash=row["content_hash"],
        ingested_at=row["ingested_at"], n_chunks=row["n_chunks"],
    )


def _chunk(row: sqlite3.Row) -> StoredChunk:
    return StoredChunk(
        id=row["id"], article_id=row["article_id"], index=row["idx"], char_start=row["char_start"],
        char_end=row["char_end"], text=row["text"],
    )
