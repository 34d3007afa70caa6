"""Upsert articles: unchanged content is a no-op, changed content replaces its chunks atomically."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.embed import Embedder
from app.ingest.article import ArticleIn, InvalidArticle, NormalisedArticle, normalise
from app.ingest.chunker import Chunker
from app.ingest.loaders import LoadedRecord
from app.store.models import StoredArticle, StoredChunk
from app.store.records import RecordStore
from app.store.vector import VectorStore

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ArticleOutcome:
    origin: str
    article_id: str | None
    status: str  # added | updated | unchanged | failed
    chunks: int = 0
    error: str | None = None


@dataclass(slots=True)
class IngestReport:
    outcomes: list[ArticleOutcome] = field(default_factory=list)
    keep_outcomes: bool = True
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "unchanged": 0, "failed": 0})
    chunks_written: int = 0
    failures: list[ArticleOutcome] = field(default_factory=list)

    def record(self, outcome: ArticleOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status in ("added", "updated"):
            self.chunks_written += outcome.chunks
        if outcome.status == "failed":
            self.failures.append(outcome)
        if self.keep_outcomes:
            self.outcomes.append(outcome)


def bm25_prefix(title: str) -> str:
    """Titles are indexed with every chunk: it measurably helps both BM25 and dense retrieval."""
    return f"{title}\n" if title else ""


class IngestService:
    def __init__(self, records: RecordStore, vectors: VectorStore, embedder: Embedder, chunker: Chunker) -> None:
        self.records = records
        self.vectors = vectors
        self.embedder = embedder
        self.chunker = chunker

    def ingest(
        self,
        items: Iterable[LoadedRecord | ArticleIn],
        batch_articles: int = 64,
        on_progress: Callable[[ArticleOutcome], None] | None = None,
        keep_outcomes: bool = True,
    ) -> IngestReport:
        report = IngestReport(keep_outcomes=keep_outcomes)

        def emit(outcome: ArticleOutcome) -> None:
            report.record(outcome)
            if on_progress:
                on_progress(outcome)

        batch: dict[str, tuple[str, NormalisedArticle]] = {}
        for item in items:
            record = item if isinstance(item, LoadedRecord) else LoadedRecord("request", article=item)
            if record.article is None:
                emit(ArticleOutcome(record.origin, None, "failed", error=record.error))
                continue
            try:
                article = normalise(record.article)
            except InvalidArticle as exc:
                emit(ArticleOutcome(record.origin, record.article.id, "failed", error=str(exc)))
                continue
            if article.id in batch:  # the same id twice: the later version wins, in order
                self._write_batch(batch, emit)
                batch = {}
            batch[article.id] = (record.origin, article)
            if len(batch) >= batch_articles:
                self._write_batch(batch, emit)
                batch = {}
        if batch:
            self._write_batch(batch, emit)
        return report

    def delete(self, article_id: str) -> bool:
        with self.records.transaction():
            if self.records.get_article(article_id) is None:
                return False
            chunk_ids = self.records.remove_article(article_id)
            self.vectors.delete(chunk_ids)
        return True

    def _write_batch(self, batch: dict[str, tuple[str, NormalisedArticle]], emit) -> None:
        existing = self.records.content_hashes(batch)
        pending: list[tuple[str, NormalisedArticle, list[StoredChunk], str]] = []
        for article_id, (origin, article) in batch.items():
            if existing.get(article_id) == article.content_hash:
                emit(ArticleOutcome(origin, article_id, "unchanged"))
                continue
            spans = self.chunker.split(article.text)
            chunks = [
                StoredChunk(s.chunk_id(article_id), article_id, s.index, s.char_start, s.char_end, s.text) for s in spans
            ]
            pending.append((origin, article, chunks, "updated" if article_id in existing else "added"))
        if not pending:
            return
        prefixed = [bm25_prefix(a.title) + c.text for _, a, chunks, _ in pending for c in chunks]
        try:
            vectors = self.embedder.embed(prefixed)
        except Exception as exc:  # an embeddings endpoint may be down: fail these articles, keep the store
            log.exception("embedding failed")
            for origin, article, _, _ in pending:
                emit(ArticleOutcome(origin, article.id, "failed", error=f"embedding failed: {exc}"))
            return
        ids, metadatas = [], []
        for _, article, chunks, _ in pending:
            for chunk in chunks:
                ids.append(chunk.id)
                metadatas.append({
                    "article_id": article.id, "chunk_index": chunk.index, "source": article.source,
                    "published_ts": article.published_ts or 0, "title": article.title[:500],
                    "char_start": chunk.char_start, "char_end": chunk.char_end,
                })
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        new_ids = set(ids)
        try:
            with self.records.transaction():
                stale: list[str] = []
                for _, article, chunks, _ in pending:
                    stale.extend(i for i in self.records.chunk_ids_of(article.id) if i not in new_ids)
                    self.records.put_article(
                        StoredArticle(article.id, article.title, article.source, article.url, article.published_at,
                                      article.published_ts, article.text, article.content_hash, now),
                        chunks, bm25_prefix(article.title),
                    )
                self.vectors.upsert(ids, vectors, metadatas)
                self.vectors.delete(stale)
        except Exception as exc:
            # The record rolled back; vectors written for this batch are orphans that reads ignore.
            log.exception("writing a batch failed")
            for origin, article, _, _ in pending:
                emit(ArticleOutcome(origin, article.id, "failed", error=f"store write failed: {exc}"))
            return
        for origin, article, chunks, status in pending:
            emit(ArticleOutcome(origin, article.id, status, chunks=len(chunks)))
