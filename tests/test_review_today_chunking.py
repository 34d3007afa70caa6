"""Review of 4bd76df (an index holds one chunking): an index written before the stamp (no 'chunking' row, articles
stored) was stamped by whichever process wrote to it next, with that process's chunking: a replica with another
CITEWIRE_CHUNK_TOKENS wrote into it, stamped its own size, and the chunking the index was built with was refused from
then on. Also: the same rules on PostgreSQL."""
from __future__ import annotations

import pytest

from app.config import Settings
from app.ingest.article import ArticleIn
from app.services import build_services
from tests import postgres_server

TEXT = ("The harbour council approved a budget of 4 million euros on Tuesday after a long debate about the pier. "
        "Repairs begin in May and should end before the summer season, the mayor said. ") * 6
BUILT = "chunk_tokens=200 chunk_overlap=30 encoding=cl100k_base"


def article(article_id: str) -> ArticleIn:
    return ArticleIn(id=article_id, title=f"Harbour {article_id}", text=TEXT)


def ingest(settings: Settings, *articles: ArticleIn):
    services = build_services(settings)
    try:
        return services.ingest.ingest(list(articles), workers=0), services.records.chunking()
    finally:
        services.close()


def _unstamp(settings: Settings) -> None:
    services = build_services(settings)
    try:
        with services.records.transaction():
            services.records._run("DELETE FROM lexical_meta WHERE key='chunking'")
        assert services.records.chunking() is None
    finally:
        services.close()


def test_an_index_written_before_the_stamp_is_not_stamped_by_another_chunking(tmp_path):
    first = Settings(data_dir=tmp_path / "data", chunk_tokens=200, chunk_overlap=30)
    other = first.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 10})
    ingest(first, article("a"))
    _unstamp(first)  # as an index written before 4bd76df is
    report, stamp = ingest(other, article("b"))
    assert stamp is None  # its chunking is not the index's: the article of most chunks splits otherwise here
    (refused,) = report.outcomes
    assert refused.status == "failed" and "chunked otherwise (written before the stamp)" in refused.error
    report, stamp = ingest(first, article("c"))
    assert report.counts["added"] == 1, [o.error for o in report.outcomes]  # was refused: "chunked with 64"
    assert stamp == BUILT  # it splits the stored article as it was stored: the index's chunking, stamped


@pytest.fixture(scope="module")
def pg():
    yield from postgres_server.running()


def test_one_chunking_on_postgres(pg, tmp_path):
    url = postgres_server.new_database(pg)
    first = Settings(data_dir=tmp_path / "data", lexical_url=url, chunk_tokens=200, chunk_overlap=30)
    other = first.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 10})
    report, stamp = ingest(first, article("a"))
    assert report.counts["added"] == 1 and stamp == BUILT
    report, stamp = ingest(other, article("b"))
    assert report.counts["failed"] == 1 and "chunked with chunk_tokens=200" in report.outcomes[0].error
    assert stamp == BUILT
    services = build_services(first)
    try:
        assert services.ingest.delete("a")
    finally:
        services.close()
    report, stamp = ingest(other, article("b"))
    assert report.counts["added"] == 1 and stamp == "chunk_tokens=64 chunk_overlap=10 encoding=cl100k_base"
