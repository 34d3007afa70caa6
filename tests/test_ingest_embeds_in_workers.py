"""A large ingest embeds in its worker processes when the embedder can be made there (the local wordllama):
in the parent, embedding held the GIL beside the store writes, and the parent got one core's worth of both
(docs/performance.md, *Ingest*). The vectors must be the ones the parent would have made, an embedding error in
a worker must fail only its batch's articles, and an embedder that cannot move still embeds in the parent."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import Settings
from app.embed.wordllama import WordLlamaEmbedder
from app.ingest import pipeline
from app.ingest.article import ArticleIn
from app.ingest.chunker import Chunker
from app.ingest.service import IngestService
from app.store.backends import make_record_store
from app.store.vector import VectorStore

BATCH = 5
ARTICLES = 40


class ParentCallsCounted(WordLlamaEmbedder):
    """The real embedder; counts the calls made in this (the parent) process. Its workers get plain copies."""

    def __init__(self) -> None:
        super().__init__()
        self.parent_calls = 0

    def embed(self, texts):
        self.parent_calls += 1
        return super().embed(texts)


class StaysInParent(ParentCallsCounted):
    process_factory = None  # as an embeddings endpoint: every batch is embedded here


class FailsInWorkers(ParentCallsCounted):
    @property
    def process_factory(self):
        return _failing_copy


class _Failing:
    name, dim = WordLlamaEmbedder.name, WordLlamaEmbedder.dim

    def embed(self, texts):
        raise ConnectionError("the embedder went away")


def _failing_copy():
    return _Failing()


def _service(tmp_path, embedder) -> IngestService:
    settings = Settings(data_dir=tmp_path / "data")
    return IngestService(make_record_store(settings), VectorStore(settings, embedder.name), embedder,
                         Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name))


def _articles() -> list[ArticleIn]:
    return [ArticleIn(id=f"w-{i:03d}", title=f"Harbour note {i}",
                      text=f"Item {i}. The harbour master counted {i * 7} herons on the breakwater at dawn.")
            for i in range(ARTICLES)]


def test_workers_embed_the_vectors_the_parent_would_have(tmp_path):
    embedder = ParentCallsCounted()
    service = _service(tmp_path, embedder)
    report = service.ingest(_articles(), batch_articles=BATCH, workers=1)
    assert report.counts["added"] == ARTICLES
    # the batches before the pool starts are embedded here, every later one in the worker
    assert embedder.parent_calls == pipeline.POOL_AFTER_BATCHES < ARTICLES // BATCH
    plain = WordLlamaEmbedder()
    for article in _articles()[-BATCH:]:  # the last batch: embedded in the worker
        chunk = service.records.chunks_of(article.id)[0]
        expected = plain.embed([pipeline.bm25_prefix(article.title) + chunk.text])[0]
        (best_id, score), *_ = service.vectors.query(expected, limit=3)
        assert best_id == chunk.id and score == pytest.approx(1.0, abs=1e-5), (best_id, score)


def test_an_embedder_that_cannot_move_embeds_every_batch_in_the_parent(tmp_path):
    embedder = StaysInParent()
    report = _service(tmp_path, embedder).ingest(_articles(), batch_articles=BATCH, workers=1)
    assert report.counts["added"] == ARTICLES and embedder.parent_calls == ARTICLES // BATCH


def test_an_embedding_error_in_a_worker_fails_only_those_articles(tmp_path):
    service = _service(tmp_path, FailsInWorkers())
    report = service.ingest(_articles(), batch_articles=BATCH, workers=1)
    embedded_here = pipeline.POOL_AFTER_BATCHES * BATCH
    assert report.counts["added"] == embedded_here and report.counts["failed"] == ARTICLES - embedded_here
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert all("embedding failed" in o.error and "the embedder went away" in o.error for o in failed)
    assert service.records.count()[0] == embedded_here and service.vectors.count() == embedded_here
    assert np.all([o.article_id for o in failed] == [a.id for a in _articles()[embedded_here:]])


class CannotLoadInWorkers(ParentCallsCounted):
    @property
    def process_factory(self):
        return _cannot_load


def _cannot_load():
    raise OSError("weights missing")


def test_a_worker_that_cannot_make_its_embedder_leaves_the_embedding_to_the_parent(tmp_path):
    embedder = CannotLoadInWorkers()
    report = _service(tmp_path, embedder).ingest(_articles(), batch_articles=BATCH, workers=1)
    assert report.counts["added"] == ARTICLES and embedder.parent_calls == ARTICLES // BATCH
