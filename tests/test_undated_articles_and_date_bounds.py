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
