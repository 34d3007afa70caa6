"""`citewire repair` (app/ingest/repair.py): orphan vectors (a write killed between its Chroma upsert and its
record commit) are deleted, chunks the record holds without a vector get one again, and a repair running
beside a writer never deletes the vectors of a write in flight."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.ingest.article import ArticleIn


def _articles() -> list[ArticleIn]:
    return [ArticleIn(id=f"story-{i}", title=f"Harbour report {i}", source="Coast Herald", published_at="2024-05-02",
                      text=" ".join(f"Paragraph {j} of report {i}: the harbour bridge closed for repairs after the "
                                    f"storm, and the ferry ran every {i + j} minutes instead." for j in range(30)))
            for i in range(4)]


def _all_vector_ids(vectors) -> set[str]:
    return {i for page in vectors.id_pages(100) for i in page}


def _all_chunk_ids(records) -> set[str]:
    return {chunk_id for _, chunk_id in records.chunk_ids_after(0, 10**6)}


def _citewire(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CITEWIRE_DATA_DIR": str(data_dir)})


def test_repair_deletes_orphans_and_restores_missing_vectors(settings):
    """Before: ghosts (copies of real vectors under ids the record lacks, as a killed write leaves them) take
    the top places of a dense query, and 5 stored chunks have no vector. After: Chroma holds exactly the
    record's chunks, and each restored vector is its chunk's own (its text's embedding finds it first)."""
    from app.services import build_services

    services = build_services(settings)
    try:
        assert services.ingest.ingest(_articles(), workers=0).counts["added"] == 4
        chunks = sorted(_all_chunk_ids(services.records))
        texts = {c.id: c.text for c in services.records.chunks_by_id(chunks).values()}
        embed = services.embedder.embed
        victim = chunks[:5]
        ghosts = [f"story-0:{90 + k}:ghost{k:07d}" for k in range(8)]
        ghost_vectors = embed([f"Harbour report 0\n{texts[victim[0]]}"] * len(ghosts))
        services.vectors.upsert(ghosts, ghost_vectors, [{"article_id": "story-0", "chunk_index": 90 + k, "source": "x",
                                                         "published_ts": 0, "title": "", "char_start": 0,
                                                         "char_end": 0} for k in range(len(ghosts))])
        services.vectors.delete(victim)
        top = [cid for cid, _ in services.vectors.query(ghost_vectors[0], 8)]
        assert set(top) == set(ghosts)  # the orphans crowd a dense query out of the record's chunks
    finally:
        services.close()

    run = _citewire(settings.data_dir, "repair")
    assert run.returncode == 0, run.stderr
    expected = f"checked {len(chunks) - 5 + len(ghosts)} vectors and {len(chunks)} chunks: deleted {len(ghosts)} " \
               f"orphan vectors, re-embedded 5 missing"
    assert run.stdout.strip() == expected, run.stdout + run.stderr

    services = build_services(settings)
    try:
        assert _all_vector_ids(services.vectors) == set(chunks)
        for chunk_id in victim:
            title = "Harbour report " + chunk_id.split(":")[0].split("-")[1]
            (best, similarity), *_ = services.vectors.query(embed([f"{title}\n{texts[chunk_id]}"])[0], 1)
            assert best == chunk_id and similarity > 0.999
    finally:
        services.close()
    again = _citewire(settings.data_dir, "repair", "--dry-run")
    assert again.returncode == 0 and "would delete 0 orphan vectors, would re-embed 0 missing" in again.stdout, again


def test_repair_with_an_unreachable_chroma_server_is_one_line_and_exit_1(tmp_path):
    from tests.test_integration import free_port

    run = subprocess.run([sys.executable, "-m", "app.cli", "repair"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"),
                              "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{free_port()}"})
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in run.stderr, run.stderr


def _waiting_on(lock_file: Path) -> bool:
    """Whether a thread of this process waits for ``lock_file``'s flock: /proc/locks lists a blocked request
    with '->', then its pid and device:inode (Linux)."""
    inode = f":{lock_file.stat().st_ino} "
    return any(line.split()[1] == "->" and f" {os.getpid()} " in line and inode in line
               for line in Path("/proc/locks").read_text().splitlines())


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="sees the waiting repair through /proc/locks (Linux)")
def test_repair_beside_a_write_in_flight_keeps_its_vectors(services):
    """A writer holds its turn and has upserted the vectors of a new article, not yet committed: to a sweep
    those are orphans. The repair lists them, waits for the turn, asks the record again and keeps them."""
    from app.ingest.repair import repair
    from app.ingest.service import vector_metadata
    from app.store.models import StoredArticle, StoredChunk
    from app.store.write_lock import write_lock_path

    services.ingest.ingest(_articles()[:1], workers=0)
    chunk = StoredChunk("late-1:0:000000000000", "late-1", 0, 0, 20, "The ferry resumed on Monday.")
    vector = services.embedder.embed([f"Late\n{chunk.text}"])
    outcome: dict = {}
    with services.records.writer_turn():
        services.vectors.upsert([chunk.id], vector, [vector_metadata(chunk, "Desk", 0)])
        worker = threading.Thread(target=lambda: outcome.update(report=repair(services.records, services.vectors,
                                                                                 services.embedder)))
        worker.start()
        deadline = time.monotonic() + 120
        while not _waiting_on(write_lock_path(services.settings.records_path)):  # the repair has listed the vector as an orphan and waits for its turn
            assert worker.is_alive() and time.monotonic() < deadline, "the repair never waited for the writer's turn"
            time.sleep(0.05)
        with services.records.transaction():
            services.records.put_article(StoredArticle("late-1", "Late", "Desk", "", None, None, chunk.text, "h", "now"),
                                         [chunk], "Late\n")
    worker.join(120)
    assert outcome["report"].orphans == 0
    assert services.vectors.present([chunk.id]) == {chunk.id}


def test_repair_dry_run_on_a_missing_collection_creates_nothing_and_says_so(tmp_path):
    """`repair --dry-run` opened the store with get-or-create: looking made an empty collection, and the dry run
    then reported it as if every vector had merely gone missing. Now it looks only; the real repair makes it."""
    import chromadb

    from app.config import Settings
    from app.services import build_services

    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    services = build_services(settings)
    try:
        services.ingest.ingest(_articles()[:2], workers=0)
        chunks = len(_all_chunk_ids(services.records))
        services.vectors._client.delete_collection(settings.collection)
    finally:
        services.close()

    def collections() -> list[str]:
        client = chromadb.PersistentClient(path=str(settings.chroma_dir))
        try:
            return [c.name for c in client.list_collections()]
        finally:
            client.close()

    looked = _citewire(data_dir, "repair", "--dry-run")
    assert looked.returncode == 0, looked.stderr
    assert f"would re-embed {chunks} missing" in looked.stdout and "is missing: repair makes it" in looked.stdout
    assert settings.collection not in collections()
    repaired = _citewire(data_dir, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert f"re-embedded {chunks} missing" in repaired.stdout and "is missing" not in repaired.stdout
    assert settings.collection in collections()

    import shutil

    shutil.rmtree(settings.chroma_dir)  # the whole embedded store gone: looking must not make a new one either
    looked = _citewire(data_dir, "repair", "--dry-run")
    assert looked.returncode == 0 and f"would re-embed {chunks} missing" in looked.stdout, looked.stderr
    assert not (settings.chroma_dir / "chroma.sqlite3").exists()
