"""Findings of a new user's walkthrough with their own corpus: `citewire eval` and `citewire ingest`'s progress."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


def _corpus(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        name = "zephyr-bridge" if i == 1 else f"story-{i}"
        (folder / f"{name}.txt").write_text(
            f"The Zephyrian council voted on March {i} to rebuild the Quillberry bridge number {i}. "
            f"The work costs {i} million dollars and starts in May.\n")
    return folder


# --- 4. ingest progress that tells the truth ------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(*args, **kwargs):
    from app.cli import _IngestProgress

    return _IngestProgress(*args, **kwargs)


def _outcome(status: str, article_id: str) -> SimpleNamespace:
    return SimpleNamespace(status=status, article_id=article_id, origin=f"{article_id}.txt", error="bad date")


def test_ingest_progress_counts_articles_stored_against_the_files_total():
    """The bar had no total and counted nothing while the files were read ("0 articles" for 7 s under file names
    flashing past): it counts the store's outcomes now, says how many files were read, and, with one article a file,
    knows its total."""
    screen = _Terminal()
    shown = _progress([Path(f"s{i}.txt") for i in range(4)], quiet=False, stream=screen)
    for _ in range(4):
        shown.reading()
    assert shown.bar.total == 4 and shown.bar.n == 0  # every file read, none stored yet: said as it is
    shown.stored(_outcome("added", "s0"))
    shown.stored(_outcome("updated", "s1"))
    shown.close()
    text = screen.getvalue().replace("\r", "\n")
    assert "read 4/4 files, ingested" in text and "s3.txt" not in text
    assert "| 2/2 [" in text  # closed early (a stop, a duplicate id): the total it ends with is the truth
    assert shown.counts == {"added": 1, "updated": 1, "unchanged": 0, "failed": 0}


def test_ingest_progress_has_no_total_when_a_file_may_hold_many_articles():
    shown = _progress([Path("a.txt"), Path("feed.jsonl")], quiet=False, stream=_Terminal())
    assert shown.total is None and shown.bar.total is None
    shown.close()


def test_ingest_progress_off_a_terminal_is_a_line_now_and_then():
    log = io.StringIO()
    shown = _progress([Path(f"s{i}.txt") for i in range(3)], quiet=False, stream=log, every=0)
    shown.reading()
    shown.stored(_outcome("added", "s0"))
    shown.stored(_outcome("failed", "s1"))
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[-1] == "2/3 articles [0 s] ingested: added 1, updated 0, unchanged 0, failed 1; read 1/3 files"
    assert "failed: s1.txt: bad date" in lines
    quiet_log = io.StringIO()
    silent = _progress([Path("s.txt")], quiet=True, stream=quiet_log, every=0)
    silent.reading()
    silent.stored(_outcome("added", "s"))
    silent.close()
    assert quiet_log.getvalue() == ""


def test_ingest_off_a_terminal_prints_no_line_per_file_and_names_the_few_updated(tmp_path):
    """Off a terminal (a log, CI) every file read drew its own line (about 100 on a re-ingest of 400 files)."""
    corpus = _corpus(tmp_path / "corpus", 40)
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    first = runner.invoke(cli, ["ingest", str(corpus)], env=env)
    assert first.exit_code == 0, first.output
    assert "story-17.txt" not in first.stderr and len(first.stderr.splitlines()) <= 3, first.stderr
    assert first.stdout.startswith("added 40, updated 0, unchanged 0, failed 0")
    for name in ("story-3", "story-7"):
        (corpus / f"{name}.txt").write_text("The Zephyrian council changed its mind about the bridge in June.\n")
    again = runner.invoke(cli, ["ingest", str(corpus)], env=env)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("added 0, updated 2 (story-3, story-7), unchanged 38, failed 0"), again.stdout
    for i in range(1, 13):
        (corpus / f"story-{i + 1}.txt").write_text(f"The council met again on day {i} about the harbour.\n")
    many = runner.invoke(cli, ["ingest", "-q", str(corpus)], env=env)
    assert many.stdout.startswith("added 0, updated 12, unchanged 28"), many.stdout  # too many to name
