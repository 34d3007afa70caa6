"""Regressions from the review of the legacy-text, URL-masking, duplicate-id, summary and worker fixes: each test
failed before its fix."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.ingest.legacy_text import decode_text


@pytest.mark.parametrize("text", [
    "Søren Sánchez visited Nestlé.",  # Danish + Spanish names in one English Windows-1252 story
    "Interview: Søren Kierkegaard scholar José Sánchez, in Bogotá.",
])
def test_cp1252_english_text_with_names_from_two_languages_is_not_read_as_cp1250(text):
    # main reads "Søren" as cp1250 "Sřren": á, ř, é are all Czech letters, while the true cp1252 reading
    # mixes Danish "ø" with Spanish "á", which no single alphabet holds. The code before 3ceb8e2 read it right.
    assert decode_text(text.encode("cp1252")) == text


@pytest.mark.parametrize("url", [
    "chroma.internal:8000/?chroma_client_auth_credentials=s3cr3tTOKEN",  # scheme forgotten
    "http://chroma.internal:8000/;auth=s3cr3tTOKEN",  # path parameters, not a query
])
def test_refused_chroma_url_does_not_print_its_secret(url):
    with pytest.raises(ValueError) as caught:
        Settings(chroma_url=url, _env_file=None)
    message = "\n".join(str(e["msg"]) for e in caught.value.errors())
    assert "s3cr3tTOKEN" not in message


def test_html_page_mislabelled_utf8_is_not_read_as_baltic():
    # A page that declares UTF-8 but was saved in Windows-1252 (a common mislabel): the declared charset cannot
    # read it, yet the spelling comparison is skipped because *a* charset is declared, and charset-normalizer's
    # pick (cp1257) stands: "garēon … ą l'hōtel oł".
    page = ('<html><head><meta charset="utf-8"></head><body><p>Le garçon a mangé une crème brûlée à l\'hôtel '
            'où il était déjà.</p></body></html>')
    assert decode_text(page.encode("cp1252")) == page


def test_duplicate_warning_does_not_say_the_last_record_wins_when_the_last_one_failed(tmp_path):
    # Valid record first, an unreadable one with the same id last: the first is stored and the last failed,
    # yet the warning says "the last record wins, counted once" (and both are counted: added 1, failed 1).
    import json

    from fastapi.testclient import TestClient

    from app.main import create_app

    records = [{"id": "a", "text": "The harbour wall fell on Monday after the storm.", "published_at": "2024-03-05"},
               {"id": "a", "text": "The harbour wall fell on Monday after the storm.", "published_at": "2024-13-45"}]
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False))) as client:
        body = client.post("/v1/articles", content="\n".join(json.dumps(r) for r in records),
                           headers={"content-type": "application/x-ndjson"}).json()
        assert client.get("/v1/articles/a").json()["published_at"].startswith("2024-03-05")  # the first is stored
        assert not any("the last record wins" in w for w in body["warnings"]), body["warnings"]


@pytest.mark.integration
def test_worker_start_failure_at_critical_does_not_point_to_an_error_that_is_not_printed(tmp_path):
    # At CITEWIRE_LOG_LEVEL=CRITICAL the _WorkerFailed filter (2a03175) drops every record below CRITICAL, the
    # workers' own error included, and the CLI's only line is "a worker failed to start (its error is above)":
    # nothing is above, and nothing says the Chroma server is unreachable.
    import os
    import socket
    import subprocess
    import sys

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_WARMUP": "false",
           "CITEWIRE_LOG_LEVEL": "CRITICAL", "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{free_port()}"}
    run = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(free_port())],
                         env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert not ("its error is above" in lines[0] and len(lines) == 1), run.stderr[-2000:]


def test_shown_url_keeps_the_host_when_the_query_holds_an_at_sign():
    from app.config import shown_url

    # "@" in the query string is taken for the userinfo separator: the host the message is about is masked away.
    assert "chroma:8000" in shown_url("http://chroma:8000/?tenant=ops@example.com")


def test_reads_are_not_starved_while_deletes_wait_for_a_long_ingest(tmp_path, monkeypatch):
    # DELETEs waiting for a long ingest each held one of the shared pool's 40 threads, so once 40 waited, every
    # sync route (GET /v1/articles, GET /v1/articles/{id}) and the upload parsing queued behind them until the
    # ingest ended: a 6 s ingest (a slow embeddings endpoint) blocked a plain article list for 6 s.
    import threading
    import time

    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.services import build_services

    settings = Settings(data_dir=tmp_path / "data", warmup=False)
    services = build_services(settings)
    real_embed = services.ingest.embedder.embed
    started = threading.Event()

    def slow_embed(texts):
        started.set()
        time.sleep(6)
        return real_embed(texts)

    with TestClient(create_app(settings, services=services)) as client:
        # monkeypatch: the embedder is shared by every app in this process; it must be slow in this test only
        monkeypatch.setattr(services.ingest.embedder, "embed", slow_embed)
        upload = threading.Thread(target=client.post, args=("/v1/articles",),
                                  kwargs={"json": {"id": "slow", "text": "The harbour wall fell on Monday."}})
        upload.start()
        assert started.wait(10)
        deletes = [threading.Thread(target=client.delete, args=(f"/v1/articles/gone-{n}",)) for n in range(40)]
        for thread in deletes:
            thread.start()
        time.sleep(0.5)
        began = time.monotonic()
        assert client.get("/v1/articles").status_code == 200
        waited = time.monotonic() - began
        upload.join()
        for thread in deletes:
            thread.join()
    assert waited < 2.0, f"listing articles waited {waited:.1f} s for an unrelated ingest"
