"""Upsert articles: unchanged content is a no-op, changed content replaces its chunks atomically."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

import numpy as np

from app.dependency_errors import EmbeddingEndpointError, classify
from app.embed import Embedder
from app.ingest.article import ArticleIn, InvalidArticle, NormalisedArticle, normalise
from app.ingest.chunker import Chunker
from app.ingest.loaders import LoadedRecord
from app.ingest.pipeline import Pipeline, Prepared, bm25_prefix, embedding_text
from app.ingest.report import ArticleOutcome, IngestReport, dated_later_warnings
from app.store.failures import store_failure
from app.store.models import StoredArticle, StoredChunk
from app.store.records import RecordStore
from app.store.vector import VectorStore

log = logging.getLogger(__name__)


def vector_metadata(chunk: StoredChunk, source: str, published_ts: int | None) -> dict:
    """What Chroma keeps beside a chunk's vector: what its filters read, nothing more. The title, chunk index and
    offsets live in the record; kept in Chroma too (until 2026-11-27) they were never read and cost a fifth of its
    disk and a third of an ingest's system time (docs/performance.md *A cheaper HNSW build*)."""
    return {"article_id": chunk.article_id, "source": source, "published_ts": published_ts or 0}


def chunking_refusal(stamped: str | None, mine: str) -> str:
    """One line: why an article is not written into an index chunked otherwise, and the two ways out. ``stamped``
    None: an index written before the stamp whose articles this process splits otherwise."""
    chunked = f"are chunked with {stamped}" if stamped else "were chunked otherwise (written before the stamp)"
    return (f"the index's articles {chunked}, this process with {mine}: an index holds one "
            "chunking; set CITEWIRE_CHUNK_TOKENS, CITEWIRE_CHUNK_OVERLAP and CITEWIRE_ENCODING_NAME as the index "
            "was built, or ingest into a new CITEWIRE_DATA_DIR")


class WriterTurnLost(RuntimeError):
    """The record's writer turn ended under its holder (PostgreSQL ended the session holding it)."""


class IngestStopped(RuntimeError):
    """A batch could not be written because a store failed (down, disk full) or the embeddings endpoint is down:
    with ``stop_on_failure`` the ingest stops there instead of failing every later batch the same way, one error
    per article. The batches before it are stored whole; this one was rolled back (``__cause__``: why)."""

    def __init__(self, reason: str, articles: int) -> None:
        super().__init__(f"a batch of {articles} article{'s' if articles != 1 else ''} could not be stored: {reason}")
        self.reason, self.articles = reason, articles

    def __reduce__(self):
        return type(self), (self.reason, self.articles)


def _stopping_reason(exc: BaseException) -> str | None:
    """Why a failed batch stops the ingest (a store or the embeddings endpoint failed), or None: the batch's
    articles fail on their own and the ingest goes on (a bug, an embedder error in a worker)."""
    failure = store_failure(exc)
    if failure is not None:
        return failure.message()
    failure = classify(exc)
    return failure.message() if failure is not None and failure.dependency == "embeddings" else None


def _left_behind(what: str, exc: Exception) -> None:
    """A vector delete that failed after the record's commit: the vectors are orphans, ignored on read. One warning
    line naming the store's failure (Chroma down, a full disk) and the fix; a traceback only for anything else."""
    failure = store_failure(exc)
    if failure is None:
        log.warning("%s (left as orphans: `citewire check --repair` removes them)", what, exc_info=True)
    else:
        log.warning("%s: %s; left as orphans, ignored on read: `citewire check --repair` removes them", what,
                    failure.cause())


class IngestService:
    def __init__(self, records: RecordStore, vectors: VectorStore, embedder: Embedder, chunker: Chunker) -> None:
        self.records = records
        self.vectors = vectors
        self.embedder = embedder
        self.chunker = chunker
        # One ingest or delete at a time in this process, so a request's batches are not interleaved with another's
        # (two requests overlapping on an article reported both "added"). Across processes and hosts, each batch's
        # write and each delete also take the record's writer turn (app/store/write_lock.py), where what is
        # stored is re-read: the vectors' safety rests on that turn, not on this lock.
        self._writing = threading.Lock()
        self._stop_on_failure = False  # this ingest's choice (set under _writing)
        self._splits_as_stored: bool | None = None  # an index written before the stamp: checked once (_chunking_check)

    def ingest(
        self,
        items: Iterable[LoadedRecord | ArticleIn],
        batch_articles: int = 256,
        on_progress: Callable[[ArticleOutcome], None] | None = None,
        keep_outcomes: bool = True,
        workers: int | None = None,
        stop_on_failure: bool = False,
    ) -> IngestReport:
        """Three stages overlap: reading + change detection here, chunking + BM25 postings in
        ``workers`` processes (default: the cores but one, started once the input proves large), which also
        embed when the embedder can be made there (else a thread here embeds), store writes on a writer thread.
        Outcomes are reported in input order. Ingests and deletes
        in one process take turns (a second request waits for the first); across processes each batch's store
        write takes the record's writer turn (``_store_batch``).

        ``stop_on_failure`` (``citewire ingest``): the first batch that a failing store (down, disk full) or
        embeddings endpoint could not write raises IngestStopped, and nothing after it is written; without it (an
        API request, whose every record is reported) each failed batch's articles are reported failed."""
        with self._writing:
            self._stop_on_failure = stop_on_failure
            try:
                return self._ingest(items, batch_articles, on_progress, keep_outcomes, workers)
            finally:
                self._stop_on_failure = False

    def _ingest(self, items, batch_articles, on_progress, keep_outcomes, workers) -> IngestReport:
        report = IngestReport(keep_outcomes=keep_outcomes)
        emit_lock = threading.Lock()

        def emit(outcome: ArticleOutcome) -> None:
            with emit_lock:
                report.record(outcome)
                if on_progress:
                    on_progress(outcome)

        pipeline = Pipeline(self, emit, workers)
        first_seen: dict[str, str] = {}  # id -> the origin of its first record in this ingest

        def seen(article_id: str, origin: str) -> None:
            """The same id twice: the later record wins, and the article is reported once (with a warning);
            within a batch only the later one is written, across batches it replaces the earlier one."""
            if article_id in first_seen:
                report.duplicate(article_id, first_seen[article_id], origin)
            else:
                first_seen[article_id] = origin

        batch: dict[str, tuple[str, NormalisedArticle]] = {}
        early: list[tuple[int, ArticleOutcome]] = []  # (input position, outcome): failed before chunking
        positions: dict[str, int] = {}  # article id -> input position of its first record in the batch
        stopped = False
        try:
            for position, item in enumerate(items):
                record = item if isinstance(item, LoadedRecord) else LoadedRecord("request", article=item)
                if record.ignored:  # before its outcome is emitted, which then names them
                    with emit_lock:
                        report.ignore(record.origin, record.ignored)
                if record.article is None:
                    early.append((position, ArticleOutcome(record.origin, record.article_id, "failed",
                                                           error=record.error)))
                    if record.article_id:  # as a record with a bad date: its id named if given again
                        seen(record.article_id, record.origin)
                    continue
                try:
                    article = normalise(record.article)
                except InvalidArticle as exc:
                    early.append((position, ArticleOutcome(record.origin, record.article.id, "failed",
                                                           error=str(exc))))
                    if record.article.id:  # reported failed on its own, and its id named if given again
                        seen(record.article.id, record.origin)
                    continue
                seen(article.id, record.origin)
                batch[article.id] = (record.origin, article)
                positions.setdefault(article.id, position)  # where the id first came, as the batch dict keeps it
                if len(batch) >= batch_articles:
                    pipeline.submit(early, batch, positions)
                    batch, early, positions = {}, [], {}
            if batch or early:
                pipeline.submit(early, batch, positions)
        except KeyboardInterrupt:  # Ctrl+C: stop after the batch being written, not after every batch in flight
            stopped = True
            pipeline.abandon()
            raise
        finally:
            if not stopped:  # the input ended, or failed: what was read before still lands (then any error)
                pipeline.finish()
        return report

    def delete(self, article_id: str) -> bool:
        with self._writing:
            return self._delete(article_id)

    def _delete(self, article_id: str) -> bool:
        # In the writer turn up to the vectors' delete: a re-ingest of the same text in another process upserts
        # these same (content-addressed) ids and commits them; deleted after that, its chunks lose their vectors.
        with self.records.writer_turn():
            with self.records.transaction():
                if self.records.get_article(article_id) is None:
                    return False
                chunk_ids = self.records.remove_article(article_id)
            if not self.records.writer_turn_held():  # another writer may have stored these ids again meanwhile
                log.warning("lost the writer turn deleting %s: its %d vectors are left as orphans (`citewire repair`)",
                            article_id, len(chunk_ids))
                return True
            try:  # after the commit: a vector left behind is an orphan, ignored on read (`citewire repair`)
                self.vectors.delete(chunk_ids)
            except Exception as exc:
                _left_behind(f"could not delete the vectors of {article_id}", exc)
        return True

    def _write_batch(self, pending: list[Prepared], emit) -> None:
        """Embed, then store: both stages on the calling thread (the pipeline runs them on two)."""
        self._store_batch(pending, self._embed_batch(pending), emit)

    def _embed_batch(self, pending: list[Prepared]) -> list | Exception:
        """The batch's vectors, or the embedding error (reported per article by ``_store_batch``)."""
        if not pending:
            return []
        prefixed = [embedding_text(p.article.title, c.text) for p in pending for c in p.chunks]
        try:
            return self.embedder.embed(prefixed)
        except EmbeddingEndpointError as exc:  # the endpoint is down or refused: one line, the store is kept
            log.error("embedding failed: the embeddings endpoint %s: %s", exc.endpoint, exc)
            return exc
        except Exception as exc:  # anything else is a bug worth its traceback; the articles fail, the store is kept
            log.exception("embedding failed")
            return exc

    def _store_batch(self, pending: list[Prepared], vectors: list | Exception, emit) -> None:
        if not pending:
            return
        if isinstance(vectors, Exception):
            reason = _stopping_reason(vectors) if self._stop_on_failure else None
            if reason is not None:
                raise IngestStopped(reason, len(pending)) from vectors
            for p in pending:
                where = f"the embeddings endpoint {vectors.endpoint}: " if isinstance(vectors, EmbeddingEndpointError) else ""
                emit(ArticleOutcome(p.origin, p.article.id, "failed", error=f"embedding failed: {where}{vectors}"))
            return
        # Embedded outside the turn (seconds of CPU, touching no store); from here to the stale vectors' delete
        # inside it. Vectors first, outside the record's transaction (no database lock is held across a network
        # call): until the record commits they are orphans that reads ignore. Then the record, in one short
        # transaction; only after it commits do the replaced chunks' vectors go. Another process's write or
        # delete of the same article in between would delete vectors of chunks the record holds (the chunk ids
        # are content-addressed, so both touch the same ids): the turn keeps it out of the whole section.
        try:
            with self.records.writer_turn():
                outcomes = self._store_in_turn(pending, vectors)
        except IngestStopped:
            raise
        except Exception as exc:  # the turn or the stored hashes could not be had (PostgreSQL down): nothing written
            reason = _stopping_reason(exc) if self._stop_on_failure else None
            if reason is not None:
                log.error("writing a batch failed: %s", reason)
                raise IngestStopped(reason, len(pending)) from exc
            log.exception("writing a batch failed")
            outcomes = [ArticleOutcome(p.origin, p.article.id, "failed", error=f"store write failed: {exc}")
                        for p in pending]
        for outcome in outcomes:  # outside the turn: a progress callback never holds up other writers
            emit(outcome)

    def _store_in_turn(self, pending: list[Prepared], vectors) -> list[ArticleOutcome]:
        # What is stored now decides the outcome: another process may have written or deleted one of these
        # articles since Pipeline.submit compared hashes (two processes both reported it "added").
        stored = self.records.content_hashes(p.article.id for p in pending)
        refusal, stamp = self._chunking_check()
        batch, rows, offset, pending = pending, [], 0, []
        for p in batch:
            if stored.get(p.article.id) == p.article.content_hash:
                p.status = "unchanged"
            elif refusal:
                p.status = "refused"
            else:
                p.status = "updated" if p.article.id in stored else "added"
                rows.extend(range(offset, offset + len(p.chunks)))
                pending.append(p)
            offset += len(p.chunks)
        if len(rows) != offset:
            vectors = np.asarray(vectors)[rows]
        error = self._write(pending, vectors, stamp) if pending else None
        reason = _stopping_reason(error) if error is not None and self._stop_on_failure else None
        if reason is not None:
            raise IngestStopped(reason, len(pending)) from error
        outcomes = [ArticleOutcome(p.origin, p.article.id, "unchanged") if p.status == "unchanged"
                    else ArticleOutcome(p.origin, p.article.id, "failed", error=refusal) if p.status == "refused"
                    else ArticleOutcome(p.origin, p.article.id, "failed", error=f"store write failed: {error}")
                    if error is not None
                    else ArticleOutcome(p.origin, p.article.id, p.status, chunks=len(p.chunks))
                    for p in batch]  # in input order
        for p, outcome in zip(batch, outcomes):
            if outcome.status != "failed":
                outcome.warnings += dated_later_warnings(p.article)
        return outcomes

    def _chunking_check(self) -> tuple[str | None, bool]:
        """(why this process may not write articles, as the record's are chunked otherwise, or None; whether its
        write stamps this chunking on the record). The first articles and an emptied index take this chunking; one
        written before the stamp is checked once: its article of most chunks, split again here, must give the stored
        chunks' offsets. Read in the writer turn, so the write that follows sees the same record."""
        stamped = self.records.chunking()
        if stamped == self.chunker.stamp:
            return None, False
        if not self.records.has_articles():
            return None, True
        if stamped is None:
            if self._splits_as_stored is None:
                self._splits_as_stored = self._splits_like_the_index()
            if self._splits_as_stored:
                return None, True
        return chunking_refusal(stamped, self.chunker.stamp), False

    def _splits_like_the_index(self) -> bool:
        article_id = self.records.article_of_most_chunks()
        article = self.records.get_article(article_id) if article_id else None
        if article is None:
            return True
        stored = [(c.char_start, c.char_end) for c in self.records.chunks_of(article_id)]
        return stored == [(s.char_start, s.char_end) for s in self.chunker.split(article.text)]

    def _write(self, pending: list[Prepared], vectors, stamp: bool = False) -> Exception | None:
        """Vectors, record, then the replaced vectors; the error when the batch could not be stored. ``stamp``: the
        record takes this process's chunking with these articles (``_chunking_check``)."""
        ids, metadatas = [], []
        for p in pending:
            article = p.article
            for chunk in p.chunks:
                ids.append(chunk.id)
                metadatas.append(vector_metadata(chunk, article.source, article.published_ts))
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        new_ids = set(ids)
        stale: list[str] = []
        try:
            self.vectors.upsert(ids, vectors, metadatas)
            with self.records.transaction():
                if stamp:
                    self.records.stamp_chunking(self.chunker.stamp)
                for p in pending:
                    article = p.article
                    stale.extend(i for i in self.records.chunk_ids_of(article.id) if i not in new_ids)
                    self.records.put_article(
                        StoredArticle(article.id, article.title, article.source, article.url, article.published_at,
                                      article.published_ts, article.text, article.content_hash, now),
                        p.chunks, bm25_prefix(article.title), p.terms,
                    )
                if not self.records.writer_turn_held():  # rolled back: another writer may hold these ids now
                    raise WriterTurnLost("lost the writer turn before the record's commit")
        except Exception as exc:
            failure = store_failure(exc)
            if failure is None:
                log.exception("writing a batch failed")
            else:  # a full disk, a store that is down: its words, not a traceback per batch
                log.error("writing a batch failed: %s", failure.message())
            self._drop_orphans(ids)
            return exc
        if not self.records.writer_turn_held():
            log.warning("lost the writer turn after the commit: %d replaced vectors are left as orphans "
                        "(`citewire repair`)", len(stale))
            return None
        try:
            self.vectors.delete(stale)
        except Exception as exc:  # left behind, they are orphans: ignored on read, removed by `citewire repair`
            _left_behind(f"could not delete {len(stale)} replaced vectors", exc)
        return None

    def _drop_orphans(self, ids: list[str]) -> None:
        """Best effort after a failed write: remove vectors this batch added that the record lacks."""
        if not self.records.writer_turn_held():  # unknown to the record may mean another writer's, uncommitted
            log.warning("lost the writer turn: %d vectors of a failed write are left as orphans (`citewire repair`)",
                        len(ids))
            return
        try:
            known = set(self.records.chunks_by_id(ids))
            self.vectors.delete([i for i in ids if i not in known])
        except Exception as exc:
            _left_behind("could not remove orphan vectors", exc)
