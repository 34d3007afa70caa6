"""The record store keeps one connection per thread (app/store/records.py ``_conn``). Every ingest writes on
threads of its own (app/ingest/pipeline.py), and the connection each of them opened stayed open until the
store closed: one more SQLite file descriptor per POST /v1/articles, and on PostgreSQL one more server
connection, until the server's max_connections (100 by default) refused every replica ("sorry, too many clients
already", seen while two processes raced 240 ingests, tests/test_write_turns_across_processes.py). Connections
of threads that have ended are now closed as new ones open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import postgres_server

INGESTS = 25


def _ingest_one_at_a_time(services) -> None:
    from app.ingest.article import ArticleIn

    for i in range(INGESTS):
        report = services.ingest.ingest([ArticleIn(id="a1", title="T", source="Desk",
                                                   text=f"Version {i} of the story about the harbour bridge.")],
                                        workers=0)
        assert report.counts["updated" if i else "added"] == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc (Linux)")
def test_sqlite_connections_of_ended_ingest_threads_are_closed(services):
    path = str(services.settings.records_path.resolve())

    def open_record_files() -> int:
        return sum(1 for fd in os.listdir("/proc/self/fd") if _target(fd) == path)

    _ingest_one_at_a_time(services)
    assert open_record_files() <= 4, f"{open_record_files()} descriptors of {path} after {INGESTS} ingests"


def _target(fd: str) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def test_postgres_connections_of_ended_ingest_threads_are_closed(tmp_path):
    from app.config import Settings
    from app.services import build_services

    pg, why = postgres_server.start()
    if pg is None:
        pytest.skip(why)
    try:
        services = build_services(Settings(data_dir=tmp_path / "data", lexical_url=pg.url))
        try:
            _ingest_one_at_a_time(services)
            import psycopg

            with psycopg.connect(pg.url) as probe:
                (held,) = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'citewire'"
                                        " AND pid <> pg_backend_pid()").fetchone()
            assert held <= 4, f"{held} server connections after {INGESTS} ingests"
        finally:
            services.close()
    finally:
        pg.stop()
