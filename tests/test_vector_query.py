"""An unfiltered dense query no longer asks Chroma for metadata (docs/performance.md *Cold start and
warm-up*): the same neighbours and similarities as the query that read them, and filters still work."""

from __future__ import annotations

from app.samples import index_samples
from app.store.models import Filters


def test_unfiltered_query_skips_metadata_and_finds_the_same_neighbours(services, monkeypatch):
    index_samples(services.ingest)
    collection = services.vectors._collection
    asked: list[list[str]] = []
    query = collection.query

    def recording(*args, **kwargs):
        asked.append(list(kwargs["include"]))
        return query(*args, **kwargs)

    monkeypatch.setattr(collection, "query", recording)
    for question in ("What did Kim pledge?", "Vostochny spaceport", "toll road prices"):
        embedding = services.embedder.embed([question])[0]
        got = services.vectors.query(embedding, 5)
        with_metadata = query(query_embeddings=embedding.reshape(1, -1), n_results=5,
                              include=["distances", "metadatas"])
        assert [cid for cid, _ in got] == with_metadata["ids"][0]
        assert [round(sim, 6) for _, sim in got] == [round(1.0 - d, 6) for d in with_metadata["distances"][0]]
    assert asked == [["distances"]] * 3
    source = services.records.get_article(got[0][0].split(":")[0]).source
    filtered = services.vectors.query(embedding, 5, Filters(sources=[source]))
    assert filtered and asked[-1] == ["distances", "metadatas"]
    assert {services.records.get_article(cid.split(":")[0]).source for cid, _ in filtered} == {source}
