"""SQLite's chunks.rowid is INTEGER PRIMARY KEY without AUTOINCREMENT: a replaced article's new chunks take the
rowids its old ones had. bm25_search ranks in memory and looks the hits up in the record afterwards ("the record
has the last word"). Looked up by rowid, a replace committed in between mapped the old chunk's score onto the new,
unrelated chunk; looked up by posting seq (never reused), the old chunk drops out."""
from __future__ import annotations

from app.ingest.article import ArticleIn


def test_a_chunk_replaced_during_a_search_drops_out_instead_of_standing_in(services):
    services.ingest.ingest([ArticleIn(id="z1", title="Zoo", text="A flamingo escaped from the zoo.")])
    records = services.records
    real_search, fired = records.lexical.search, []

    def search_then_a_writer_replaces_it(*a, **k):
        out = real_search(*a, **k)
        if not fired:  # another process (or thread) replaces the article right after the ranking
            fired.append(True)
            services.ingest.ingest([ArticleIn(id="z1", title="Pier", text="The pier reopened on Monday.")])
        return out

    records.lexical.search = search_then_a_writer_replaces_it
    hits = records.bm25_search("flamingo", 5)
    texts = [records.chunks_by_id([cid])[cid].text for cid, _ in hits]
    assert all("flamingo" in t for t in texts), f"'flamingo' returned {hits}: {texts}"
