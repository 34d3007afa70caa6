"""The start-up warm-up (app/warmup.py): builds the lazily-loaded parts in the background, reads only,
can be turned off, survives an empty index, and never stops the app from answering meanwhile."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

import app.lexicon as lexicon
import app.warmup as warmup
from app.config import Settings
from app.main import create_app
from app.retrieval import slots
from app.samples import index_samples

STEPS = {"lexical", "lexical_pages", "gazetteer", "lexicon", "segmenter", "embedder", "search", "ask"}


@pytest.fixture
def cold(monkeypatch):
    """Forget the process-wide lazy parts, as a fresh server process has them."""
    slots.gazetteer.cache_clear()
    monkeypatch.setattr(lexicon, "_shared", None)
    monkeypatch.setattr(lexicon, "_lemmas", None)
    yield
    slots.gazetteer.cache_clear()


def _files(data_dir) -> dict:
    """Every file of the data dir with its size and mtime, SQLite's shared-memory index aside (readers map it)."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in data_dir.rglob("*")
            if p.is_file() and not p.name.endswith("-shm")}


def test_warmup_builds_the_lazy_parts_and_writes_nothing(services, cold):
    index_samples(services.ingest)
    before, counts = _files(services.settings.data_dir), services.records.count()
    assert slots.gazetteer.cache_info().currsize == 0 and lexicon._shared is None
    with TestClient(create_app(services.settings, services=services)) as client:
        assert services.warmup.wait(120)
        ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["articles"] == 8  # the fields it had, and the new one
    assert ready["warmup"]["state"] == "done" and ready["warmup"]["error"] is None
    assert ready["warmup"]["seconds"] > 0 and set(ready["warmup"]["steps_ms"]) == STEPS
    assert slots.gazetteer.cache_info().currsize == 1
    assert lexicon._shared is not None and lexicon._lemmas is not None
    assert services.records.lexical._seq > 0  # the lexical index is in memory
    assert services.records.count() == counts and _files(services.settings.data_dir) == before


def test_warmup_off_builds_nothing(tmp_path, cold):
    settings = Settings(data_dir=tmp_path / "data", index_samples=True, warmup=False)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz").json()
        assert ready["warmup"] == {"state": "off", "seconds": None, "steps_ms": {}, "error": None}
        assert client.app.state.services.warmup.wait(0)
        assert slots.gazetteer.cache_info().currsize == 0 and lexicon._shared is None
        body = client.post("/v1/ask", json={"question": "What did Kim pledge?"}).json()
        assert body["answerable"] is True  # the first question builds what it needs itself
    assert slots.gazetteer.cache_info().currsize == 1


def test_warmup_survives_an_empty_index(services, cold):
    with TestClient(create_app(services.settings, services=services)) as client:
        assert services.warmup.wait(120)
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["chunks"] == 0
        assert ready["warmup"]["state"] == "done", ready["warmup"]
        assert client.post("/v1/ask", json={"question": "What did Kim pledge?"}).json()["answerable"] is False
    assert slots.gazetteer.cache_info().currsize == 1  # built even with nothing to search
    assert services.records.count() == (0, 0)


def test_the_app_answers_while_the_warmup_runs(services, monkeypatch):
    index_samples(services.ingest)
    entered, release = threading.Event(), threading.Event()

    def held(arrays):
        entered.set()
        release.wait(60)

    monkeypatch.setattr(warmup, "touch_mapped", held)
    try:
        with TestClient(create_app(services.settings, services=services)) as client:
            assert entered.wait(60)
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/readyz").json()["warmup"]["state"] == "running"
            body = client.post("/v1/ask", json={"question": "What did Kim pledge?"}).json()
            assert "full and unconditional support" in body["answer"]
            assert client.post("/v1/search", json={"query": "Vostochny"}).json()["results"]
            release.set()
            assert services.warmup.wait(120)
            assert client.get("/readyz").json()["warmup"]["state"] == "done"
    finally:
        release.set()


def test_a_failing_warmup_leaves_the_server_answering(services, monkeypatch):
    index_samples(services.ingest)

    def broken(arrays):
        raise OSError("disk on fire")

    monkeypatch.setattr(warmup, "touch_mapped", broken)
    with TestClient(create_app(services.settings, services=services)) as client:
        assert services.warmup.wait(120)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["warmup"]["state"] == "failed" and "disk on fire" in ready.json()["warmup"]["error"]
        assert client.post("/v1/ask", json={"question": "What did Kim pledge?"}).json()["answerable"] is True


def test_warmup_setting_reads_the_environment(monkeypatch):
    monkeypatch.setenv("CITEWIRE_WARMUP", "false")
    assert Settings().warmup is False
    monkeypatch.delenv("CITEWIRE_WARMUP")
    assert Settings().warmup is True and Settings.model_fields["warmup"].description


def test_a_stopped_warm_up_starts_no_step_and_reports_its_duration():
    from types import SimpleNamespace

    from app.warmup import Warmup

    warmup = Warmup()
    warmup.stop()  # shutdown came first: nothing may touch the stores now
    warmup.run(SimpleNamespace(records=SimpleNamespace()), search=None, answer=None)
    report = warmup.report()
    assert report["state"] == "stopped" and report["steps_ms"] == {} and report["seconds"] is not None


def test_the_pages_step_reads_a_memory_mapped_snapshot(tmp_path, monkeypatch):
    import numpy as np

    from app.services import build_services

    settings = Settings(data_dir=tmp_path / "data", warmup=False)
    services = build_services(settings)
    index_samples(services.ingest)
    services.records.lexical.sync()
    services.records.lexical.save_snapshot()
    services.close()
    services = build_services(settings)  # a restart maps the snapshot instead of building the index
    try:
        services.records.lexical.sync()
        mapped = [a for a in services.records.lexical.arrays() if isinstance(a, np.memmap)]
        assert mapped, "the restarted index should read its snapshot through memory maps"
        warmup.touch_mapped(mapped)  # the real function reads every page of them without error
        touched = []
        monkeypatch.setattr(warmup, "touch_mapped", lambda arrays: touched.extend(arrays))
        step = dict(warmup._steps(services, search=None, answer=None))["lexical_pages"]
        step()
        assert {id(a) for a in mapped} <= {id(a) for a in touched}  # the step hands it the snapshot's maps
    finally:
        services.close()
