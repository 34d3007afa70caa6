"""Large values on the PostgreSQL record: many chunks in one article (65,535 bind parameters), big articles."""
from __future__ import annotations

import time

from app.ingest.article import ArticleIn
from app.ingest.check import check
from app.services import build_services
from app.store.models import StoredChunk
from app.store.postgres import PostgresRecordStore
from tests import shared_stores_support as stores
from tests.shared_stores_support import settings_for

chroma, pg = stores.chroma, stores.pg  # the fixtures: a real PostgreSQL and `chroma run`


def test_article_with_70000_chunks_can_be_replaced_and_removed(pg, tmp_path):
    """remove_article put every chunk's rowid in one IN (...) list: past 65,535 PostgreSQL (and past 32,766
    SQLite) refuse the statement, so such an article could be neither updated nor deleted (a subquery now)."""
    store = PostgresRecordStore(pg.url)
    n = 70_000
    chunks = [StoredChunk(f"big:{i}:h", "big", i, 2 * i, 2 * i + 1, f"word{i}") for i in range(n)]
    with store.transaction():
        store._run("INSERT INTO articles(id,title,source,url,published_at,published_ts,text,content_hash,ingested_at)"
                   " VALUES ('big','Big','Wire','',NULL,NULL,'x','h1','now')")
        store._run_many("INSERT INTO chunks(id,article_id,idx,char_start,char_end,text) VALUES (?,?,?,?,?,?)",
                        [(c.id, c.article_id, c.index, c.char_start, c.char_end, c.text) for c in chunks])
    assert store.count() == (1, n)
    with store.transaction():
        removed = store.remove_article("big")
    assert len(removed) == n and store.count() == (0, 0)
    store.close()


def test_article_with_10000_chunks_ingest_update_delete(pg, chroma, tmp_path):
    s = build_services(settings_for(tmp_path, "a", pg.url, chroma.url, chunk_tokens=32, chunk_overlap=0))
    try:
        text = "\n\n".join(f"Paragraph {i} tells of harbour{i} and the ferry that left at {i % 24} hours." for i in range(10_000))
        t = time.time()
        report = s.ingest.ingest([ArticleIn(id="long", title="Long", source="Wire", text=text)], workers=0)
        assert report.failed == 0 if hasattr(report, "failed") else True
        n = s.records.count()[1]
        assert n >= 10_000, n
        s.ingest.ingest([ArticleIn(id="long", title="Long v2", source="Wire", text=text + "\n\nThe end.")], workers=0)
        assert check(s.records, s.vectors).mismatches == 0
        assert s.records.bm25_search("harbour9999", 5)
        assert s.ingest.delete("long")
        assert s.records.count() == (0, 0) and s.vectors.count() == 0
        print("10k chunks round trip", time.time() - t)
    finally:
        s.close()


def test_one_megabyte_article_and_5000_articles(pg, chroma, tmp_path):
    s = build_services(settings_for(tmp_path, "a", pg.url, chroma.url))
    try:
        big = " ".join(f"Sentence {i} says the council met about budget line {i}." for i in range(20_000))[:1_000_000]
        s.ingest.ingest([ArticleIn(id="mb", title="MB", source="Wire", text=big)], workers=0)
        arts = [ArticleIn(id=f"n{i}", title=f"N {i}", source="Wire", text=f"Note {i} on the river ferry.") for i in range(5000)]
        s.ingest.ingest(arts, workers=0)
        assert s.records.count()[0] == 5001
        assert s.records.get_article("mb").text == big.strip()
        assert check(s.records, s.vectors).mismatches == 0
    finally:
        s.close()
