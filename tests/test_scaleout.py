"""Scale-out on real engines: two API processes (own data dirs, as on two hosts) over one
`chroma run` server and one PostgreSQL server; what one ingests the other finds, edits, deletes."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests import postgres_server
from tests.conftest import chroma_binary
from tests.test_integration import free_port, stop, wait_for

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")]

ARTICLE = {
    "id": "lighthouse-2024", "title": "Lighthouse keeper retires after 41 years", "source": "Coast Herald",
    "published_at": "2024-05-02",
    "text": "Margaret Olsen, the last keeper of the Skerry Point lighthouse, retired on Thursday after 41 years. "
            "The lighthouse will be automated by the maritime authority next spring.",
}


@pytest.fixture
def cluster(tmp_path):
    pg, why = postgres_server.start()
    if pg is None:
        pytest.skip(why)
    processes = []
    try:
        chroma_port = free_port()
        chroma = subprocess.Popen(
            [chroma_binary(), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port",
             str(chroma_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        processes.append(chroma)
        wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
        urls = []
        for host in ("a", "b"):
            port = free_port()
            env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / host),
                   "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{chroma_port}", "CITEWIRE_LEXICAL_URL": pg.url}
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            processes.append(server)
            urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(urls, processes[1:]):
            wait_for(f"{url}/readyz", server, timeout=120)
        yield urls
    finally:
        for process in reversed(processes):
            stop(process)
        pg.stop()


def test_ingest_through_one_worker_find_through_the_other(cluster, tmp_path):
    a, b = cluster
    added = httpx.post(f"{a}/v1/articles", json=ARTICLE, timeout=60)
    assert added.status_code in (200, 201) and added.json()["added"] == 1, added.text
    for mode in ("bm25", "dense", "hybrid"):
        found = httpx.post(f"{b}/v1/search", json={"query": "Skerry Point lighthouse keeper", "mode": mode},
                           timeout=60).json()
        assert found["results"] and found["results"][0]["article_id"] == "lighthouse-2024", (mode, found)
    answer = httpx.post(f"{b}/v1/ask", json={"question": "How long was Margaret Olsen the lighthouse keeper?"},
                        timeout=60).json()
    assert answer["answerable"] and answer["citations"][0]["article_id"] == "lighthouse-2024"
    assert "41 years" in answer["citations"][0]["quote"]
    assert not (tmp_path / "a" / "chroma").exists() and not (tmp_path / "b" / "records.sqlite").exists()

    edited = {**ARTICLE, "text": "The Skerry Point lighthouse keeper's retirement was postponed to autumn."}
    httpx.post(f"{b}/v1/articles", json=edited, timeout=60).raise_for_status()
    hits = httpx.post(f"{a}/v1/search", json={"query": "postponed autumn", "mode": "bm25"}, timeout=60).json()
    assert hits["results"][0]["article_id"] == "lighthouse-2024"
    assert "postponed" in httpx.get(f"{a}/v1/articles/lighthouse-2024", timeout=30).json()["text"]
    assert httpx.delete(f"{a}/v1/articles/lighthouse-2024", timeout=30).status_code in (200, 204)
    gone = httpx.post(f"{b}/v1/search", json={"query": "Skerry Point lighthouse"}, timeout=60).json()
    assert gone["results"] == []
