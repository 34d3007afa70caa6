"""Search lists at most CITEWIRE_SEARCH_PER_ARTICLE passages of one article ahead of other articles' (docs/answers.md:
relevant-article hit@5 +0.022 on 2022–2023); the answer path reads the plain ranking."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.retrieval.service import per_article_first

QUERY = "Kim Putin Russia North Korea support"


def test_per_article_first_keeps_every_passage_and_the_order_within_each_part():
    class P:
        def __init__(self, article_id, n):
            self.article_id, self.n = article_id, n

    ranked = [P("a", 1), P("a", 2), P("b", 3), P("a", 4), P("c", 5), P("b", 6)]
    assert [p.n for p in per_article_first(ranked, 1)] == [1, 3, 5, 2, 4, 6]
    assert [p.n for p in per_article_first(ranked, 2)] == [1, 2, 3, 5, 6, 4]


@pytest.fixture(scope="module")
def client(corpus_services):
    with TestClient(create_app(corpus_services.settings, services=corpus_services)) as test_client:
        yield test_client


def test_search_spreads_its_top_over_articles_unless_asked_not_to(client, corpus_services):
    plain = corpus_services.retrieval.search(QUERY, top_k=8)
    assert max(Counter(p.article_id for p in plain).values()) > 1  # the case this is about: one article repeats
    spread = client.post("/v1/search", json={"query": QUERY, "top_k": 8}).json()["results"]
    articles = [r["article_id"] for r in spread]
    distinct = len(set(articles))
    assert articles[:distinct] == list(dict.fromkeys(articles))  # each article once before any repeats
    assert distinct > len({p.article_id for p in plain[:distinct]})
    off = client.post("/v1/search", json={"query": QUERY, "top_k": 8, "per_article": 0}).json()["results"]
    assert [r["chunk_id"] for r in off] == [p.chunk_id for p in plain]
    assert client.post("/v1/search", json={"query": QUERY, "per_article": -1}).status_code == 422


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_the_single_retriever_modes_spread_their_top_too(client, corpus_services, mode):
    plain = corpus_services.retrieval.search(QUERY, top_k=8, mode=mode)
    spread = [r["article_id"] for r in client.post("/v1/search", json={"query": QUERY, "top_k": 8, "mode": mode})
              .json()["results"]]
    distinct = len(set(spread))
    assert spread[:distinct] == list(dict.fromkeys(spread)) and distinct >= len({p.article_id for p in plain})
