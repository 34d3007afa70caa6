"""CLI, `serve` and operations findings of a bug hunt (2026-11-29), each failing on the code before its fix: a stop signal
during a worker start was lost, /metrics under --workers showed one worker, a file gone before its turn was a traceback,
`ingest ""` read the current folder, a linked folder vanished from the report, HEAD on the probes was 405."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import REPO, chroma_binary

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _one_error_line(result) -> bool:
    return result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_removed_between_listing_and_reading_is_a_failed_file_not_a_traceback(tmp_path, monkeypatch):
    """A folder is listed first, then read: a file deleted (or made unreadable, or replaced by a folder) in between
    raised FileNotFoundError out of `citewire ingest` as a traceback, and the batch read so far was not written."""
    from app.cli import ingest as ingest_module

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("The council approved the harbour budget on Monday after a long debate.")
    (folder / "b.txt").write_text("The ferry service resumed on Tuesday after the storm had passed.")
    reading = ingest_module._IngestProgress.reading

    def reading_and_deleting(self):
        reading(self)
        (folder / "b.txt").unlink(missing_ok=True)  # gone before its turn comes

    monkeypatch.setattr(ingest_module._IngestProgress, "reading", reading_and_deleting)
    result = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert _one_error_line(result), result.exception
    assert result.exit_code == 1, result.output
    assert "added 1" in result.stdout and "failed 1" in result.stdout, result.output
    assert "b.txt" in result.stderr and "Traceback" not in result.output


def test_an_empty_path_argument_does_not_ingest_the_current_folder(tmp_path, monkeypatch):
    """`citewire ingest "$ARTICLES"` with the variable unset: Path("") is ".", and the whole current folder (a home
    folder, a repository: every .md, .json and .txt under it) was ingested."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.md").write_text("A private note that is not a news article at all, kept in the working folder.")
    monkeypatch.chdir(work)
    result = runner.invoke(cli, ["ingest", "-q", ""])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "(0 of 0)" in runner.invoke(cli, ["list"]).stdout


def test_a_linked_folder_inside_a_folder_is_followed_or_named_not_silently_dropped(tmp_path):
    """A symlink to a file inside the folder is ingested, a symlink to a folder was neither walked nor named among
    the skipped files: its articles silently went missing."""
    other = tmp_path / "archive"
    other.mkdir()
    (other / "old.txt").write_text("The old bridge was closed for repairs in the spring after an inspection.")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "new.txt").write_text("The new bridge opened to traffic on Friday after three years of work.")
    (folder / "archive").symlink_to(other, target_is_directory=True)
    result = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli, ["list"]).stdout
    assert "old\t" in listed or "archive" in result.stdout, (result.stdout, listed)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_while_a_worker_process_starts_is_not_lost(stop):
    """pipeline._children_ignore_ctrl_c set SIGINT and SIGTERM to SIG_IGN in the parent around every pool submit
    (about a quarter of a large ingest's time here: 92 windows, 2.3 s of 9.6 s), so a Ctrl+C or systemd's SIGTERM
    landing then was dropped and the ingest ran to its end."""
    from app.ingest.pipeline import _children_ignore_ctrl_c

    caught = []
    previous = signal.signal(stop, lambda signum, frame: caught.append(signum))
    try:
        with _children_ignore_ctrl_c():
            os.kill(os.getpid(), stop)
            time.sleep(0.05)
        time.sleep(0.05)  # a Python handler runs at the next instruction of the main thread
    finally:
        signal.signal(stop, previous)
    assert caught == [stop]


def test_ctrl_c_during_a_pool_submit_stops_the_cli_ingest(tmp_path, monkeypatch):
    """The same, end to end: a SIGINT that arrives while the ingest hands a batch to its worker pool."""
    import app.ingest.pipeline as pipeline

    class InterruptedPool(pipeline.ProcessPoolExecutor):
        sent = False

        def submit(self, *args, **kwargs):
            if not InterruptedPool.sent:
                InterruptedPool.sent = True
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C, as the batch is handed over
                time.sleep(0.05)
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", InterruptedPool)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own Ctrl+C whatever ran before (conftest restores)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # one worker process, whatever this machine has
    source = tmp_path / "many.jsonl"
    source.write_text("".join(
        f'{{"id": "story-{i}", "title": "Story {i}", "text": "Story {i} says the harbour reopened on Monday."}}\n'
        for i in range(12)))
    result = runner.invoke(cli, ["ingest", "-q", "--batch", "2", str(source)])
    assert InterruptedPool.sent
    assert result.exit_code == 130 and "error: interrupted" in result.stderr, result.output


def test_head_on_the_probe_and_metrics_routes_is_answered_as_get(tmp_path):
    """HEAD must be supported wherever GET is (RFC 9110 9.1); `/` answers it, but /healthz, /readyz and /metrics
    answered 405, which an uptime monitor or `curl -I` probe reads as the service being down."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings(data_dir=tmp_path / "head", warmup=False))) as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert client.get(path).status_code == 200, path
            head = client.head(path)
            assert head.status_code == 200, (path, head.status_code)


@pytest.mark.integration
@pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")
def test_metrics_of_serve_workers_count_every_worker(tmp_path):
    """`citewire serve --workers 2`: /metrics was one worker's registry, whichever answered the scrape, so
    citewire_answers_total read 9, 1, 9, ... after 10 answers (a counter that goes back is a reset to Prometheus)."""
    from tests.test_integration import free_port, stop, wait_for

    chroma_port, port = free_port(), free_port()
    chroma = subprocess.Popen([chroma_binary(), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                               "--port", str(chroma_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
        env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_WARMUP": "false",
               "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{chroma_port}"}
        server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--samples",
                                   "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz", server, timeout=120)
        for _ in range(10):  # new connections: both workers answer some
            assert httpx.post(f"{base}/v1/ask", json={"question": "What did Kim pledge?"}, timeout=60).is_success
        seen = set()
        for _ in range(8):
            for line in httpx.get(f"{base}/metrics", timeout=30).text.splitlines():
                if line.startswith("citewire_answers_total{"):
                    seen.add(float(line.rsplit(" ", 1)[1]))
        assert seen == {10.0}, seen
    finally:
        if server is not None:
            stop(server)
        stop(chroma)


def test_render_metrics_sums_every_process_of_one_multiproc_dir(tmp_path):
    """Deterministic twin of the --workers test above (a review finding: there, one worker may take every request):
    two processes count into one PROMETHEUS_MULTIPROC_DIR and a third renders their sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    bump = "from app.observability.metrics import REFUSALS; REFUSALS.inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", bump], env=env, cwd=REPO, check=True, timeout=120)
    shown = subprocess.run([sys.executable, "-c", "from app.observability.metrics import render_metrics; "
                            "print(render_metrics()[0].decode())"], env=env, cwd=REPO, check=True, timeout=120,
                           capture_output=True, text=True).stdout
    assert "citewire_refusals_total 2.0" in shown, shown[:500]
