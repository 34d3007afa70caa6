"""Reliability on 127.0.0.1, bounded in time and sized for CI (about 2-3 minutes together):

- load: 50 concurrent clients mixing ask, search and ingest against `citewire serve` → 0 errors;
- crash: kill -9 during an ingest → the store opens, serves nothing half-written, and a re-run
  completes with the same counts as a clean run;
- fuzz: requests generated from the OpenAPI schema (schemathesis) → never a 5xx;
- dependency down: stop the `chroma run` server → /readyz and /v1/ask answer 503 with a clear
  message; start it again → the service recovers by itself.

Durations: CITEWIRE_LOAD_SECONDS (default 60), CITEWIRE_FUZZ_EXAMPLES (default 40 per operation).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import chroma_binary
from tests.test_integration import free_port, stop, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

LOAD_SECONDS = float(os.environ.get("CITEWIRE_LOAD_SECONDS", "60"))
LOAD_CLIENTS = 50
FUZZ_EXAMPLES = int(os.environ.get("CITEWIRE_FUZZ_EXAMPLES", "40"))
QUESTIONS = ["What did Kim pledge?", "Where did Kim meet Putin?", "How strong was the Morocco earthquake?",
             "Who scored in the Women's World Cup final?", "What did Joe Biden say about the meeting?"]


def serve(data_dir: Path, port: int, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "CITEWIRE_DATA_DIR": str(data_dir), "CITEWIRE_LOG_LEVEL": "WARNING", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--samples", "--host", "127.0.0.1", "--port", str(port)],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
    )


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def test_load_mixed_clients_get_no_errors(tmp_path):
    port = free_port()
    server = serve(tmp_path / "data", port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/readyz", server, timeout=120)
        latencies: dict[str, list[float]] = {"ask": [], "search": [], "ingest": []}
        errors: list[str] = []

        async def client(number: int) -> None:
            rng = random.Random(number)
            async with httpx.AsyncClient(base_url=base, timeout=120) as http:
                deadline = time.monotonic() + LOAD_SECONDS
                sent = 0
                while time.monotonic() < deadline:
                    kind = rng.choices(["ask", "search", "ingest"], weights=[4, 4, 2])[0]
                    if kind == "ask":
                        request = http.post("/v1/ask", json={"question": rng.choice(QUESTIONS)})
                    elif kind == "search":
                        request = http.post("/v1/search", json={"query": rng.choice(QUESTIONS)})
                    else:
                        sent += 1
                        request = http.post("/v1/articles", json={
                            "id": f"load-{number}-{sent}", "title": f"Load test report {number}-{sent}",
                            "source": "Load Desk", "published_at": "2024-01-02",
                            "text": f"Report {number}-{sent}: the council approved {sent} new bus lanes on Monday. "
                                    "Officials said the work would start in spring and finish within a year.",
                        })
                    start = time.perf_counter()
                    try:
                        response = await request
                        if response.status_code >= 400:
                            errors.append(f"{kind} {response.status_code} {response.text[:200]}")
                    except httpx.HTTPError as exc:
                        errors.append(f"{kind} {type(exc).__name__}: {exc}")
                    latencies[kind].append(time.perf_counter() - start)

        async def run_all() -> None:
            await asyncio.gather(*(client(i) for i in range(LOAD_CLIENTS)))

        started = time.perf_counter()
        asyncio.run(run_all())
        elapsed = time.perf_counter() - started
        total = sum(len(v) for v in latencies.values())
        print(f"\nload: {LOAD_CLIENTS} clients, {elapsed:.0f} s, {total} requests ({total / elapsed:.1f}/s), "
              f"{len(errors)} errors")
        for kind, values in latencies.items():
            if values:
                print(f"  {kind:<7} n={len(values):<5} p50={percentile(values, 50) * 1000:7.0f} ms  "
                      f"p95={percentile(values, 95) * 1000:7.0f} ms")
        assert errors == [], errors[:5]
        assert all(latencies.values()), "every kind of request ran"
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["status"] == "ready" and ready["articles"] == 8 + len(latencies["ingest"])
    finally:
        stop(server)


def corpus(path: Path, n: int) -> Path:
    rng = random.Random(7)
    topics = ["harbour", "railway", "library", "bridge", "market", "school", "hospital", "airport"]
    with path.open("w") as handle:
        for i in range(n):
            topic = rng.choice(topics)
            sentences = [f"The {topic} project number {i} was discussed by the council on day {j}. "
                         f"Officials said {rng.randint(2, 900)} workers and {rng.randint(1, 90)} engineers "
                         f"would be needed before the {topic} reopens." for j in range(12)]
            handle.write(json.dumps({"id": f"crash-{i:04d}", "title": f"{topic.title()} report {i}",
                                     "source": "Crash Desk", "published_at": "2024-03-01",
                                     "text": " ".join(sentences)}) + "\n")
    return path


def stored_articles(data_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{data_dir / 'records.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def ingest(data_dir: Path, source: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", "ingest", "-q", str(source)],
                            env={**os.environ, "CITEWIRE_DATA_DIR": str(data_dir)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# More than one of the CLI's commit batches (256 articles), so a kill after the first commit lands mid-ingest.
ARTICLES = 900


def test_kill_9_during_ingest_leaves_a_consistent_store(tmp_path):
    from app.config import Settings
    from app.services import build_services

    source = corpus(tmp_path / "corpus.jsonl", ARTICLES)
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    process = ingest(crashed, source)
    deadline = time.time() + 120
    while stored_articles(crashed) < 15 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the ingest finished before it could be killed: make the corpus bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    services = build_services(Settings(data_dir=crashed))  # the store opens
    try:
        articles, chunks = services.records.count()
        assert 0 < articles < ARTICLES
        listed, _ = services.records.list_articles(limit=1000, offset=0)
        for article in listed:  # every article served is whole: its chunks are there and quote its text
            stored = services.records.get_article(article.id)
            assert stored.n_chunks > 0
        for passage in services.retrieval.search("harbour project workers engineers council", top_k=20):
            article = services.records.get_article(passage.article_id)
            assert article is not None and article.text[passage.char_start:passage.char_end] == passage.text
    finally:
        services.close()

    rerun = ingest(crashed, source)
    assert rerun.wait(timeout=300) == 0, rerun.stdout.read()
    reference = ingest(clean, source)
    assert reference.wait(timeout=300) == 0, reference.stdout.read()
    counts = {}
    for name, folder in (("crashed", crashed), ("clean", clean)):
        built = build_services(Settings(data_dir=folder))
        counts[name] = (*built.records.count(), built.vectors.count())
        built.close()
    print(f"\ncrash: killed after {articles} of {ARTICLES} articles; re-run (articles, chunks, vectors) = "
          f"{counts['crashed']}, clean run = {counts['clean']}")
    assert counts["crashed"] == counts["clean"] and counts["clean"][0] == ARTICLES


def test_fuzzed_requests_from_the_openapi_schema_never_get_a_5xx(tmp_path):
    import schemathesis
    from fastapi.testclient import TestClient
    from hypothesis import HealthCheck, given, settings

    from app.config import Settings
    from app.main import create_app
    from app.samples import index_samples
    from app.services import build_services

    services = build_services(Settings(data_dir=tmp_path / "data"))
    index_samples(services.ingest)
    app = create_app(services.settings, services=services)
    failures: list[str] = []
    calls = 0
    try:
        with TestClient(app):
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)

            for result in schema.get_all_operations():
                operation = result.ok()

                @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy())
                def check(case):
                    nonlocal calls
                    calls += 1
                    try:
                        response = case.call()
                    except Exception as exc:  # the test client re-raises what the app's 500 handler caught
                        failures.append(f"{case.method} {case.formatted_path} {case.query} -> {type(exc).__name__}: {exc}")
                        return
                    if response.status_code >= 500:
                        failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                        f"{response.text[:200]}")

                check()
    finally:
        services.close()
    print(f"\nfuzz: {calls} generated requests, {len(failures)} server errors")
    assert calls > 50 and failures == [], failures[:5]


@pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")
def test_chroma_down_gives_503_and_the_service_recovers(tmp_path):
    chroma_port, port = free_port(), free_port()
    chroma_cmd = [chroma_binary(), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                  "--port", str(chroma_port)]
    chroma = subprocess.Popen(chroma_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True)
    server = None
    base = f"http://127.0.0.1:{port}"
    question = {"question": "What did Kim pledge?"}
    try:
        wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
        server = serve(tmp_path / "data", port, CITEWIRE_CHROMA_URL=f"http://127.0.0.1:{chroma_port}")
        wait_for(f"{base}/readyz", server, timeout=120)
        assert httpx.post(f"{base}/v1/ask", json=question, timeout=60).status_code == 200

        stop(chroma)
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert ready.json()["detail"].startswith("the vector store (Chroma server) is not reachable")  # named
        down = httpx.post(f"{base}/v1/ask", json=question, timeout=60)
        assert down.status_code == 503, down.text
        assert down.json()["error"] == "dependency unavailable" and "Chroma" in down.json()["detail"]
        assert httpx.get(f"{base}/healthz").status_code == 200  # alive, just not ready
        article = {"id": "while-down", "title": "Written while the store was down", "text": "The ferry sailed at noon."}
        refused = httpx.post(f"{base}/v1/articles", json=article, timeout=60)
        assert refused.status_code == 503 and refused.json()["error"] == "dependency unavailable", refused.text
        assert refused.headers["retry-after"] == "5"  # as every other 503 of a store that is down

        chroma = subprocess.Popen(chroma_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True)
        wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
        deadline = time.time() + 30
        while time.time() < deadline and httpx.get(f"{base}/readyz", timeout=30).status_code != 200:
            time.sleep(0.5)
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
        answer = httpx.post(f"{base}/v1/ask", json=question, timeout=60)
        assert answer.status_code == 200 and answer.json()["answerable"] is True
        assert httpx.post(f"{base}/v1/articles", json=article, timeout=60).status_code == 201
    finally:
        if server is not None:
            stop(server)
        stop(chroma)
