"""Real processes on loopback: uvicorn serving the API, and a `chroma run` server as the vector store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import chroma_binary, mini_suite

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def in_thread(app, **config):
    """``app`` served by uvicorn on a free loopback port in a thread, for as long as the block runs: its base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 120
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def serve_samples(data_dir, timeout: float = 60, **env: str):
    """`citewire serve --samples` as a real process on a free loopback port; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--samples", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "CITEWIRE_DATA_DIR": str(data_dir), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", server, timeout=timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


@pytest.fixture
def served(tmp_path):
    with serve_samples(tmp_path / "data") as url:
        yield url


def test_cli_serve_answers_over_real_http(served):
    base = served
    body = httpx.post(f"{base}/v1/ask", json={"question": "What did Kim pledge?"}, timeout=30).json()
    assert body["answerable"] and body["citations"]
    article = httpx.get(f"{base}/v1/articles/{body['citations'][0]['article_id']}").json()
    c = body["citations"][0]
    assert article["text"][c["char_start"]:c["char_end"]] == c["quote"]
    bad = httpx.post(f"{base}/v1/ask", content=b"{oops", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"] == "malformed JSON"


@pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")
def test_ingest_and_ask_against_a_chroma_server(tmp_path):
    port = free_port()
    chroma = subprocess.Popen(
        [chroma_binary(), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", chroma)
        from app.config import Settings
        from app.samples import index_samples
        from app.services import build_services

        settings = Settings(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}")
        services = build_services(settings)
        report = index_samples(services.ingest)
        assert report.counts["added"] == 8
        assert not (tmp_path / "data" / "chroma").exists()  # vectors went to the server, not the embedded store
        assert services.vectors.count() == services.records.count()[1]
        dense = services.retrieval.search("Vostochny rocket launch site", mode="dense", top_k=3)
        assert dense and dense[0].article_id == "kim-putin-vostochny-2023"
        answer = services.answers.ask("How many freight containers did North Korea ship to Russia?")
        assert answer.answerable and "20,000" in answer.answer
        assert index_samples(services.ingest).counts["unchanged"] == 8
        services.close()
    finally:
        stop(chroma)


def test_eval_against_a_running_server(served, tmp_path):
    # A few cases over HTTP: the full suite's gate runs once per CI run (`citewire eval --gate` in .ci/run).
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "eval", "-q", "--url", served, "--out", str(tmp_path / "report"),
         "--suite", str(mini_suite(tmp_path))],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer_correctness" in result.stdout
    assert (tmp_path / "report" / "report.png").exists()
