"""A full disk (and the other store failures app/store/failures.py names) met by the CLI and the API: one line with a
non-zero exit, a 503 with a message, never a traceback or a 500; the record's transaction is rolled back whole, and
an ingest stops at the first batch it could not write, with what was stored before it consistent."""

from __future__ import annotations

import errno
import re
import sqlite3

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.ingest.article import ArticleIn
from app.store.failures import SchemaTooNew, disk_full, store_failure
from tests.fakes import ChromaDownVectorStore, NoSpaceVectorStore, disk_full_record_store

runner = CliRunner()


def _articles(n: int, start: int = 0) -> list[ArticleIn]:
    return [ArticleIn(id=f"story-{i}", title=f"Harbour report {i}", source="Coast Herald", published_at="2024-05-02",
                      text=f"The harbour of town {i} reopened on Monday. Officials said {i} ships docked at dawn.")
            for i in range(start, start + n)]


def _rows(path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("articles", "chunks", "chunk_terms", "chunk_tombstones")}


@pytest.fixture
def full_services(settings, monkeypatch):
    """Services whose record sits on a disk that fills up on demand (tests/fakes.DiskFullRecordStore)."""
    import app.services
    from app.services import build_services

    monkeypatch.setattr(app.services, "make_record_store", lambda s: disk_full_record_store(s.records_path))
    built = build_services(settings)
    yield built
    built.close()


def test_the_failures_are_read_from_sqlite_the_os_and_chroma_and_nothing_else_is_one():
    full = sqlite3.OperationalError("database or disk is full")
    assert disk_full(full) and store_failure(full).status == 503 and "disk is full" in store_failure(full).detail
    nospace = OSError(errno.ENOSPC, "No space left on device", "/data/chroma/x.bin")
    assert "No space left on device: /data/chroma/x.bin" in store_failure(nospace).message()
    from chromadb.errors import InternalError

    try:  # Chroma's Rust core passes SQLite's words on inside its own error
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.Error as inner:
            raise InternalError("Error executing plan: database or disk is full") from inner
    except InternalError as wrapped:
        assert store_failure(wrapped).kind == "disk full"
    assert store_failure(sqlite3.OperationalError("attempt to write a readonly database")).kind == "read-only"
    assert store_failure(SchemaTooNew("/d/records.sqlite", 2, 1)).status == 503
    for bug in (ValueError("x"), sqlite3.OperationalError("no such table: articles"), KeyError("full")):
        assert store_failure(bug) is None  # a bug keeps its traceback


def test_a_delete_on_a_full_disk_is_rolled_back_whole(full_services):
    services = full_services
    assert services.ingest.ingest(_articles(2), workers=0).counts["added"] == 2
    path = services.settings.records_path
    before = _rows(path)
    vectors = services.vectors.count()
    services.records.fill_after(2)  # the tombstones and the postings' delete land, then the chunks' delete fails
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        services.ingest.delete("story-0")
    assert _rows(path) == before and services.vectors.count() == vectors  # rolled back, vectors untouched
    services.records.free_space()
    assert services.ingest.delete("story-0") and services.records.count() == (1, 1)


def test_an_ingest_stops_at_the_first_batch_a_full_disk_refuses(full_services):
    """With stop_on_failure (the CLI's), the batch that met the full disk is rolled back (record and vectors), and
    no later batch is tried; the two batches before it are whole."""
    from app.ingest.service import IngestStopped

    services = full_services
    records = services.records
    writes = []
    real_put = type(records).put_article

    def counting_put(self, article, chunks, prefix, terms=None):
        writes.append(article.id)
        if len(writes) == 5:  # the third batch's first article: its article row lands, then the disk is full
            self.fill_after(1)
        return real_put(self, article, chunks, prefix, terms)

    type(records).put_article = counting_put
    outcomes = []
    with pytest.raises(IngestStopped) as stopped:
        services.ingest.ingest(_articles(10), batch_articles=2, workers=0, on_progress=outcomes.append,
                               stop_on_failure=True)
    assert "a batch of 2 articles could not be stored: the store's disk is full" in str(stopped.value)
    assert writes == [f"story-{i}" for i in range(5)]  # nothing after the failed batch was tried
    records.free_space()
    assert [o.status for o in outcomes] == ["added"] * 4
    assert records.count() == (4, 4) and services.vectors.count() == 4  # the failed batch left no vector behind
    assert _rows(services.settings.records_path)["chunk_terms"] == 4


@pytest.mark.parametrize("fake, said", [
    (NoSpaceVectorStore, "the store's disk is full (No space left on device: chroma/data_level0.bin): the write was "
                         "rolled back, nothing of it was stored; free some space (or raise the quota), then retry"),
    (ChromaDownVectorStore, "cannot reach the vector store (Chroma server): ConnectError: [Errno 111] Connection "
                            "refused"),
])
def test_citewire_ingest_on_a_full_disk_or_a_store_down_is_one_line_and_the_store_stays_consistent(
        tmp_path, monkeypatch, fake, said):
    import json

    import app.services

    data_dir = tmp_path / "data"
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(data_dir))
    made = []

    def full_vectors_after_one_batch(build):
        def build_services(*args, **kwargs):
            services = build(*args, **kwargs)
            services.ingest.vectors = fake(services.ingest.vectors)
            services.ingest.vectors.fill_after(1)  # the first batch lands, the second meets ENOSPC
            made.append(services)
            return services
        return build_services

    monkeypatch.setattr(app.services, "build_services", full_vectors_after_one_batch(app.services.build_services))
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a.model_dump()) + "\n" for a in _articles(9)))
    result = runner.invoke(cli, ["ingest", "-q", "--batch", "3", str(feed)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: stopped: a batch of 3 articles could not be stored: {said}: added 3, updated 0, "
                     "unchanged 0, failed 0 before the stop; those are stored whole, nothing after them was written; "
                     "run the same command again to finish (stored articles are skipped as unchanged)"], result.stderr
    assert len(made) == 1 and made[0].ingest.vectors.calls == 2  # the third batch was never tried
    monkeypatch.undo()
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(data_dir))
    checked = runner.invoke(cli, ["check"])
    assert checked.exit_code == 0 and "consistent" in checked.stdout, checked.output
    assert re.search(r"^articles in the record +3$", checked.stdout, re.M), checked.stdout
    assert re.search(r"^vectors in Chroma +3$", checked.stdout, re.M), checked.stdout
    again = runner.invoke(cli, ["ingest", "-q", str(feed)])
    assert again.exit_code == 0 and "added 6, updated 0, unchanged 3, failed 0" in again.stdout, again.output


def test_citewire_delete_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    import app.services

    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    monkeypatch.setattr(app.services, "make_record_store", lambda s: disk_full_record_store(s.records_path))
    real = app.services.build_services

    def full(*args, **kwargs):
        services = real(*args, **kwargs)
        services.records.fill_after(0)
        return services

    monkeypatch.setattr(app.services, "build_services", full)
    result = runner.invoke(cli, ["delete", "kim-putin-vostochny-2023"])
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert result.stderr.startswith("error: cannot delete kim-putin-vostochny-2023: the store's disk is full "
                                    "(database or disk is full)"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    monkeypatch.undo()
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert "kim-putin-vostochny-2023" in runner.invoke(cli, ["list"]).stdout  # still whole


def test_the_api_answers_a_full_disk_with_a_503_not_a_500(full_services):
    from app.main import create_app

    services = full_services
    app = create_app(services.settings.model_copy(update={"warmup": False}), services=services)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/articles", json=[a.model_dump() for a in _articles(2)]).status_code == 201
        services.records.fill_after(0)
        gone = client.delete("/v1/articles/story-0")
        assert gone.status_code == 503 and gone.headers["retry-after"] == "5", gone.text
        assert gone.json()["error"] == "dependency unavailable"
        assert gone.json()["detail"].startswith("the store's disk is full (database or disk is full)")
        added = client.post("/v1/articles", json=[a.model_dump() for a in _articles(2, start=5)])
        assert added.status_code == 503, added.text
        assert all("database or disk is full" in r["error"] for r in added.json()["detail"])
        services.records.free_space()
        assert client.get("/v1/articles/story-0").status_code == 200  # the delete was rolled back
        assert client.delete("/v1/articles/story-0").status_code == 200


def test_an_ingest_stops_at_the_first_batch_an_embeddings_endpoint_that_is_down_refuses(services, monkeypatch):
    from app.dependency_errors import EmbeddingEndpointError
    from app.ingest.service import IngestStopped

    calls = []
    real = services.embedder.embed

    def down_after_one_batch(texts):
        calls.append(len(texts))
        if len(calls) > 1:
            raise EmbeddingEndpointError("http://embed.internal/v1", "Connection refused")
        return real(texts)

    monkeypatch.setattr(services.embedder, "embed", down_after_one_batch)  # the embedder is shared: put back after
    with pytest.raises(IngestStopped, match="the embeddings endpoint http://embed.internal/v1 is unreachable"):
        services.ingest.ingest(_articles(8), batch_articles=2, workers=0, stop_on_failure=True)
    # the embedding stage runs a batch ahead of the writes: at most one more call, never the fourth batch
    assert len(calls) <= 3 and services.records.count() == (2, 2) and services.vectors.count() == 2
    # without stop_on_failure (an API request): each batch's articles are reported failed, and the ingest goes on
    calls.clear()
    report = services.ingest.ingest(_articles(6, start=10), batch_articles=2, workers=0)
    assert report.counts["failed"] == 4 and len(calls) == 3


def test_citewire_samples_on_a_full_disk_is_one_line_and_exit_1(tmp_path, monkeypatch):
    """It printed "added 0, updated 0, unchanged 0, failed 8" and exited 0."""
    import app.services

    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(app.services, "make_record_store", lambda s: disk_full_record_store(s.records_path))
    real = app.services.build_services

    def full(*args, **kwargs):
        services = real(*args, **kwargs)
        services.records.fill_after(0)
        return services

    monkeypatch.setattr(app.services, "build_services", full)
    result = runner.invoke(cli, ["samples"])
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert result.stderr.startswith("error: samples: a batch of 8 articles could not be stored: the store's disk is "
                                    "full (database or disk is full)"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_citewire_delete_whose_vector_delete_fails_warns_in_one_line_and_check_repairs(tmp_path, monkeypatch):
    """The record's removal commits first; Chroma's delete failing after it (full disk) leaves orphans, said in one
    warning line naming the fix (it was a warning with a traceback), and `check --repair` removes them."""
    import app.services

    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    real = app.services.build_services

    def full_vectors(*args, **kwargs):
        services = real(*args, **kwargs)

        def no_space(ids):
            raise OSError(errno.ENOSPC, "No space left on device", "chroma/chroma.sqlite3")

        services.ingest.vectors = NoSpaceVectorStore(services.ingest.vectors)
        services.ingest.vectors.delete = no_space
        return services

    monkeypatch.setattr(app.services, "build_services", full_vectors)
    import logging

    handler = logging.StreamHandler(stream := __import__("io").StringIO())
    logging.getLogger("app.ingest.service").addHandler(handler)
    try:
        result = runner.invoke(cli, ["delete", "kim-putin-vostochny-2023"])
    finally:
        logging.getLogger("app.ingest.service").removeHandler(handler)
    assert result.exit_code == 0 and result.stdout == "deleted kim-putin-vostochny-2023\n", result.output
    warned = stream.getvalue()
    assert warned.count("\n") == 1 and "Traceback" not in warned and "rolled back" not in warned, warned
    assert "could not delete the vectors of kim-putin-vostochny-2023: the store's disk is full (No space left on " \
           "device: chroma/chroma.sqlite3)" in warned and "`citewire check --repair`" in warned, warned
    monkeypatch.undo()
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["check"]).exit_code == 1
    assert runner.invoke(cli, ["check", "--repair"]).exit_code == 0
    assert runner.invoke(cli, ["check"]).exit_code == 0
