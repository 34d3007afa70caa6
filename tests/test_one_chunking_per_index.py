"""An index holds one chunking: the first articles written stamp it, and articles chunked otherwise (a replica with
another CITEWIRE_CHUNK_TOKENS, or the setting changed between runs) are refused with the reason instead of mixing
chunk sizes in silence; re-ingesting a stored article then said "unchanged" and kept the old size anyway."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.ingest.article import ArticleIn
from app.main import create_app
from app.services import build_services
from tests import postgres_server

TEXT = ("The harbour council approved a budget of 4 million euros on Tuesday after a long debate about the pier. "
        "Repairs begin in May and should end before the summer season, the mayor said. ") * 6


BUILT = "chunk_tokens=200 chunk_overlap=30 encoding=cl100k_base"


def article(article_id: str, text: str = TEXT) -> ArticleIn:
    return ArticleIn(id=article_id, title=f"Harbour {article_id}", text=text)


def chunkings(tmp_path, **store) -> tuple[Settings, Settings]:
    """Settings that build the index (200/30 tokens) and a process that chunks otherwise (64/10), on one store."""
    first = Settings(data_dir=tmp_path / "data", chunk_tokens=200, chunk_overlap=30, **store)
    return first, first.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 10})


@contextmanager
def opened(settings: Settings):
    services = build_services(settings)
    try:
        yield services
    finally:
        services.close()


def ingest(settings: Settings, *articles: ArticleIn):
    with opened(settings) as services:
        return services.ingest.ingest(list(articles)), services.records.chunking()


def test_another_chunking_is_refused_and_the_stored_articles_stay(tmp_path, caplog):
    first, other = chunkings(tmp_path)
    report, stamp = ingest(first, article("a"))
    assert report.counts["added"] == 1 and stamp == "chunk_tokens=200 chunk_overlap=30 encoding=cl100k_base"
    with caplog.at_level(logging.WARNING, logger="app.services"):
        report, stamp = ingest(other, article("a"), article("b"), article("a2", TEXT + " Edited."))
    assert "ingests here are refused" in caplog.text and "chunk_tokens=64" in caplog.text
    outcomes = {o.article_id: o for o in report.outcomes}
    assert outcomes["a"].status == "unchanged"  # nothing to write: not refused
    assert outcomes["b"].status == "failed" and outcomes["a2"].status == "failed"
    assert "chunked with chunk_tokens=200 chunk_overlap=30" in outcomes["b"].error
    assert "CITEWIRE_CHUNK_TOKENS" in outcomes["b"].error and "CITEWIRE_DATA_DIR" in outcomes["b"].error
    assert stamp == "chunk_tokens=200 chunk_overlap=30 encoding=cl100k_base"
    with opened(first) as services:
        assert services.records.get_article("b") is None and services.records.get_article("a") is not None
        assert services.ingest.ingest([article("b")]).counts["added"] == 1  # the index's own chunking still writes


def test_an_emptied_index_takes_the_new_chunking(tmp_path):
    first, other = chunkings(tmp_path)
    ingest(first, article("a"))
    with opened(first) as services:
        assert services.ingest.delete("a")
    report, stamp = ingest(other, article("b"))
    assert report.counts["added"] == 1 and stamp == "chunk_tokens=64 chunk_overlap=10 encoding=cl100k_base"


def test_http_and_cli_say_why(tmp_path, monkeypatch):
    first = Settings(data_dir=tmp_path / "data", chunk_tokens=200, chunk_overlap=30)
    ingest(first, article("a"))
    other = first.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 10})
    with TestClient(create_app(other)) as client:
        response = client.post("/v1/articles", json={"id": "b", "title": "Harbour b", "text": TEXT})
    assert response.status_code == 422
    assert "chunked with chunk_tokens=200" in response.json()["detail"][0]["error"]
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CITEWIRE_CHUNK_TOKENS", "64")
    monkeypatch.setenv("CITEWIRE_CHUNK_OVERLAP", "10")
    page = tmp_path / "c.txt"
    page.write_text(TEXT)
    result = CliRunner().invoke(cli, ["ingest", str(page)])
    assert result.exit_code == 1 and "failed 1" in result.stdout
    assert "chunked with chunk_tokens=200" in result.stderr + result.stdout


# An index written before the stamp (no 'chunking' row, articles stored) was stamped by whichever process wrote to it
# next, with that process's chunking (a review's find): it is now checked by splitting its article of most chunks.
def _unstamp(settings: Settings) -> None:
    with opened(settings) as services:
        with services.records.transaction():
            services.records._run("DELETE FROM lexical_meta WHERE key='chunking'")
        assert services.records.chunking() is None


def test_an_index_written_before_the_stamp_is_not_stamped_by_another_chunking(tmp_path):
    first, other = chunkings(tmp_path)
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
    first, other = chunkings(tmp_path, lexical_url=url)
    report, stamp = ingest(first, article("a"))
    assert report.counts["added"] == 1 and stamp == BUILT
    report, stamp = ingest(other, article("b"))
    assert report.counts["failed"] == 1 and "chunked with chunk_tokens=200" in report.outcomes[0].error
    assert stamp == BUILT
    with opened(first) as services:
        assert services.ingest.delete("a")
    report, stamp = ingest(other, article("b"))
    assert report.counts["added"] == 1 and stamp == "chunk_tokens=64 chunk_overlap=10 encoding=cl100k_base"
