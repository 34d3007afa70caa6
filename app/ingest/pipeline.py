"""The ingest pipeline: keep both cores busy without giving up ordering or atomicity.

Profiled on RealTimeQA articles (docs/performance.md), one ingest is ~40 % embedding, ~10 %
chunking (LangChain's splitter counts tokens of every piece), ~20 % BM25 postings and ~30 % Chroma
and SQLite writes. Chunking and postings are pure Python (GIL-bound), so they run in worker
processes, and so does the embedding when the embedder can be made there (the local wordllama: it
holds the GIL for most of its work, so on a thread beside the store writes the parent process got
one core's worth of both); the store writes (Chroma's HNSW insert, then SQLite) run on a thread of
the parent, in input order, while the workers prepare the next batches. An embedder that cannot
move (an embeddings endpoint) embeds on a thread of the parent, as before. A batch still lands
whole or not at all (service._store_batch).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass

import numpy as np

from app.ingest.article import NormalisedArticle
from app.ingest.chunker import Chunker
from app.ingest.report import ArticleOutcome, dated_later_warnings
from app.store.lexical import chunk_terms
from app.store.models import StoredChunk

log = logging.getLogger(__name__)
_worker_chunker: Chunker | None = None
_worker_embedder = None  # the worker's own embedder, when the parent's can be made in a process (Pipeline)
POOL_AFTER_BATCHES = 2  # small ingests (an API request) never pay for starting processes


@dataclass(slots=True)
class Prepared:
    origin: str
    article: NormalisedArticle
    status: str  # added | updated; unchanged when the write finds it stored meanwhile (IngestService)
    chunks: list[StoredChunk]
    terms: list[tuple[int, bytes, bytes]]


def _init_worker(config: tuple[int, int, str], embedder_factory: Callable | None = None) -> None:
    global _worker_chunker, _worker_embedder
    # Ctrl+C reaches the whole process group (and systemd's stop sends SIGTERM to every process of the unit): the
    # parent decides what stops (Pipeline.abandon); a worker killed by it broke the pool, and its BrokenProcessPool
    # replaced the interrupt with a traceback. A worker still ends with its parent (_exit_with_parent).
    for stop in _STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    _exit_with_parent()
    _worker_chunker = Chunker(*config)
    try:
        _worker_embedder = embedder_factory() if embedder_factory is not None else None
    except Exception:  # noqa: BLE001 - a pool whose initializer raised is broken: the parent embeds instead
        _worker_embedder = None


def _exit_with_parent() -> None:
    """A worker waits on the pool's task queue, whose pipe every worker holds open too, so a parent that was
    SIGKILLed (OOM killer, ``kill -9``) left its workers waiting forever. A spawned process holds the read end
    of a pipe whose write end only its parent has (``parent_process().sentinel``): it reads EOF when the
    parent is gone, however it ended. Not PR_SET_PDEATHSIG: that fires when the parent *thread* that started
    the worker ends, and a pool's workers start on whichever request thread submitted first."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)  # the parent is gone: nobody reads what this worker would return

    threading.Thread(target=watch, name="citewire-parent-watch", daemon=True).start()


def split_and_index(job: list[tuple[str, str, str, str]], chunker: Chunker | None = None
                    ) -> list[tuple[list, list]]:
    """For each (article id, title, text, content hash): its chunks (as tuples) and their BM25 postings."""
    chunker = chunker or _worker_chunker
    out = []
    prefix_of = bm25_prefix
    for article_id, title, text, article_hash in job:
        spans = chunker.split(text)
        chunks = [(s.chunk_id(article_id, article_hash), s.index, s.char_start, s.char_end, s.text) for s in spans]
        out.append((chunks, [chunk_terms(prefix_of(title) + s.text) for s in spans]))
    return out


def prepare_in_worker(job: list[tuple[str, str, str, str]]) -> tuple[list[tuple[list, list]], np.ndarray | Exception | None]:
    """``split_and_index`` and, with a worker embedder, the vectors of every chunk of the job (the texts the
    parent's ``IngestService._embed_batch`` would embed, in the same order, as one call); an embedding error
    comes back as the value, so it fails these articles only, as in the parent."""
    parts = split_and_index(job)
    if _worker_embedder is None:
        return parts, None
    texts = [embedding_text(title, chunk[4]) for (_, title, _, _), (chunks, _) in zip(job, parts) for chunk in chunks]
    if not texts:
        return parts, None
    try:
        return parts, _worker_embedder.embed(texts)
    except Exception as exc:  # noqa: BLE001 - an exception of any class may not unpickle in the parent
        return parts, RuntimeError(f"{type(exc).__name__}: {exc}")


def bm25_prefix(title: str) -> str:
    """Titles are indexed with every chunk: it measurably helps both BM25 and dense retrieval."""
    return f"{title}\n" if title else ""


def embedding_text(title: str, chunk_text: str) -> str:
    """What a chunk is embedded as, in a worker or in the parent (the same text, so the same vector)."""
    return bm25_prefix(title) + chunk_text


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _children_ignore_ctrl_c():
    """Worker processes started in here never see SIGINT or SIGTERM: they start with both blocked (a thread's
    signal mask is inherited across fork and exec, and Python leaves it so; _init_worker then ignores them).
    Without it a Ctrl+C while a spawned worker was still importing printed that worker's KeyboardInterrupt
    traceback. The parent keeps the signal: one that comes meanwhile is noted and raised again on the way out
    (SIG_IGN here dropped a Ctrl+C or a systemd stop that came during a submit, and the ingest ran to its end).
    Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {stop: signal.signal(stop, lambda signum, _frame: caught.append(signum)) for stop in _STOP_SIGNALS}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # one pending for this thread is noted now
        for stop, handler in previous.items():
            signal.signal(stop, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(caught):  # to the handler it was meant for (Ctrl+C: KeyboardInterrupt)
            signal.raise_signal(signum)


class _Done:
    def __init__(self, value) -> None:
        self._value = value

    def result(self, timeout: float | None = None):
        return self._value


class Pipeline:
    """Producer side: ``submit`` batches in order; ``finish`` waits and re-raises a writer error;
    ``abandon`` (the producer failed or was interrupted) drops what is not yet being written."""

    def __init__(self, service, emit, workers: int | None = None) -> None:
        self._service = service
        self._emit = emit
        self._workers = max(0, (os.cpu_count() or 1) - 1) if workers is None else workers
        # Bounds memory: at most ~5 batches in flight (2 queued, 1 embedding, 1 embedded, 1 writing). An item
        # of ``_queue`` is task_done only once written, so ``_queue.join()`` waits for the store writes too.
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._embedded: queue.Queue = queue.Queue(maxsize=1)
        self._writer: threading.Thread | None = None
        self._storer: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: set[str] = set()
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        # Only a failure of the store stage itself stops its writes: a batch embedded before a later batch's
        # embedding failed is still written and reported, as the single-threaded loop did.
        self._store_failed = False
        self._batches = 0
        self._abandoned = False  # set by abandon(): batches not yet embedded or written are dropped
        self._closed = False  # the end-of-input marker is queued

    def submit(self, early: list[tuple[int, ArticleOutcome]], batch: dict[str, tuple[str, NormalisedArticle]],
               positions: dict[str, int]) -> None:
        """``early``: (input position, outcome) of records that failed before chunking; ``positions``: each
        batch article's input position, so the batch's outcomes leave in input order whatever their fate."""
        if self._error is not None:
            raise self._error
        with self._lock:
            overlap = bool(self._inflight.intersection(batch))
        if overlap:  # an earlier version of one of these is still being written: compare with it
            self._queue.join()
        existing = self._service.records.content_hashes(batch)
        before = list(early)
        todo: list[tuple[str, NormalisedArticle, str]] = []
        for article_id, (origin, article) in batch.items():
            if existing.get(article_id) == article.content_hash:
                unchanged = _outcome(origin, article_id, "unchanged")
                unchanged.warnings += dated_later_warnings(article)  # said again, as on the first ingest
                before.append((positions[article_id], unchanged))
            else:
                todo.append((origin, article, "updated" if article_id in existing else "added"))
        self._batches += 1
        job = [(a.id, a.title, a.text, a.content_hash) for _, a, _ in todo]
        result: Future | _Done
        if self._workers and self._batches > POOL_AFTER_BATCHES and self._pool is None:
            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self._service.chunker.config, getattr(self._service.embedder, "process_factory", None)),
            )
        if self._pool is not None and job:
            with _children_ignore_ctrl_c():  # a submit may start a worker process
                result = self._pool.submit(prepare_in_worker, job)
        else:
            result = _Done((split_and_index(job, self._service.chunker), None))
        with self._lock:
            self._inflight.update(a.id for _, a, _ in todo)
        if self._writer is None:
            # each thread runs in a copy of the caller's context: their log lines carry the request's id
            self._writer = threading.Thread(target=contextvars.copy_context().run, args=(self._drain,),
                                            name="citewire-ingest-embedder", daemon=True)
            self._storer = threading.Thread(target=contextvars.copy_context().run, args=(self._store,),
                                            name="citewire-ingest-writer", daemon=True)
            self._writer.start()
            self._storer.start()
        self._queue.put((before, todo, result, positions))

    def _drain(self) -> None:
        """Embedding stage: chunks from the workers, then vectors; hands each batch on, in order."""
        while True:
            item = self._queue.get()
            if item is None:
                self._embedded.put(None)
                return
            before, todo, result, positions = item
            embedded = None
            try:
                if todo and self._error is None and not self._abandoned:
                    pending = []
                    parts, vectors = self._wait(result)
                    for (origin, article, status), (chunks, terms) in zip(todo, parts):
                        stored = [StoredChunk(cid, article.id, i, start, end, text) for cid, i, start, end, text in chunks]
                        pending.append(Prepared(origin, article, status, stored, terms))
                    if vectors is None:  # not embedded in a worker (no pool yet, or an embedder that stays here)
                        vectors = self._service._embed_batch(pending)
                    elif isinstance(vectors, Exception):
                        log.error("embedding failed in a worker: %s", vectors)
                    embedded = (pending, vectors)
            except _Abandoned:
                embedded = None
            except BaseException as exc:  # noqa: BLE001 - handed to the producer, raised by finish()
                self._error = self._error or exc
            self._embedded.put((before, todo, embedded, positions))

    def _wait(self, result):
        """A worker's result, or _Abandoned once the ingest is abandoned meanwhile: a stop does not wait for the
        chunking and embedding of a batch it will drop (a second or more for 256 articles)."""
        while True:
            try:
                return result.result(timeout=0.05)
            except FuturesTimeout:
                if self._abandoned:
                    raise _Abandoned from None

    def _store(self) -> None:
        """Store stage: outcomes and writes in input order; marks the batch done only once written."""
        while True:
            item = self._embedded.get()
            if item is None:
                self._queue.task_done()
                return
            before, todo, embedded, positions = item
            try:
                if self._abandoned:
                    continue  # the finally below still marks the batch done
                outcomes = list(before)  # reported together once the batch is written, in input order
                try:
                    if embedded is not None and not self._store_failed:
                        self._service._store_batch(*embedded,
                                                   lambda o: outcomes.append((positions[o.article_id], o)))
                finally:
                    for _, outcome in sorted(outcomes, key=lambda pair: pair[0]):
                        self._emit(outcome)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer, raised by finish()
                self._store_failed = True
                self._error = self._error or exc
            finally:
                with self._lock:
                    self._inflight.difference_update(a.id for _, a, _ in todo)
                self._queue.task_done()

    def finish(self) -> None:
        try:
            self._close()
        except KeyboardInterrupt:  # Ctrl+C while waiting for the last batches
            self.abandon()
            raise
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        """Stop after the batch being written (a batch lands whole or not at all): the queued ones, and one
        being embedded, are dropped unwritten, so an interrupted ingest ends in about a batch's write, not
        after every batch in flight. Never raises: the producer's own exception is the one to report."""
        self._abandoned = True
        try:
            self._close()
        except Exception:  # noqa: BLE001 - already failing; the caller re-raises its own exception
            pass

    def _close(self) -> None:
        try:
            if self._writer is not None:
                if not self._closed:
                    self._queue.put(None)
                    self._closed = True
                self._writer.join()
                self._storer.join()
        finally:
            if self._pool is not None:
                if self._abandoned or self._error is not None:  # a stop, or a failed write that stops the ingest:
                    _end_workers(self._pool)  # the workers only chunk and embed, so nothing is lost by ending them
                self._pool.shutdown(cancel_futures=True)
                self._pool = None


class _Abandoned(Exception):
    """The ingest was abandoned while a batch was still being prepared: it is dropped."""


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Ends the pool's worker processes at once (SIGKILL: they ignore SIGINT and SIGTERM, _init_worker), instead of
    waiting for the jobs they are running; the pool then sees them gone and shuts down without waiting."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


def _outcome(origin: str, article_id: str, status: str) -> ArticleOutcome:
    return ArticleOutcome(origin, article_id, status)
