"""Two real OS processes (spawned) write one article at once through their own IngestService, over one real
`chroma run` server and one record: the SQLite file in a shared data dir (several workers on one host), or a
real PostgreSQL (several hosts, each process with its own data dir). The in-process lock of IngestService does
not reach across processes: without the record's writer turn (app/store/write_lock.py, PostgresRecordStore.
writer_turn) a delete racing a re-ingest, or two updates racing, left stored chunks without their vectors
(content-addressed chunk ids: both writes touch the same Chroma ids, and the later vector delete removes what
the other had just committed). Each round ends with both processes idle, and then every chunk the record holds
must have its vector in Chroma."""

from __future__ import annotations

import random
import subprocess
import time
import traceback

import pytest

from tests import postgres_server
from tests.conftest import chroma_binary
from tests.spawned import run_side_by_side
from tests.test_integration import free_port, stop, wait_for

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")]

ROUNDS = 120
_WORDS = ("market city council vote energy price river storm minister court ruling border trade union strike school "
          "hospital budget election harbour bridge railway tariff drought festival museum satellite").split()


def _text(seed: int, sentences: int) -> str:
    r = random.Random(seed)
    return " ".join(" ".join([r.choice(_WORDS).capitalize()] + [r.choice(_WORDS) for _ in range(11)]) + "."
                    for _ in range(sentences))


def _open(settings_kwargs: dict):
    """An IngestService as a server builds it, without the answering side (faster to start)."""
    from app.config import Settings
    from app.embed import make_embedder
    from app.ingest.chunker import Chunker
    from app.ingest.service import IngestService
    from app.store.backends import make_record_store
    from app.store.vector import VectorStore

    settings = Settings(**settings_kwargs)
    embedder = make_embedder(settings)
    records = make_record_store(settings)
    vectors = VectorStore(settings, embedder.name)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name)
    return IngestService(records, vectors, embedder, chunker)


def _version(text: str):
    from app.ingest.article import ArticleIn

    return ArticleIn(id="a1", title="T", source="Desk", published_at="2024-01-02", text=text)


def _ingest(service, text: str) -> None:
    report = service.ingest([_version(text)], workers=0)
    assert not report.counts["failed"], [o.error for o in report.outcomes]


def _missing_vectors(service) -> tuple[int, int]:
    """(chunks the record holds for a1, how many of them have no vector)."""
    ids = service.records.chunk_ids_of("a1")
    return len(ids), len(set(ids) - service.vectors.present(ids))


def _writer(role: str, scenario: str, settings_kwargs: dict, barrier, results) -> None:
    """One process's side of every round: ``barrier`` lines both up before and after the racing writes; the
    "b" side then checks, while both are idle, and sets up the next round."""
    lost: list = []
    try:
        _rounds(role, scenario, _open(settings_kwargs), barrier, lost)
    except BaseException as exc:  # every write must land: a failed one would make a round prove nothing
        barrier.abort()
        lost.append(f"{role}: {type(exc).__name__}: {exc} at {traceback.format_tb(exc.__traceback__)[-1].strip()}")
    finally:
        results.put((role, lost))


def _rounds(role: str, scenario: str, service, barrier, lost: list) -> None:
    base, p_text, q_text = _text(7, 30), _text(8, 30), _text(9, 30)
    if role == "b":
        _ingest(service, f"{base} {p_text}")
    for rnd in range(ROUNDS):
        barrier.wait(60)
        delay = (rnd % 10) * 0.002
        if scenario == "delete-vs-reingest":
            if role == "a":
                time.sleep(delay)
                service.delete("a1")
            else:
                _ingest(service, f"{base} {p_text} Round {rnd} closes the story.")
        else:  # update-vs-update: stored S+P; a writes S+Q, b writes S+P+R (P's chunk ids again)
            if role == "a":
                time.sleep(delay)
                _ingest(service, f"{base} {q_text}")
            else:
                _ingest(service, f"{base} {p_text} Round {rnd} adds a closing line.")
        barrier.wait(60)
        if role == "b":
            stored, missing = _missing_vectors(service)
            if missing:
                lost.append((rnd, stored, missing))
            # the next round starts from the same stored version
            _ingest(service, f"{base} {p_text}")


def _race(scenario: str, settings_a: dict, settings_b: dict) -> list:
    outcome, exitcodes = run_side_by_side(_writer, [("a", scenario, settings_a), ("b", scenario, settings_b)])
    assert all(code == 0 for code in exitcodes), exitcodes
    lost = dict(outcome)
    return lost["a"] + lost["b"]


@pytest.fixture
def chroma_url(tmp_path):
    port = free_port()
    with (tmp_path / "chroma.log").open("w") as log:
        chroma = subprocess.Popen([chroma_binary(), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", chroma)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(chroma)


@pytest.fixture
def postgres_url():
    pg, why = postgres_server.start()
    if pg is None:
        pytest.skip(why)
    try:
        yield pg.url
    finally:
        pg.stop()


@pytest.mark.parametrize("scenario", ["delete-vs-reingest", "update-vs-update"])
def test_two_processes_on_one_sqlite_record_never_leave_chunks_without_vectors(scenario, chroma_url, tmp_path):
    """Two workers on one host: one data dir (the SQLite record), one Chroma server."""
    shared = {"data_dir": tmp_path / "data", "chroma_url": chroma_url}
    lost = _race(scenario, shared, shared)
    assert not lost, f"(round, chunks stored, chunks without a vector): {lost}"


@pytest.mark.parametrize("scenario", ["delete-vs-reingest", "update-vs-update"])
def test_two_hosts_on_one_postgres_record_never_leave_chunks_without_vectors(scenario, chroma_url, postgres_url,
                                                                             tmp_path):
    """Two hosts: their own data dirs, one PostgreSQL record, one Chroma server."""
    lost = _race(scenario, {"data_dir": tmp_path / "a", "chroma_url": chroma_url, "lexical_url": postgres_url},
                 {"data_dir": tmp_path / "b", "chroma_url": chroma_url, "lexical_url": postgres_url})
    assert not lost, f"(round, chunks stored, chunks without a vector): {lost}"


def _post_all(settings_kwargs: dict, barrier, results) -> None:
    """Ingests the same 40 articles as the other process, starting at the same moment; reports its counts."""
    from app.ingest.article import ArticleIn

    try:
        service = _open(settings_kwargs)
        articles = [ArticleIn(id=f"s{i}", title=f"Story {i}", source="Desk", text=_text(100 + i, 12)) for i in range(40)]
        barrier.wait(60)
        results.put(service.ingest(articles, workers=0).counts)
    except BaseException as exc:
        barrier.abort()
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def test_two_processes_posting_the_same_articles_count_them_added_once(chroma_url, tmp_path):
    """Each process compares the stored hashes before it embeds (Pipeline.submit): both found nothing stored
    and both reported every article "added". The write reads them again in the writer turn, so the second
    reports them "unchanged"."""
    shared = {"data_dir": tmp_path / "data", "chroma_url": chroma_url}
    counts, _ = run_side_by_side(_post_all, [(shared,), (shared,)])
    assert sum(c.get("added", 0) for c in counts) == 40 and not any(c.get("failed") for c in counts), counts
