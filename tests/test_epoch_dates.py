"""The epoch instant (0 seconds) is a date like any other. A date bound or as_of at it was dropped by
``filter(None, …)`` in RetrievalService.candidates: as_of 1970-01-01T01:00:00+01:00 (midnight UTC given with an
offset, so read as an instant) crashed ask/search (min() of nothing), and a published_to at that instant was ignored
(every dated article passed). An article dated 1970-01-01 was stored with the stores' undated mark (0): outside
every date range, visible under any as_of."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

DATED = {"id": "dated-walrus", "title": "Walrus", "source": "Test Wire", "published_at": "2024-03-01",
         "text": "A walrus named Freya sank a small boat in Oslo harbour."}
UNDATED = {**DATED, "id": "undated-walrus", "published_at": None,
           "text": "A walrus named Freya sank a second small boat in Oslo harbour."}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("epoch") / "data"))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        assert test_client.post("/v1/articles", json=[DATED, UNDATED]).status_code == 201
        yield test_client


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_as_of_the_epoch_instant_searches_like_any_earlier_as_of(client, mode):
    body = {"query": "walrus Freya Oslo", "mode": mode, "top_k": 10}
    before = client.post("/v1/search", json=body | {"as_of": "1969-12-31T23:59:00Z"})
    assert {r["article_id"] for r in before.json()["results"]} == {"undated-walrus"}
    at = client.post("/v1/search", json=body | {"as_of": "1970-01-01T01:00:00+01:00"})
    assert at.status_code == 200, at.text  # 422 "min() arg is an empty sequence"
    assert {r["article_id"] for r in at.json()["results"]} == {"undated-walrus"}


def test_ask_as_of_the_epoch_instant_is_not_a_500(client):
    response = client.post("/v1/ask", json={"question": "What did the walrus Freya sink?",
                                            "as_of": "1970-01-01T01:00:00+01:00"})
    assert response.status_code == 200, response.text
    assert all(c["article_id"] != "dated-walrus" for c in response.json()["citations"])


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_published_to_the_epoch_instant_leaves_2024_articles_out(client, mode):
    body = {"query": "walrus Freya Oslo", "mode": mode, "top_k": 10,
            "filters": {"published_to": "1970-01-01T01:00:00+01:00"}}
    found = {r["article_id"] for r in client.post("/v1/search", json=body).json()["results"]}
    assert "dated-walrus" not in found  # published 2024-03-01, after the bound


EPOCH_DAY = {"id": "epoch-walrus", "title": "Walrus", "source": "Test Wire", "published_at": "1970-01-01",
             "text": "A walrus named Odin sank a rowing boat in Bergen harbour."}


@pytest.fixture(scope="module")
def epoch_client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("epoch-day") / "data"))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        assert test_client.post("/v1/articles", json=[EPOCH_DAY]).status_code == 201
        yield test_client


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_an_article_dated_1970_01_01_is_not_read_as_undated(epoch_client, mode):
    """Stored with published_ts 0, the sentinel the lexical index and Chroma use for "undated"."""
    body = {"query": "walrus Odin Bergen", "mode": mode, "top_k": 10}
    inside = body | {"filters": {"published_from": "1969-01-01", "published_to": "1971-01-01"}}
    assert {r["article_id"] for r in epoch_client.post("/v1/search", json=inside).json()["results"]} == {"epoch-walrus"}
    before = body | {"as_of": "1960-01-01"}  # published after as_of: hidden
    assert epoch_client.post("/v1/search", json=before).json()["results"] == []
