"""An index holds one chunking: the first articles written stamp it, and articles chunked otherwise (a replica with
another CITEWIRE_CHUNK_TOKENS, or the setting changed between runs) are refused with the reason instead of mixing
chunk sizes in silence; re-ingesting a stored article then said "unchanged" and kept the old size anyway."""
from __future__ import annotations

import logging

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.ingest.article import ArticleIn
from app.main import create_app
from app.services import build_services

TEXT = ("The harbour council approved a budget of 4 million euros on Tuesday after a long debate about the pier. "
        "Repairs begin in May and should end before the summer season, the mayor said. ") * 6


def article(article_id: str, text: str = TEXT) -> ArticleIn:
    return ArticleIn(id=article_id, title=f"Harbour {article_id}", text=text)


def ingest(settings: Settings, *articles: ArticleIn):
    services = build_services(settings)
    try:
        return services.ingest.ingest(list(articles)), services.records.chunking()
    finally:
        services.close()


def test_another_chunking_is_refused_and_the_stored_articles_stay(tmp_path, caplog):
    first = Settings(data_dir=tmp_path / "data", chunk_tokens=200, chunk_overlap=30)
    other = first.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 10})
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
    services = build_services(first)
    try:
        assert services.records.get_article("b") is None and services.records.get_article("a") is not None
        assert services.ingest.ingest([article("b")]).counts["added"] == 1  # the index's own chunking still writes
    finally:
        services.close()


def test_an_emptied_index_takes_the_new_chunking(tmp_path):
    first = Settings(data_dir=tmp_path / "data", chunk_tokens=200, chunk_overlap=30)
    other = first.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 10})
    ingest(first, article("a"))
    services = build_services(first)
    try:
        assert services.ingest.delete("a")
    finally:
        services.close()
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
