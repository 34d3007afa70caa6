"""Bad input met while walking the command line as a new user: each is one line, never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))


def test_a_date_that_leaves_the_calendar_in_utc_is_a_failed_record_not_a_traceback(tmp_path):
    """9999-12-31T23:59-05:00 is a valid ISO date whose UTC instant is in year 10000 (OverflowError)."""
    corpus = tmp_path / "dates.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"id": "late", "text": "The harbour reopened.", "published_at": "9999-12-31T23:59:59-05:00"},
        {"id": "early", "text": "The bridge closed.", "published_at": "0001-01-01T00:00:00+05:00"},
        {"id": "fine", "text": "The library opened.", "published_at": "2023-09-13"},
    ]) + "\n")
    result = runner.invoke(cli, ["ingest", "-q", str(corpus)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1 and "added 1" in result.stdout and "failed 2" in result.stdout
    assert "dates.jsonl:1: published_at" in result.stderr and "out of range" in result.stderr
    assert "fine" in runner.invoke(cli, ["list"]).stdout
