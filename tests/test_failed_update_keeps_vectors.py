"""A failed update whose chunk texts are unchanged (only the date, source or title changed) must leave Chroma as
it was. With ids from the chunk text alone it reused the stored ids and overwrote their vectors and metadata
before the record's commit; the record rolled back, the failed write's clean-up kept them (the record knows those
ids), `check` saw nothing, and dense search filtered by the rejected values. Chunk ids now carry the article's
content hash, so the failed write only adds orphans, which it removes."""
from __future__ import annotations

from app.ingest.article import ArticleIn
from app.ingest.check import check
from app.store.models import Filters

ARTICLE = ArticleIn(
    id="harbour-1", title="Council votes to rebuild harbour wall", source="Gazette", url="https://g.example/h1",
    published_at="2024-02-01",
    text="The city council voted on Tuesday to rebuild the harbour wall. Work starts in May.",
)


def _explode(*a, **k):
    raise RuntimeError("disk full")


def test_failed_update_leaves_chroma_as_it_was(services, monkeypatch):
    services.ingest.ingest([ARTICLE])
    ids = services.records.chunk_ids_of("harbour-1")
    before = services.vectors._collection.get(ids=ids, include=["metadatas"])["metadatas"]

    monkeypatch.setattr(services.records, "put_article", _explode)
    edited = ARTICLE.model_copy(update={"published_at": "2019-05-05", "source": "Other Paper"})
    assert services.ingest.ingest([edited]).counts["failed"] == 1
    monkeypatch.undo()

    stored = services.records.get_article("harbour-1")
    assert (stored.published_at, stored.source) == ("2024-02-01", "Gazette")  # the record rolled back
    dense = services.retrieval.search("harbour wall", mode="dense", filters=Filters(sources=["Gazette"]))
    bm25 = services.retrieval.search("harbour wall", mode="bm25", filters=Filters(sources=["Gazette"]))
    assert [p.article_id for p in bm25] == ["harbour-1"]
    report = check(services.records, services.vectors)
    after = services.vectors._collection.get(ids=ids, include=["metadatas"])["metadatas"]
    assert after == before and [p.article_id for p in dense] == ["harbour-1"], (
        f"Chroma now {after}; dense search for source=Gazette finds {dense}; check: {report.mismatches} mismatches")
