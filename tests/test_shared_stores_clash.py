"""Two deployments on one Chroma server with the same CITEWIRE_COLLECTION: each read the other's vectors as orphans,
and `repair` run by one deleted the other's. A collection is now tied to its record and another record is refused
(found by a bug hunt, 2026-11-29)."""
from __future__ import annotations

import pytest

from app.ingest.article import ArticleIn
from app.services import build_services
from app.store.vector import RecordMismatch
from tests import postgres_server
from tests import shared_stores_support as stores
from tests.shared_stores_support import settings_for

chroma, pg = stores.chroma, stores.pg  # the fixtures: a real PostgreSQL and `chroma run`


def _art(i: int) -> ArticleIn:
    return ArticleIn(id=f"s{i}", title=f"Lighthouse {i}", source="Wire",
                     text=f"The lighthouse keeper number {i} retired after many years at sea. " * 3)


def test_a_second_record_on_the_same_collection_is_refused_or_kept_apart(pg, chroma, tmp_path):
    """Deployment A (its own PostgreSQL database) and deployment B (another database, same Chroma server, default
    collection name): `citewire repair` on B deletes every vector of A as an orphan, and A's dense search finds
    nothing afterwards. Opening B on A's collection should be refused (as another embedder is), or kept apart."""
    url_b = postgres_server.new_database(pg)
    a = build_services(settings_for(tmp_path, "a", pg.url, chroma.url))
    a.ingest.ingest([_art(i) for i in range(5)], workers=0)
    assert a.vectors.count() == 5
    try:
        with pytest.raises(RecordMismatch, match="holds the vectors of another record"):
            build_services(settings_for(tmp_path, "b", url_b, chroma.url))
        assert a.vectors.count() == 5
        assert a.retrieval.search("lighthouse keeper retired", mode="dense")
        reopened = build_services(settings_for(tmp_path, "a2", pg.url, chroma.url))  # A's own record: opens
        reopened.close()
    finally:
        a.close()


def test_sqlite_deployment_and_postgres_deployment_on_one_collection(pg, chroma, tmp_path):
    """The single-host `app` (SQLite record) and a replica (PostgreSQL record) pointed at one Chroma server with the
    same CITEWIRE_COLLECTION."""
    from app.config import Settings

    single = build_services(Settings(data_dir=tmp_path / "single", chroma_url=chroma.url, answer_model="heuristic"))
    single.ingest.ingest([_art(i) for i in range(3)], workers=0)
    try:
        with pytest.raises(RecordMismatch):
            build_services(settings_for(tmp_path, "shared", pg.url, chroma.url))
        assert single.vectors.count() == 3
    finally:
        single.close()
