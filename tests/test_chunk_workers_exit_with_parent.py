"""The chunking worker processes of an ingest (app/ingest/pipeline.py, a spawn ProcessPoolExecutor) wait on
their task queue, whose pipe every worker also holds open: when the server or `citewire ingest` that started
them was SIGKILLed (OOM killer, `kill -9`, a container runtime), they waited forever, each holding a
chunker's memory. They now exit when their parent does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

_INGEST_THEN_HANG = r"""
import multiprocessing, sys, time
from pathlib import Path
from app.config import Settings
from app.embed import make_embedder
from app.ingest.article import ArticleIn
from app.ingest.chunker import Chunker
from app.ingest.service import IngestService
from app.store.records import RecordStore
from app.store.vector import VectorStore

settings = Settings(data_dir=Path(sys.argv[1]))
embedder = make_embedder(settings)
service = IngestService(RecordStore(settings.records_path), VectorStore(settings, embedder.name), embedder,
                        Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name))

def articles():
    for i in range(6):  # one per batch: the pool starts at the third (POOL_AFTER_BATCHES)
        yield ArticleIn(id=f"a{i}", title="T", source="S", text=f"Story {i} about the harbour bridge. " * 40)
    Path(sys.argv[2]).write_text(" ".join(str(p.pid) for p in multiprocessing.active_children()))
    time.sleep(3600)  # the server, mid-ingest, until it is killed

service.ingest(articles(), batch_articles=1, workers=2)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for a reaper that a container's init may never be)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc (Linux)")
def test_chunk_workers_exit_when_their_parent_is_killed(tmp_path):
    pids_file = tmp_path / "workers"
    with (tmp_path / "parent.log").open("w") as log:
        parent = subprocess.Popen([sys.executable, "-c", _INGEST_THEN_HANG, str(tmp_path / "data"), str(pids_file)],
                                  stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not (pids_file.exists() and pids_file.read_text()):
            assert parent.poll() is None, (tmp_path / "parent.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the ingest never started its worker processes"
            time.sleep(0.1)
        workers = [int(p) for p in pids_file.read_text().split()]
        assert workers and all(_running(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        deadline = time.monotonic() + 30  # generous: they go within a scheduler tick of the parent
        while any(_running(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in workers if _running(p)]
        assert not left, f"chunk workers {left} outlived their SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
