"""PostgreSQL restarted, or its connections terminated, under a running replica."""
from __future__ import annotations

import psycopg

from app.ingest.article import ArticleIn
from app.ingest.check import check
from app.services import build_services
from tests import shared_stores_support as stores
from tests.shared_stores_support import pg_ctl, settings_for

chroma, pg = stores.chroma, stores.pg  # the fixtures: a real PostgreSQL and `chroma run`


def _art(i: int, extra: str = "") -> ArticleIn:
    return ArticleIn(id=f"a{i}", title=f"Title {i}", source="Wire",
                     text=f"The ferry number {i} sailed at dawn. {extra} " * 5)


def test_delete_after_a_restart_between_requests_succeeds(pg, chroma, tmp_path):
    """A read after a restart is retried on a new connection; a delete (its first statement inside a transaction)
    on a thread whose connection the restart dropped failed though the server was back."""
    s = build_services(settings_for(tmp_path, "a", pg.url, chroma.url))
    try:
        s.ingest.ingest([_art(1), _art(2)], workers=0)
        assert s.records.get_article("a1") is not None  # this thread's connection is open
        pg_ctl(pg, "stop")
        pg_ctl(pg, "start")
        assert s.ingest.delete("a1") is True
        assert s.records.get_article("a1") is None
    finally:
        s.close()


def test_terminated_connections_between_requests_then_delete(pg, chroma, tmp_path):
    s = build_services(settings_for(tmp_path, "a", pg.url, chroma.url))
    try:
        s.ingest.ingest([_art(1), _art(2)], workers=0)
        assert s.records.get_article("a1") is not None
        with psycopg.connect(pg.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE pid <> pg_backend_pid() AND datname = current_database()")
        assert s.ingest.delete("a2") is True
        assert check(s.records, s.vectors).mismatches == 0
    finally:
        s.close()
