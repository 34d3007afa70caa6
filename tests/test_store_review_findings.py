"""Review of the cross-process writer turn, record connections, repair and ingest ordering (review-store branch).

Each test is a bug found in review, reproduced on real stores (a real PostgreSQL from tests/postgres_server, the
embedded Chroma and SQLite record of the ``services`` fixture)."""

from __future__ import annotations

import threading
import time

import pytest

from app.ingest.article import ArticleIn
from tests import postgres_server


@pytest.fixture
def pg():
    yield from postgres_server.running()


@pytest.fixture
def pg_services(pg, tmp_path):
    from app.config import Settings
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path / "data", lexical_url=pg.url))
    yield built
    built.close()


def _article(version: int) -> ArticleIn:
    return ArticleIn(id="a1", title="Harbour", source="Desk", published_at="2024-01-02",
                     text=f"Version {version} of the story: the harbour bridge closed after the storm.")


def _probe(pg):
    import psycopg

    conn = psycopg.connect(pg.url, autocommit=True)
    conn.execute("SET lock_timeout = 0")  # the probe itself never gives up (a role setting below would apply)
    return conn


def _turn_backends(probe) -> list[int]:
    """Server pids of the sessions that took or gave back the writer turn (PostgresRecordStore's turn connection)."""
    rows = probe.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_advisory_%lock(%'"
                         " AND pid <> pg_backend_pid()").fetchall()
    return [pid for (pid,) in rows]


def test_postgres_a_turn_connection_the_server_ended_while_idle_does_not_fail_the_next_write(pg, pg_services):
    """The turn's connection sits idle between writes, and the server may end it meanwhile: idle_session_timeout,
    a restart or failover, a firewall/NAT dropping an idle TCP flow, pg_terminate_backend. The next write's
    ``pg_advisory_lock`` then failed on the dead connection and the whole batch was reported "store write
    failed" (a DELETE: a 500), although nothing held the turn: a failure to *take* the lock is always safe to
    retry on a fresh connection."""
    assert pg_services.ingest.ingest([_article(1)], workers=0).counts["added"] == 1
    with _probe(pg) as probe:
        [pid] = _turn_backends(probe)
        assert probe.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        while probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            time.sleep(0.01)  # until the server has ended that session
    report = pg_services.ingest.ingest([_article(2)], workers=0)
    assert report.counts == {"added": 0, "updated": 1, "unchanged": 0, "failed": 0}, [o.error for o in report.outcomes]
    with _probe(pg) as probe:
        [pid] = _turn_backends(probe)
        probe.execute("SELECT pg_terminate_backend(%s)", (pid,))
        while probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            time.sleep(0.01)
    assert pg_services.ingest.delete("a1") is True


def test_postgres_a_write_waiting_for_the_turn_is_not_ended_by_the_servers_lock_timeout(pg, pg_services):
    """``lock_timeout`` (or ``statement_timeout``) set for the role or database (common on shared servers: they
    bound DDL pile-ups and runaway queries) also bounds ``pg_advisory_lock``. A write that waited longer than
    that for another host's turn was reported "store write failed" instead of taking its turn. The wait for
    the turn is meant to be as unbounded as the flock's on SQLite: the turn's own connection must not inherit
    the timeouts."""
    from app.store.postgres import PostgresRecordStore

    with _probe(pg) as probe:
        probe.execute("ALTER ROLE citewire SET lock_timeout = '20ms'")  # new sessions: the services' too
    other_host = PostgresRecordStore(pg.url)
    result: dict = {}
    try:
        with other_host.writer_turn():
            writer = threading.Thread(target=lambda: result.update(
                report=pg_services.ingest.ingest([_article(1)], workers=0)))
            writer.start()
            with _probe(pg) as probe:  # hold the turn until the write waits for it (or has already given up)
                while writer.is_alive() and not probe.execute(
                        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone():
                    time.sleep(0.01)
                probe.execute("SELECT pg_sleep(0.2)")  # ten times the timeouts: a write that honours them fails
            writer_was_waiting = writer.is_alive()
        writer.join(120)
    finally:
        other_host.close()
    report = result["report"]
    assert report.counts["added"] == 1, [o.error for o in report.outcomes]
    assert writer_was_waiting


def _end_turn_session(pg) -> None:
    """Ends the session holding the writer turn, as a server restart, failover, network blip or
    pg_terminate_backend does, and waits until the server has freed its lock."""
    with _probe(pg) as probe:
        [pid] = [p for (p,) in probe.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                                             " AND objid = %s", (_TURN_LOCK,)).fetchall()]
        probe.execute("SELECT pg_terminate_backend(%s)", (pid,))
        while probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            time.sleep(0.01)


_TURN_LOCK = 0x43697477  # app/store/postgres.py's turn lock: its low 32 bits are pg_locks.objid


class _OtherHostFirst:
    """Host A's VectorStore: before A's first vector delete, ``meanwhile`` (host B's write) runs."""

    def __init__(self, real, meanwhile) -> None:
        self._real, self._meanwhile, self.ran = real, meanwhile, False

    def __getattr__(self, name):
        return getattr(self._real, name)

    def delete(self, ids):
        if ids and not self.ran:
            self.ran = True
            self._meanwhile()
        return self._real.delete(ids)


def test_postgres_a_delete_that_lost_its_turn_midway_never_deletes_vectors_another_host_committed(pg, pg_services,
                                                                                                tmp_path, monkeypatch):
    """Host A deletes a1: its record removal commits, then the server ends A's turn session (restart, failover,
    network blip, pg_terminate_backend) and frees the lock; host B re-ingests a1 (same text: the same chunk ids)
    and commits; A, unaware, deleted those ids' vectors, and B's stored chunks had none (only A's unlock noticed,
    and logged). A now asks whether its turn still holds before a vector delete, and leaves orphans when not."""
    from app.ingest.service import IngestService
    from app.store.postgres import PostgresRecordStore

    host_b_records = PostgresRecordStore(pg.url, snapshot_dir=tmp_path / "b-lexical")
    host_b = IngestService(host_b_records, pg_services.vectors, pg_services.embedder, pg_services.ingest.chunker)
    try:
        assert pg_services.ingest.ingest([_article(1)], workers=0).counts["added"] == 1
        reingest: dict = {}
        proxy = _OtherHostFirst(pg_services.vectors,
                                lambda: reingest.update(report=host_b.ingest([_article(1)], workers=0)))
        monkeypatch.setattr(pg_services.ingest, "vectors", proxy)
        remove_article = pg_services.records.remove_article

        def remove_then_lose_the_turn(article_id):
            removed = remove_article(article_id)
            _end_turn_session(pg)  # A's turn is gone before A's commit; A does not know yet
            return removed

        monkeypatch.setattr(pg_services.records, "remove_article", remove_then_lose_the_turn)
        assert pg_services.ingest.delete("a1") is True  # host A
        if not proxy.ran:  # A left its vectors alone: B's write comes after it
            reingest["report"] = host_b.ingest([_article(1)], workers=0)
        assert reingest["report"].counts["added"] == 1
        held = pg_services.records.chunk_ids_of("a1")
        assert held and set(held) <= pg_services.vectors.present(held), "chunks the record holds lost their vectors"
    finally:
        host_b_records.close()


def test_repair_never_holds_more_than_a_page_of_missing_ids(services, monkeypatch):
    """``repair`` listed every missing chunk id before restoring any: with Chroma lost (or restored from an older
    backup) that is every chunk of the record in one list, gigabytes at millions of chunks. It now restores a
    page at a time, and still restores them all."""
    from app.ingest import repair as repair_module

    articles = [ArticleIn(id=f"r{i}", title=f"Report {i}", source="Desk",
                          text=" ".join(f"Paragraph {j} of report {i} says the ferry ran every {i + j} minutes after "
                                        f"the harbour bridge closed for repairs." for j in range(40)))
                for i in range(3)]
    services.ingest.ingest(articles, workers=0)
    chunk_ids = [chunk_id for _, chunk_id in services.records.chunk_ids_after(0, 10**6)]
    assert len(chunk_ids) > 12
    services.vectors.delete(chunk_ids)
    sizes: list[int] = []
    real = repair_module.restore_missing

    def spy(records, vectors, embedder, missing, *args, **kwargs):
        sizes.append(len(missing))
        return real(records, vectors, embedder, missing, *args, **kwargs)

    monkeypatch.setattr(repair_module, "restore_missing", spy)
    report = repair_module.repair(services.records, services.vectors, services.embedder, page=4)
    assert report.missing == len(chunk_ids) and services.vectors.present(chunk_ids) == set(chunk_ids)
    assert max(sizes) <= 4, sizes
