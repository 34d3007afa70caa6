"""One process per data dir with the embedded Chroma store (app/store/data_dir_lock.py), with real processes.

Two processes on one embedded Chroma directory lose each other's vectors (docs/operations.md
*Scaling*), so a second one must stop at start with one line, and nothing it was asked to write
may land. The lock must also go away with its process, crash included.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.conftest import SHARED
from tests.test_integration import free_port, stop, wait_for

HOLD = ("import sys, time; from pathlib import Path; from app.store.data_dir_lock import claim_chroma_dir;"
        " claim_chroma_dir(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)")
TRY = ("import sys; from pathlib import Path; from app.store.data_dir_lock import DataDirInUse, claim_chroma_dir\n"
       "try:\n claim_chroma_dir(Path(sys.argv[1]))\nexcept DataDirInUse as e:\n print(e); sys.exit(3)")


def _env(data_dir) -> dict:
    return {**os.environ, "CITEWIRE_DATA_DIR": str(data_dir), "CITEWIRE_WARMUP": "false"}


def _cli(data_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=_env(data_dir), capture_output=True,
                          text=True, timeout=120)


def _article(article_id: str, text: str) -> dict:
    return {"id": article_id, "title": f"{article_id} report", "source": "Test Desk", "published_at": "2024-03-01",
            "text": text}


def _claimable(chroma_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRY, str(chroma_dir)], capture_output=True, text=True, timeout=60)


def test_claims_are_shared_within_a_process_and_released_by_the_last(tmp_path):
    from app.store.data_dir_lock import claim_chroma_dir

    chroma_dir = tmp_path / "chroma"
    first, second = claim_chroma_dir(chroma_dir), claim_chroma_dir(chroma_dir)  # same process: both succeed
    held = _claimable(chroma_dir)
    assert held.returncode == 3 and f"(pid {os.getpid()})" in held.stdout
    first()
    first()  # a release called twice counts once
    assert _claimable(chroma_dir).returncode == 3
    second()
    assert _claimable(chroma_dir).returncode == 0


def test_closing_services_hands_the_data_dir_over_without_losing_vectors(tmp_path):
    """close → another process writes → reopen here: this process must see the other's vectors (Chroma's
    per-path system, HNSW index included, must not outlive close) and nothing may be overwritten."""
    from app.config import Settings
    from app.ingest.article import ArticleIn
    from app.services import build_services

    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    services = build_services(settings)
    services.ingest.ingest([ArticleIn(**_article(
        "canal-2024", "The Zephyrian canal reopened after engineers removed 40,000 tonnes of silt."))])
    assert services.retrieval.search("Zephyrian canal", mode="dense", top_k=1)  # the HNSW index is in memory
    assert _claimable(settings.chroma_dir).returncode == 3
    services.close()
    assert _claimable(settings.chroma_dir).returncode == 0

    batch = tmp_path / "harbour.jsonl"
    batch.write_text(json.dumps(_article("harbour-2024", "Marrowvale harbour doubled its quillberry exports.")))
    assert _cli(data_dir, "ingest", "-q", str(batch)).returncode == 0

    services = build_services(settings)
    try:
        hits = services.retrieval.search("quillberry exports Marrowvale harbour", mode="dense", top_k=1)
        assert [h.article_id for h in hits] == ["harbour-2024"]  # not the stale index of before the close
        services.ingest.ingest([ArticleIn(**_article(
            "bridge-2024", "The Quorvan bridge was closed for repairs after the storm damaged its cables."))])
        assert services.records.count() == (3, services.vectors.count())
    finally:
        services.close()
    for query, article_id in [("Zephyrian canal silt", "canal-2024"), ("quillberry exports", "harbour-2024"),
                              ("Quorvan bridge cables", "bridge-2024")]:
        found = _cli(data_dir, "search", query, "--mode", "dense", "--top-k", "1")
        assert found.returncode == 0 and article_id in found.stdout, (query, found.stdout, found.stderr)


def test_a_lock_dies_with_its_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "chroma")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _claimable(tmp_path / "chroma").returncode == 3
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    assert _claimable(tmp_path / "chroma").returncode == 0  # no stale lock file to remove by hand


@pytest.mark.integration
def test_a_second_process_on_a_served_data_dir_stops_with_one_line_and_writes_nothing(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/readyz", server, timeout=90)
        added = httpx.post(f"{url}/v1/articles", timeout=60, json=[_article(
            "canal-2024", "The Zephyrian canal reopened after engineers removed 40,000 tonnes of silt.")])
        assert added.status_code == 201

        second = _cli(data_dir, "serve", "--host", "127.0.0.1", "--port", str(free_port()))
        batch = tmp_path / "more.jsonl"
        batch.write_text(json.dumps(_article("harbour-2024", "Marrowvale harbour doubled its quillberry exports.")))
        ingest = _cli(data_dir, "ingest", str(batch))
        search = _cli(data_dir, "search", "Zephyrian canal", "--mode", "dense")
        for refused in (second, ingest, search):
            lines = refused.stderr.strip().splitlines()
            assert refused.returncode == 1, refused.stderr
            assert len(lines) == 1 and lines[0].startswith(f"error: the data dir {data_dir} is in use"), lines
            assert f"(pid {server.pid})" in lines[0] and "CITEWIRE_CHROMA_URL" in lines[0]
        assert httpx.get(f"{url}/v1/articles", timeout=30).json()["total"] == 1  # the refused ingest wrote nothing
        server.send_signal(signal.SIGKILL)  # a crash: the kernel drops the lock with the process
        server.wait(30)
    finally:
        stop(server)

    assert _cli(data_dir, "ingest", str(batch)).returncode == 0
    found = _cli(data_dir, "search", "quillberry exports Marrowvale", "--mode", "dense", "--top-k", "1")
    assert found.returncode == 0 and "harbour-2024" in found.stdout, found.stderr

    from app.config import Settings
    from app.services import build_services

    services = build_services(Settings(data_dir=data_dir))
    try:
        assert services.records.count() == (2, services.vectors.count())  # every chunk has its vector, no extra
    finally:
        services.close()


@pytest.mark.integration
def test_uvicorn_workers_on_the_embedded_store_stop_instead_of_serving(tmp_path):
    """uvicorn stops the whole server when a worker fails at start-up, rather than serving split indexes."""
    run = subprocess.run(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(free_port()),
         "--workers", "2"],
        env=_env(tmp_path / "data"), capture_output=True, text=True, timeout=180,
    )
    log = run.stdout + run.stderr
    assert "is in use by another Citewire process" in log and "CITEWIRE_CHROMA_URL" in log
    assert "failed to start, stopping the parent process" in log


def test_an_account_that_can_only_read_the_lock_file_still_takes_the_lock(tmp_path, monkeypatch):
    """flock needs no write access: another user (the 0644 lock file is not theirs) must be refused while the
    dir is held, and hold it when free, not go on unguarded. The permission denial is simulated (root in CI
    ignores file modes); the locks are real, across real processes."""
    import app.store.data_dir_lock as lock
    from app.store.data_dir_lock import DataDirInUse, claim_chroma_dir

    real_open = os.open

    def no_write_access(path, flags, *args):
        if flags & (os.O_RDWR | os.O_WRONLY):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    chroma_dir = tmp_path / "chroma"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(chroma_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(lock.os, "open", no_write_access)
        with pytest.raises(DataDirInUse, match=f"pid {holder.pid}"):
            claim_chroma_dir(chroma_dir)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    release = claim_chroma_dir(chroma_dir)  # read-only, yet it holds the lock
    try:
        assert _claimable(chroma_dir).returncode == 3
    finally:
        release()
    assert _claimable(chroma_dir).returncode == 0


def test_an_unusable_data_dir_is_one_error_line_without_a_lock_warning(tmp_path):
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    listed = _cli(not_a_dir / "data", "list")
    lines = listed.stderr.strip().splitlines()
    assert listed.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Not a directory" in lines[0]


def test_a_refused_build_writes_nothing_but_the_lock_file(tmp_path):
    """uvicorn --factory and the MCP/Slack adapters reach build_services without the CLI's early claim."""
    from app.config import Settings
    from app.services import build_services
    from app.store.data_dir_lock import DataDirInUse

    data_dir = tmp_path / "data"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir / "chroma")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataDirInUse):
            build_services(Settings(data_dir=data_dir))
        assert sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*")) == ["chroma.lock"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)


def test_a_build_that_fails_later_lets_the_data_dir_go(tmp_path):
    from app.config import Settings
    from app.llm.local import LocalModelError
    from app.services import build_services

    settings = Settings(data_dir=tmp_path / "data", local_model=str(tmp_path / "missing.gguf"))
    with pytest.raises(LocalModelError):
        build_services(settings)
    assert _claimable(settings.chroma_dir).returncode == 0  # another process may now open it
    services = build_services(settings.model_copy(update={"local_model": None}))  # and so may this one, afresh
    try:
        assert services.records.count() == (0, 0)
    finally:
        services.close()


RTQA = SHARED / "data" / "realtimeqa-dev"


@pytest.mark.skipif(not (RTQA / "questions.jsonl").exists(), reason="needs ../shared/data/realtimeqa-dev")
def test_eval_on_an_index_in_use_is_one_error_line(tmp_path):
    index = tmp_path / "index"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(index / "chroma")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        run = _cli(tmp_path / "data", "eval", "--dataset", "realtimeqa", "--path", str(RTQA), "--index", str(index),
                   "--limit", "2", "--out", str(tmp_path / "out"), "-q")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr[-2000:]
    assert lines[0].startswith(f"error: the data dir {index} is in use") and f"(pid {holder.pid})" in lines[0]
