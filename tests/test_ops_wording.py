"""Wording met walking the operations doc: a bad JSONL line names its file and line in the file's own numbering
(the parser said "line 1 column 10" of every line), and the progress bar's label has one colon."""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.cli.ingest import _IngestProgress
from app.ingest.loaders import load_bytes

runner = CliRunner()


def test_a_bad_jsonl_line_is_named_by_file_line_and_reason(tmp_path, monkeypatch):
    good = "".join(json.dumps({"id": f"a{i}", "text": f"The harbour reopened on day {i}."}) + "\n" for i in range(11))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(good + '{"id": "b", "text": "The bridge clo\n' + '{"id": "c",}\n')
    records = [r for r in load_bytes("feed.jsonl", feed.read_bytes()) if r.error]
    assert [(r.origin, r.error) for r in records] == [
        ("feed.jsonl:12", "invalid JSON on line 12, column 21: unterminated string"),
        ("feed.jsonl:13", "invalid JSON on line 13, column 12: expecting property name enclosed in double quotes")]
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(cli, ["ingest", "-q", str(feed)])
    assert result.exit_code == 1 and "added 11" in result.stdout and "failed 2" in result.stdout, result.output
    assert "failed: feed.jsonl:12: invalid JSON on line 12, column 21: unterminated string" in result.stderr


def test_a_bad_json_file_is_named_by_its_line_and_column():
    [record] = load_bytes("one.json", b'{\n  "id": "a",\n  "text": "x"\n  "title": "y"}')
    assert record.origin == "one.json" and record.error == "invalid JSON on line 4, column 3: expecting ',' delimiter"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Added:
    status, article_id, origin, error = "added", "x", "feed.jsonl:1", None


def test_the_progress_label_has_one_colon_after_a_file_is_read():
    for names in (["a.jsonl", "b.jsonl"], ["a.txt", "b.txt"]):
        screen = _Terminal()
        shown = _IngestProgress([Path(n) for n in names], quiet=False, stream=screen)
        shown.reading()
        shown.stored(_Added())
        shown.close()
        drawn = screen.getvalue()
        assert "read 1/2 files, ingested: " in drawn and ": :" not in drawn, drawn
