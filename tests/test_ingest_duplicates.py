"""An id given twice in one JSONL ingest, as a user sends it: the last record is stored, the article is counted
and listed once, and a warning names the id (`citewire ingest` and POST /v1/articles alike)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.main import create_app

RECORDS = [
    {"id": "dup-1", "title": "Harbour wall", "text": "The first version says the harbour wall fell on Monday."},
    {"id": "other", "title": "Other", "text": "Another article about the council budget vote."},
    {"id": "dup-1", "title": "Harbour wall", "text": "The second version says the harbour wall fell on Tuesday."},
]
WARNING = "id 'dup-1' is given 2 times ({0}:1, {0}:3): the last readable record wins, counted once"


def test_cli_ingest_counts_a_duplicated_id_once_and_names_it(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    for batch in ("256", "1"):  # in one batch, and across two
        result = CliRunner().invoke(cli, ["ingest", "-q", "--batch", batch, str(path)], env=env)
        assert result.exit_code == 0, result.output
        assert result.stderr.strip() == f"warning: {WARNING.format('feed.jsonl')}"
        if batch == "256":
            assert result.stdout.startswith("added 2, updated 0, unchanged 0, failed 0")
    listed = CliRunner().invoke(cli, ["list"], env=env).stdout
    assert listed.count("dup-1") == 1 and "(2 of 2)" in listed


def test_api_ingest_counts_a_duplicated_id_once_and_names_it(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False))) as client:
        body = "\n".join(json.dumps(r) for r in RECORDS)
        response = client.post("/v1/articles", content=body, headers={"content-type": "application/x-ndjson"})
        assert response.status_code == 201, response.text
        result = response.json()
        assert (result["added"], result["updated"], result["unchanged"], result["failed"]) == (2, 0, 0, 0)
        assert [(r["article_id"], r["status"], r["origin"]) for r in result["results"]] == [
            ("dup-1", "added", "request.jsonl:3"), ("other", "added", "request.jsonl:2")]
        assert result["warnings"] == [WARNING.format("request.jsonl")]
        assert "Tuesday" in client.get("/v1/articles/dup-1").json()["text"]
        assert client.get("/v1/articles").json()["total"] == 2
        single = client.post("/v1/articles", json=RECORDS[1]).json()  # no duplicate: no warning
        assert single["warnings"] == [] and single["unchanged"] == 1
