"""A Chroma server that accepts connections and never answers (hung, SIGSTOPped, a half-open connection): Chroma's
client waits forever, so an ingest held its writer turn, and every writer of every process and host, for good.
With CITEWIRE_CHROMA_TIMEOUT_S the call fails as the dependency being down, the turn is let go, and once the
server answers again the next write lands."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from app.config import Settings
from app.ingest.article import ArticleIn
from app.services import build_services
from tests.conftest import chroma_binary
from tests.test_integration import free_port, stop, wait_for

pytestmark = pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")


def _article(key: str) -> ArticleIn:
    return ArticleIn(id=key, title=f"Ferry {key}", text=f"The ferry {key} left pier {key} at noon with 40 cars.")


def test_a_hung_chroma_server_fails_the_write_in_bounded_time_and_frees_the_turn(tmp_path):
    port = free_port()
    with (tmp_path / "chroma.log").open("w") as log:
        chroma = subprocess.Popen([chroma_binary(), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    services = None
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", chroma)
        services = build_services(Settings(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}",
                                           chroma_timeout_s=2, warmup=False))
        assert services.ingest.ingest([_article("one")], workers=0).counts["added"] == 1
        os.kill(chroma.pid, signal.SIGSTOP)
        try:
            outcome: dict = {}
            writer = threading.Thread(
                target=lambda: outcome.update(report=services.ingest.ingest([_article("two")], workers=0)),
                daemon=True)
            started = time.monotonic()
            writer.start()
            writer.join(60)
            assert not writer.is_alive(), "the ingest still waits on the stopped Chroma server after 60 s"
            assert time.monotonic() - started < 30
            [failed] = outcome["report"].outcomes
            assert failed.status == "failed" and "store write failed" in failed.error, failed
        finally:
            os.kill(chroma.pid, signal.SIGCONT)
        # the turn was let go: the next write goes through, and the failed article was not half-stored
        report = services.ingest.ingest([_article("two"), _article("three")], workers=0)
        assert [o.status for o in report.outcomes] == ["added", "added"]
        assert services.records.count()[0] == 3 and services.vectors.count() == services.records.count()[1]
    finally:
        if services is not None:
            services.close()
        stop(chroma)
