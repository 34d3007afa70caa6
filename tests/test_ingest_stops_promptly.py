"""Ctrl+C or SIGTERM during a long ingest stops within about a second, worker processes included: a batch still
being chunked and embedded in a worker is dropped (the worker ended), not waited for; what was written is whole."""

from __future__ import annotations

import time

from app.config import Settings
from app.embed.wordllama import WordLlamaEmbedder
from app.ingest import pipeline
from app.ingest.article import ArticleIn
from app.ingest.check import check
from app.ingest.chunker import Chunker
from app.ingest.service import IngestService
from app.store.backends import make_record_store
from app.store.vector import VectorStore

BATCH = 2


class SlowInWorkers(WordLlamaEmbedder):
    """Embeds here as usual; its copies in the worker processes take 60 s per batch (a huge batch, a slow CPU)."""

    @property
    def process_factory(self):
        return _slow_copy


class _Slow:
    name, dim = WordLlamaEmbedder.name, WordLlamaEmbedder.dim

    def embed(self, texts):
        time.sleep(60)
        raise AssertionError("never reached: the stop ends the worker")


def _slow_copy():
    return _Slow()


def test_a_stop_does_not_wait_for_the_batch_a_worker_is_preparing(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    embedder = SlowInWorkers()
    records, vectors = make_record_store(settings), VectorStore(settings, embedder.name)
    service = IngestService(records, vectors, embedder,
                            Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name))
    stopped_at = []

    def articles():
        for i in range(BATCH * (pipeline.POOL_AFTER_BATCHES + 2)):  # the last two batches go to the worker
            yield ArticleIn(id=f"s-{i}", text=f"The ferry of island {i} sailed at dawn with {i} cars aboard.")
        time.sleep(3)  # the worker is started and busy with its 60 s batch
        stopped_at.append(time.monotonic())
        raise KeyboardInterrupt

    try:
        try:
            service.ingest(articles(), batch_articles=BATCH, workers=1)
        except KeyboardInterrupt:
            pass
        took = time.monotonic() - stopped_at[0]
        assert took < 5, f"the stop took {took:.1f} s: it waited for the worker's batch"
        stored, _ = records.count()
        assert stored == BATCH * pipeline.POOL_AFTER_BATCHES  # the batches embedded here are whole
        assert check(records, vectors).mismatches == 0
    finally:
        records.close()
        vectors.close()
