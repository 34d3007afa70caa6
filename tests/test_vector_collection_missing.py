"""Chroma back from a new or restored volume without the collection: 503s that say what to do and a /readyz that
is not ready (it was 500 "NotFoundError" on every dense search, /readyz 200), then answers again without a restart
once the collection exists again (what `citewire repair` makes)."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.config import Settings
from app.main import create_app
from app.services import build_services


def test_a_missing_collection_is_a_503_then_is_found_again(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    services = build_services(settings)
    try:
        with TestClient(create_app(settings, services=services)) as client:
            added = client.post("/v1/articles", json={"id": "a", "text": "The harbour of Oslo reopened."})
            assert added.status_code == 201
            chroma = services.vectors._client
            kept = chroma.get_collection(settings.collection, embedding_function=None)
            metadata = kept.metadata
            chroma.delete_collection(settings.collection)
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "run `citewire repair`" in ready.json()["detail"], ready.text
            dense = client.post("/v1/search", json={"query": "Oslo harbour", "mode": "dense"})
            assert dense.status_code == 503 and dense.headers["retry-after"] == "5", dense.text
            assert "no collection" in dense.json()["detail"]
            chroma.create_collection(settings.collection, metadata=metadata, embedding_function=None)
            assert client.get("/readyz").status_code == 200
            assert client.post("/v1/search", json={"query": "Oslo harbour", "mode": "dense"}).status_code == 200
    finally:
        services.close()


def test_an_ingest_whose_store_goes_away_mid_run_is_one_line_with_the_counts(tmp_path, monkeypatch):
    """A PostgreSQL restart mid-run ended `citewire ingest` in a traceback without its counts."""
    from app.cli import cli
    from app.ingest.service import IngestService

    def ingest_then_lose_the_store(self, records, on_progress=None, **kwargs):
        for record in list(records)[:2]:
            on_progress(type("Outcome", (), {"status": "added", "origin": record.origin})())
        raise httpx.ConnectError("connection refused")

    monkeypatch.setattr(IngestService, "ingest", ingest_then_lose_the_store)
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(f'{{"id": "s{i}", "text": "Story {i} about the harbour."}}\n' for i in range(3)))
    result = CliRunner().invoke(cli, ["ingest", "-q", str(feed)])
    assert result.exit_code == 1 and result.stderr.startswith("error: cannot reach the vector store"), result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "added 2, updated 0" in result.stderr


def test_a_hung_chroma_server_fails_opening_within_the_timeout(tmp_path):
    """HttpClient's constructor calls the server before its waits are bounded: a server that accepts and never
    answers held `citewire serve` at start-up (and every CLI command) until it came back."""
    import socket
    import threading

    from app.store.vector import make_chroma_client

    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)  # the kernel accepts; nobody ever reads or answers
    settings = Settings(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{hung.getsockname()[1]}",
                        chroma_timeout_s=1)
    outcome = []

    def open_client():
        try:
            make_chroma_client(settings)
            outcome.append("opened")
        except Exception as exc:  # noqa: BLE001 - what it raised is the assertion
            outcome.append(exc)

    opener = threading.Thread(target=open_client, daemon=True)
    opener.start()
    opener.join(60)
    hung.close()
    assert outcome and isinstance(outcome[0], httpx.TimeoutException), outcome
