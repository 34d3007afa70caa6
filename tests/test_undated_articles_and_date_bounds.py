"""An undated article is outside any date bound the request gives (published_from or published_to), whichever
retriever finds it, and inside when only as_of (or nothing) limits the dates: it is not known to lie inside a
bound, and must not vanish from every question either. The web page's date filter hides it the same way."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

UNDATED = {"id": "undated-walrus", "title": "Walrus", "source": "Test Wire",
           "text": "A walrus named Freya sank a small boat in Oslo harbour."}
DATED = {**UNDATED, "id": "dated-walrus", "published_at": "2024-03-01",
         "text": "A walrus named Freya sank a second small boat in Oslo harbour."}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("undated") / "data"))
    with TestClient(app) as test_client:
        assert test_client.post("/v1/articles", json=[UNDATED, DATED]).status_code == 201
        yield test_client


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
@pytest.mark.parametrize("filters, as_of, undated_found", [
    (None, None, True),
    (None, "2024-06-01", True),  # as_of alone keeps undated articles
    ({"published_to": "2030-01-01"}, None, False),
    ({"published_from": "2000-01-01"}, None, False),
    ({"published_from": "2000-01-01", "published_to": "2030-01-01"}, "2024-06-01", False),
    ({"sources": ["Test Wire"]}, None, True),
])
def test_undated_articles_and_date_bounds(client, mode, filters, as_of, undated_found):
    body = {"query": "walrus Freya Oslo", "mode": mode, "top_k": 10}
    if filters:
        body["filters"] = filters
    if as_of:
        body["as_of"] = as_of
    found = {r["article_id"] for r in client.post("/v1/search", json=body).json()["results"]}
    assert "dated-walrus" in found  # the bounds themselves still hold the dated one
    assert ("undated-walrus" in found) is undated_found


def test_a_topic_summary_with_a_date_bound_leaves_undated_articles_out(client):
    summary = client.post("/v1/summarize", json={"topic": "walrus Freya", "filters": {"published_to": "2030-01-01"}})
    assert summary.status_code == 200, summary.text
    assert summary.json()["article_ids"] == ["dated-walrus"]


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_as_of_before_1970_hides_dated_articles_but_not_undated_ones(client, mode):
    # undated articles are stored as 0 seconds since the epoch: a bound below 0 must not drop them
    body = {"query": "walrus Freya Oslo", "mode": mode, "top_k": 10, "as_of": "1960-01-01"}
    found = {r["article_id"] for r in client.post("/v1/search", json=body).json()["results"]}
    assert found == {"undated-walrus"}


def test_chroma_where_and_the_python_filter_agree(tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from app.store.models import Filters
    from app.store.vector import _matches, chroma_where

    collection = chromadb.PersistentClient(str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)) \
        .get_or_create_collection("bounds", embedding_function=None)
    stamps = {"pre-1970": -86_400 * 400, "undated": 0, "y2000": 946_684_800, "y2024": 1_709_251_200}
    metas = [{"article_id": k, "source": "S", "published_ts": v} for k, v in stamps.items()]
    collection.add(ids=list(stamps), embeddings=[[1.0, 0.0]] * len(stamps), metadatas=metas)
    cases = [Filters(published_to_ts=-86_400, undated=True),  # as_of before 1970
             Filters(published_from_ts=1, published_to_ts=1_000_000_000, undated=True),
             Filters(published_from_ts=1, published_to_ts=1_000_000_000),  # a request's own bounds
             Filters(published_to_ts=-86_400), Filters(published_from_ts=-10**10), Filters(sources=["S"])]
    for filters in cases:
        in_chroma = set(collection.get(where=chroma_where(filters))["ids"])
        in_python = {m["article_id"] for m in metas if _matches(m, filters)}
        assert in_chroma == in_python, filters
        assert ("undated" in in_chroma) is filters.undated_pass
