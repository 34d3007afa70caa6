"""Idempotent upserts, replacement, deletion, and failures that leave the store as it was."""

from __future__ import annotations

import pytest

from app.ingest.article import ArticleIn
from app.ingest.service import IngestService
from tests.fakes import FailingEmbedder

ARTICLE = ArticleIn(
    id="harbour-1", title="Council votes to rebuild harbour wall", source="Gazette", url="https://g.example/h1",
    published_at="2024-02-01",
    text="The city council voted on Tuesday to rebuild the harbour wall. Work starts in May. "
    "The engineer said the project would take two years and cost 40 million euros.",
)


def _state(services):
    articles, chunks = services.records.count()
    return articles, chunks, services.vectors.count()


def test_reingesting_identical_content_changes_nothing(services):
    first = services.ingest.ingest([ARTICLE])
    assert first.counts["added"] == 1
    before = _state(services)
    hash_before = services.records.get_article("harbour-1").ingested_at
    again = services.ingest.ingest([ARTICLE])
    assert again.counts == {"added": 0, "updated": 0, "unchanged": 1, "failed": 0}
    assert _state(services) == before
    assert services.records.get_article("harbour-1").ingested_at == hash_before


def test_edited_article_replaces_its_chunks_everywhere(services):
    services.ingest.ingest([ARTICLE])
    old_ids = services.records.chunk_ids_of("harbour-1")
    edited = ARTICLE.model_copy(update={"text": "The council cancelled the harbour project. Flamingos were cited."})
    report = services.ingest.ingest([edited])
    assert report.counts["updated"] == 1
    new_ids = services.records.chunk_ids_of("harbour-1")
    assert set(new_ids).isdisjoint(old_ids)
    assert _state(services) == (1, len(new_ids), len(new_ids))  # no stale vectors left behind
    assert services.retrieval.search("flamingos", mode="bm25")[0].article_id == "harbour-1"
    assert services.retrieval.search("engineer two years", mode="bm25") == []  # old text gone from BM25


def test_delete_removes_article_from_record_bm25_and_vectors(services):
    services.ingest.ingest([ARTICLE])
    assert services.ingest.delete("harbour-1") is True
    assert _state(services) == (0, 0, 0)
    assert services.retrieval.search("harbour wall") == []
    assert services.ingest.delete("harbour-1") is False


def test_failed_embedding_leaves_the_store_as_it_was(services):
    services.ingest.ingest([ARTICLE])
    before = _state(services)
    broken = IngestService(services.records, services.vectors, FailingEmbedder(), services.ingest.chunker)
    edited = ARTICLE.model_copy(update={"text": "Entirely new text about something else."})
    report = broken.ingest([edited, ArticleIn(id="other", text="Another article.")])
    assert report.counts["failed"] == 2 and "embedding failed" in report.failures[0].error
    assert _state(services) == before
    assert "harbour wall" in services.records.get_article("harbour-1").text


def test_failed_vector_write_rolls_back_the_record(services, monkeypatch):
    services.ingest.ingest([ARTICLE])
    before = _state(services)

    def explode(*args, **kwargs):
        raise RuntimeError("chroma went away")

    monkeypatch.setattr(services.vectors, "upsert", explode)
    report = services.ingest.ingest([ARTICLE.model_copy(update={"text": "Changed text. Quite different now."})])
    assert report.counts["failed"] == 1
    monkeypatch.undo()
    assert _state(services) == before
    assert "harbour wall" in services.records.get_article("harbour-1").text


@pytest.mark.parametrize("batch", [256, 1])  # the two records in one batch, and in two
def test_same_id_twice_keeps_the_later_version_and_counts_it_once(services, batch):
    """It was counted as added and updated (two outcomes, one article stored)."""
    later = ARTICLE.model_copy(update={"text": "Second version of the harbour story."})
    other = ArticleIn(id="other", text="Another article.")
    report = services.ingest.ingest([ARTICLE, other, later], batch_articles=batch)
    assert report.counts == {"added": 2, "updated": 0, "unchanged": 0, "failed": 0}
    assert [(o.article_id, o.status) for o in report.outcomes] == [("harbour-1", "added"), ("other", "added")]
    assert report.warnings == ["id 'harbour-1' is given 2 times (request, request): the last readable record wins, counted once"]
    assert services.records.get_article("harbour-1").text == "Second version of the harbour story."
    # against what was stored before: the last version again is unchanged; a first version that differs is
    # rewritten and put back, so the article is updated (once)
    again = services.ingest.ingest([ARTICLE, later], batch_articles=batch)
    assert again.counts == ({"added": 0, "updated": 0, "unchanged": 1, "failed": 0} if batch > 1 else
                            {"added": 0, "updated": 1, "unchanged": 0, "failed": 0})
    assert services.records.get_article("harbour-1").text == "Second version of the harbour story."


def test_failed_record_write_after_vectors_leaves_no_orphans(services, monkeypatch):
    services.ingest.ingest([ARTICLE])
    before = _state(services)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.records, "put_article", explode)
    edited = ARTICLE.model_copy(update={"text": "Changed text. Quite different now."})
    assert services.ingest.ingest([edited, ArticleIn(id="other", text="Another article.")]).counts["failed"] == 2
    monkeypatch.undo()
    assert _state(services) == before  # the vectors written before the record failed were removed again
    assert services.retrieval.search("harbour wall", mode="dense")[0].article_id == "harbour-1"


def test_no_database_lock_is_held_while_chroma_is_called(services, monkeypatch):
    import sqlite3

    real_upsert, seen = services.vectors.upsert, []

    def upsert_and_try_to_write(*args, **kwargs):
        other = sqlite3.connect(services.settings.records_path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # fails with "database is locked" if ingest held the write lock
        other.execute("ROLLBACK")
        other.close()
        seen.append(True)
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(services.vectors, "upsert", upsert_and_try_to_write)
    assert services.ingest.ingest([ARTICLE]).counts["added"] == 1 and seen


def test_large_ingest_uses_worker_processes_and_keeps_input_order(services):
    from app.ingest import pipeline

    articles = [ArticleIn(id=f"n-{i:03d}", title=f"Note {i}", text=f"Item {i}. The heron count was {i * 7}.")
                for i in range(40)]
    outcomes = []
    report = services.ingest.ingest(articles, batch_articles=5, workers=1, on_progress=outcomes.append)
    assert [o.article_id for o in outcomes] == [a.id for a in articles]
    assert report.counts["added"] == 40 and pipeline.POOL_AFTER_BATCHES < 40 / 5
    assert services.records.count() == (40, 40) and services.vectors.count() == 40
    hit = services.retrieval.search("heron count 203", mode="bm25", top_k=1)[0]
    assert hit.article_id == "n-029"
    again = services.ingest.ingest(articles, batch_articles=5, workers=1)
    assert again.counts["unchanged"] == 40 and again.chunks_written == 0


def test_memoised_token_counts_leave_chunks_unchanged():
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from app.ingest.chunker import _SEPARATORS, Chunker
    from app.samples import samples_path

    plain = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=60, chunk_overlap=10, separators=_SEPARATORS,
        is_separator_regex=True, keep_separator="end")
    chunker = Chunker(60, 10)
    import json

    texts = [json.loads(line)["text"] for line in samples_path().read_text().splitlines() if line.strip()]
    for text in texts:
        assert [s.text for s in chunker.split(text)] == plain.split_text(text)


def test_next_batch_is_embedded_while_the_previous_one_is_written(services, monkeypatch):
    """Embedding and the store writes run on two threads: batch 2's vectors are computed while batch 1's
    Chroma insert is still running, and everything still lands, reported in input order."""
    import threading

    real_embed, real_upsert = services.embedder.embed, services.vectors.upsert
    second_embedded, overlapped, calls = threading.Event(), [], []

    def embed(texts):
        calls.append(len(texts))
        if len(calls) == 2:
            second_embedded.set()
        return real_embed(texts)

    def slow_upsert(*args, **kwargs):
        if not overlapped:  # the first batch's insert waits (bounded) for the next batch's embedding
            overlapped.append(second_embedded.wait(timeout=20))
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(services.embedder, "embed", embed)
    monkeypatch.setattr(services.vectors, "upsert", slow_upsert)
    articles = [ArticleIn(id=f"b-{i}", text=f"Batch {i} says the ferry left at {i} o'clock.") for i in range(4)]
    outcomes = []
    report = services.ingest.ingest(articles, batch_articles=1, workers=0, on_progress=outcomes.append)
    assert overlapped == [True]
    assert [o.article_id for o in outcomes] == [a.id for a in articles] and report.counts["added"] == 4
    assert services.records.count() == (4, 4) and services.vectors.count() == 4


def test_an_error_on_the_writer_thread_reaches_the_caller_and_stops_later_writes(services):
    import pytest

    def progress(outcome):
        if outcome.article_id == "e-0":
            raise RuntimeError("progress sink failed")

    articles = [ArticleIn(id=f"e-{i}", text=f"Error test {i}: the bridge reopened on day {i}.") for i in range(4)]
    with pytest.raises(RuntimeError, match="progress sink failed"):
        services.ingest.ingest(articles, batch_articles=1, workers=0, on_progress=progress)
    assert services.records.count() == (1, 1)  # e-0 was written (its report failed); nothing after it
    assert services.vectors.count() == 1


def test_a_later_batch_failing_in_the_embedding_stage_still_writes_the_batches_before_it(services, monkeypatch):
    """The embedding stage dies on batch 3 (as when a chunking worker process is killed) while batch 2, already
    embedded, waits for the writer: batch 2 is still written and reported, as a one-thread loop would have
    done, and the error reaches the caller."""
    import threading

    import pytest

    real_embed_batch, real_upsert = services.ingest._embed_batch, services.vectors.upsert
    third_failed, calls = threading.Event(), []

    def embed_batch(pending):
        calls.append(len(pending))
        if len(calls) == 3:
            third_failed.set()
            raise RuntimeError("worker pool broke")
        return real_embed_batch(pending)

    def slow_upsert(*args, **kwargs):
        third_failed.wait(timeout=20)  # every write waits until batch 3 has failed
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(services.ingest, "_embed_batch", embed_batch)
    monkeypatch.setattr(services.vectors, "upsert", slow_upsert)
    articles = [ArticleIn(id=f"l-{i}", text=f"Batch {i}: the tram line opened on day {i}.") for i in range(4)]
    outcomes = []
    with pytest.raises(RuntimeError, match="worker pool broke"):
        services.ingest.ingest(articles, batch_articles=1, workers=0, on_progress=outcomes.append)
    assert [o.article_id for o in outcomes] == ["l-0", "l-1"]
    assert services.records.count() == (2, 2) and services.vectors.count() == 2


def test_chroma_keeps_only_what_its_filters_read_and_the_filters_still_work(services):
    """The record holds titles, chunk indexes and offsets; Chroma keeps the three keys its filters test."""
    from app.store.models import Filters

    services.ingest.ingest([
        ArticleIn(id="m1", title="Harbour", source="Desk", published_at="2024-01-02",
                  text="The harbour authority approved a new ferry terminal for the island route."),
        ArticleIn(id="m2", title="Harbour", source="Wire", published_at="2023-05-02",
                  text="The harbour authority rejected a new ferry terminal for the island route."),
    ], workers=0)
    stored = services.vectors._collection.get(include=["metadatas"])["metadatas"]  # noqa: SLF001 - what Chroma holds
    assert len(stored) == 2 and all(set(m) == {"article_id", "source", "published_ts"} for m in stored), stored
    vector = services.embedder.embed(["harbour ferry terminal"])[0]
    assert [cid.split(":")[0] for cid, _ in services.vectors.query(vector, 5, Filters(sources=["Wire"]))] == ["m2"]
    recent = services.vectors.query(vector, 5, Filters(published_from_ts=1_700_000_000))
    assert [cid.split(":")[0] for cid, _ in recent] == ["m1"]
    # more non-matching neighbours than the unfiltered fetch holds: Chroma's own `where` query decides
    services.ingest.ingest([ArticleIn(id=f"d{i}", title="Harbour", source="Desk", published_at="2024-01-02",
                                      text=f"The harbour authority approved ferry terminal plan number {i}.")
                            for i in range(12)], workers=0)
    assert [cid.split(":")[0] for cid, _ in services.vectors.query(vector, 1, Filters(sources=["Wire"]))] == ["m2"]
