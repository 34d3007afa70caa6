"""The record's schema stamp (lexical_meta 'schema'): a new record carries it, an older one without it is stamped,
and a data dir written by a newer layout is refused with one line by every command, `citewire serve` included,
before anything reads or writes it."""

from __future__ import annotations

import socket
import sqlite3

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.store.failures import SchemaTooNew
from app.store.records import SCHEMA_VERSION, RecordStore

runner = CliRunner()


def _stamp(path) -> str | None:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM lexical_meta WHERE key='schema'").fetchone()
    return row[0] if row else None


def test_a_new_record_is_stamped_and_an_unstamped_one_is_stamped_when_opened(tmp_path):
    path = tmp_path / "records.sqlite"
    store = RecordStore(path)
    assert store.schema() == SCHEMA_VERSION == 1
    store.close()
    assert _stamp(path) == "1"
    with sqlite3.connect(path) as db:  # as a record written before the stamp existed
        db.execute("DELETE FROM lexical_meta WHERE key='schema'")
    assert _stamp(path) is None
    RecordStore(path).close()
    assert _stamp(path) == "1"


@pytest.fixture
def newer_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(data_dir))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    with sqlite3.connect(data_dir / "records.sqlite") as db:
        db.execute("UPDATE lexical_meta SET value='2' WHERE key='schema'")
        terms = db.execute("SELECT count(*) FROM chunk_terms").fetchone()[0]
        db.execute("UPDATE lexical_meta SET value='v-next' WHERE key='format'")  # a tokenisation this one lacks
    return data_dir, terms


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", [
    ["list"], ["ingest", "-q", "FEED"], ["delete", "kim-putin-vostochny-2023"], ["ask", "What did Kim pledge?"],
    ["search", "Kim"], ["samples"], ["repair"], ["check"], ["serve", "--port", "PORT"],
])
def test_a_record_of_a_newer_layout_is_refused_with_one_line_by_every_command(newer_data_dir, tmp_path, command):
    data_dir, terms = newer_data_dir
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "x", "text": "The harbour reopened on Monday."}\n')
    args = [str(feed) if a == "FEED" else str(_free_port()) if a == "PORT" else a for a in command]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.strip().splitlines() == [
        f"error: the record store {data_dir / 'records.sqlite'} has schema 2, written by a newer Citewire; this one "
        "reads schema 1 and older: upgrade Citewire, or point CITEWIRE_DATA_DIR at another data dir"], result.stderr
    with sqlite3.connect(data_dir / "records.sqlite") as db:  # untouched: no backfill rewrote its postings
        assert db.execute("SELECT count(*) FROM chunk_terms").fetchone()[0] == terms
        assert dict(db.execute("SELECT key, value FROM lexical_meta WHERE key IN ('schema', 'format')")) == {
            "schema": "2", "format": "v-next"}


def test_the_store_itself_refuses_a_newer_record(tmp_path):
    path = tmp_path / "records.sqlite"
    RecordStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE lexical_meta SET value='7' WHERE key='schema'")
    with pytest.raises(SchemaTooNew, match="has schema 7"):
        RecordStore(path)


def test_uvicorn_factory_on_a_record_of_a_newer_layout_is_one_line_not_a_traceback(newer_data_dir):
    import os
    import subprocess
    import sys

    data_dir, _ = newer_data_dir
    run = subprocess.run([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port",
                          str(_free_port())], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "CITEWIRE_DATA_DIR": str(data_dir)})
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert f"error: the record store {data_dir / 'records.sqlite'} has schema 2" in run.stderr
