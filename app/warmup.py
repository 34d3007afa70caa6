"""Start-up warm-up: build what the first question would otherwise pay for, off the request path.

A fresh server builds several parts on first use: the lexical index (mapped from its snapshot),
the GeoNames gazetteer of the answer slots (0.25–0.36 s), the WordNet lexicon and lemma tables,
pysbd's segmenter, LightGBM's library, Chroma's HNSW segment (read into memory on the first
query) and the memory-mapped pages of the lexical snapshot. ``Warmup.run`` builds them in a
background thread, then sends one throwaway search and one extractive answer through the real
services. It only reads: nothing
is written to the record, the vectors or the lexical snapshot (the lexical index's own start-up
snapshot is ``LexicalIndex.warm``'s business, which runs here as it did before in a thread of
its own). Measured in docs/performance.md *Cold start and warm-up*.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

WARMUP_QUESTION = "What did the government announce about the election this week?"
_PAGE = 4096


@dataclass
class Warmup:
    """What the readiness endpoint reports: off, pending, running, done, failed or stopped, with timings."""

    state: str = "pending"
    seconds: float | None = None
    steps: dict[str, float] = field(default_factory=dict)  # step -> milliseconds
    error: str | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def report(self) -> dict:
        return {"state": self.state, "seconds": None if self.seconds is None else round(self.seconds, 3),
                "steps_ms": {k: round(v, 1) for k, v in self.steps.copy().items()}, "error": self.error}

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def skip(self) -> None:
        self.state = "off"
        self._done.set()

    def start(self, services, search, answer) -> threading.Thread:
        """Run in a daemon thread; ``search``/``answer`` are the uninstrumented callables, so the
        throwaway question never shows in the answer and refusal counters of /metrics."""
        self.state, self.seconds, self.error = "running", None, None
        self.steps = {}
        self._done.clear()
        thread = threading.Thread(target=self.run, args=(services, search, answer), name="citewire-warmup",
                                  daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Shutdown: no further step starts (the one running finishes, so the stores close after it)."""
        self._stopping.set()

    def run(self, services, search, answer) -> None:
        self.state = "running"
        start = time.perf_counter()
        state, error = "done", None
        try:
            for name, step in _steps(services, search, answer):
                if self._stopping.is_set():
                    state = "stopped"
                    break
                t0 = time.perf_counter()
                step()
                self.steps[name] = (time.perf_counter() - t0) * 1000
        except Exception as exc:  # a warm-up that fails leaves the server as it was: cold, not broken
            state, error = "failed", f"{type(exc).__name__}: {exc}"
            log.warning("warm-up failed after %.2f s", time.perf_counter() - start, exc_info=True)
        finally:
            # seconds before state: /readyz never shows "done" without its duration
            self.seconds = time.perf_counter() - start
            self.error = error
            self.state = state
            self._done.set()
        if self.state == "done":
            log.info("warm-up done in %.2f s (%s)", self.seconds,
                     ", ".join(f"{k} {v:.0f} ms" for k, v in self.steps.items()))


def _steps(services, search, answer):
    from app.lexicon import shared
    from app.retrieval.features import question_terms, synonym_coverage
    from app.retrieval.slots import gazetteer
    from app.text import sentence_spans

    lexical = getattr(services.records, "lexical", None)
    if lexical is not None:
        yield "lexical", lexical.warm
    yield "lexical_pages", lambda: touch_mapped(lexical.arrays() if lexical is not None else ())
    yield "gazetteer", gazetteer
    # the WordNet lexicon, and the lemma table through the selector feature that reads it ("went" as "go")
    yield "lexicon", lambda: (shared(), synonym_coverage(question_terms("Who went?", _one_each), {"go"}))
    yield "segmenter", lambda: sentence_spans("Warm-up. The segmenter is built on first use.")
    yield "embedder", lambda: services.embedder.embed([WARMUP_QUESTION])
    holder: dict = {}
    yield "search", lambda: holder.update(passages=search(WARMUP_QUESTION))
    yield "ask", lambda: holder.get("passages") and answer(WARMUP_QUESTION, holder["passages"])


def touch_mapped(arrays) -> None:
    """Fault in every page of memory-mapped numpy arrays (one read per page): the lexical snapshot's pages
    come from disk now, not under the first queries, and stay (a page a process maps is not what this
    machine's idle reclaim takes; docs/performance.md *Cold start and warm-up*). The record's pages are
    left to SQLite: asking the kernel to read the whole data dir (``posix_fadvise WILLNEED``) was tried and
    made the first questions no faster."""
    import numpy as np

    for array in arrays:
        if isinstance(array, np.memmap) and array.flags.c_contiguous and array.size:
            int(array.reshape(-1).view(np.uint8)[::_PAGE].sum())


def _one_each(raw_words) -> tuple[dict[str, int], int]:
    """Document frequencies for the lexicon step's one-word question (any positive counts do)."""
    return {w: 1 for w in raw_words}, 10
