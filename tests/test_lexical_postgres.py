"""The PostgreSQL record + BM25 backend on a real server: same ranking as SQLite, shared by hosts."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.ingest.article import ArticleIn
from app.services import build_services
from tests import postgres_server

pytestmark = pytest.mark.integration

ARTICLES = [
    ArticleIn(id="harbour", title="Council votes to rebuild harbour wall", source="Gazette", published_at="2024-02-01",
              text="The city council voted on Tuesday to rebuild the harbour wall. Work starts in May. The engineer "
              "said the project would take two years and cost 40 million euros."),
    ArticleIn(id="tram", title="Tram line delayed", source="Courier", published_at="2024-03-05",
              text="The new tram line will open in 2026, two years late. Engineers blamed the storm damage."),
    ArticleIn(id="cafe", title="Zürich café wins prize", source="Gazette", published_at="2024-03-09",
              text="A café in Zürich won the national coffee prize for its espresso and its harbour view."),
]


@pytest.fixture(scope="module")
def pg():
    yield from postgres_server.running()


@pytest.fixture
def pg_url(pg):
    return postgres_server.new_database(pg)


def _pg_services(tmp_path, url, host="a"):
    return build_services(Settings(data_dir=tmp_path / host, lexical_url=url))


def test_postgres_ranks_exactly_like_sqlite(tmp_path, pg_url, services):
    on_pg = _pg_services(tmp_path, pg_url)
    try:
        for built in (services, on_pg):
            assert built.ingest.ingest(ARTICLES).counts["added"] == 3
        for query in ("harbour engineer", "tram storm 2026", "cafe zurich", "two years"):
            ours, reference = on_pg.records.bm25_search(query, 10), services.records.bm25_search(query, 10)
            assert ours and [cid for cid, _ in ours] == [cid for cid, _ in reference]
            assert [s for _, s in ours] == pytest.approx([s for _, s in reference])
        assert on_pg.records.document_frequencies(["harbour"]) == services.records.document_frequencies(["harbour"])
        assert on_pg.records.list_articles()[1] == 3 and on_pg.records.get_article("tram").n_chunks == 1
    finally:
        on_pg.close()


def test_two_hosts_share_the_record_and_lexical_index(tmp_path, pg_url):
    host_a, host_b = _pg_services(tmp_path, pg_url, "a"), _pg_services(tmp_path, pg_url, "b")
    try:
        host_a.ingest.ingest(ARTICLES)
        hits = host_b.records.bm25_search("espresso", 5)
        assert [cid.split(":")[0] for cid, _ in hits] == ["cafe"]
        assert host_b.records.chunks_by_id([hits[0][0]])[hits[0][0]].text.startswith("A café")
        host_a.ingest.ingest([ARTICLES[2].model_copy(update={"text": "A café in Bern won the tea prize."})])
        assert host_b.records.bm25_search("espresso", 5) == []
        host_a.ingest.delete("cafe")
        assert host_b.records.bm25_search("tea Bern", 5) == []
        assert host_b.ingest.ingest(ARTICLES[:2]).counts["unchanged"] == 2  # host b sees a's writes
    finally:
        host_a.close()
        host_b.close()


def test_failed_write_leaves_postgres_unchanged_and_reingest_is_a_no_op(tmp_path, pg_url, monkeypatch):
    built = _pg_services(tmp_path, pg_url)
    try:
        built.ingest.ingest(ARTICLES[:1])
        before = (built.records.count(), built.vectors.count(), built.records.lexical_marks())

        def explode(*args, **kwargs):
            raise RuntimeError("postgres went away")

        monkeypatch.setattr(built.records, "put_article", explode)
        changed = ARTICLES[0].model_copy(update={"text": "Completely different text now."})
        assert built.ingest.ingest([changed, ARTICLES[1]]).counts["failed"] == 2
        monkeypatch.undo()
        assert (built.records.count(), built.vectors.count(), built.records.lexical_marks()) == before
        assert "harbour wall" in built.records.get_article("harbour").text
        again = built.ingest.ingest(ARTICLES[:1])
        assert again.counts["unchanged"] == 1 and again.chunks_written == 0
    finally:
        built.close()


def test_a_non_postgres_url_is_refused(tmp_path):
    with pytest.raises(ValueError, match="postgresql://"):
        build_services(Settings(data_dir=tmp_path, lexical_url="mysql://x"))
