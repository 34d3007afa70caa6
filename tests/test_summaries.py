from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.answer.extractive import near_duplicate
from app.config import Settings
from app.ingest.article import ArticleIn
from app.ingest.loaders import load_path
from app.main import create_app
from app.store.models import Filters
from tests.conftest import (
    SHARED,
    SHARED_ARTICLES,
    conflicting_toll_reports,
    needs_shared,
)


def _verbatim(services, summary):
    for c in summary.citations:
        assert services.records.get_article(c.article_id).text[c.char_start:c.char_end] == c.quote


@needs_shared
def test_summary_of_the_vostochny_article(services):
    services.ingest.ingest(load_path(SHARED_ARTICLES / "004_75f1210c1675ddf4.txt"))
    summary = services.summaries.summarize_articles(["004_75f1210c1675ddf4"], max_words=120)
    text = summary.summary
    assert "full and unconditional support" in text  # the pledge
    assert "Vostochny" in text  # the venue
    assert "munitions" in text  # the motive
    sentences = [s.text for s in summary.sentences]
    assert sum(len(s.split()) for s in sentences) <= 120
    assert all(s.citations for s in summary.sentences)
    for i, a in enumerate(sentences):  # the bullet highlights repeat the body: say each thing once
        assert not any(near_duplicate(a, b) for b in sentences[i + 1:])
    _verbatim(services, summary)


def test_topic_summary_orders_by_date_and_cites_several_articles(corpus_services):
    summary = corpus_services.summaries.summarize_topic("Russia and North Korea military cooperation", max_words=150)
    dates = [c.published_at for c in summary.citations if c.published_at]
    assert dates == sorted(dates)
    assert len({c.article_id for c in summary.citations}) >= 3
    assert summary.article_ids == list(dict.fromkeys(c.article_id for c in summary.citations))  # cited, not retrieved
    _verbatim(corpus_services, summary)


def test_conflicting_sources_are_surfaced(services):
    services.ingest.ingest(conflicting_toll_reports())
    summary = services.summaries.summarize_topic("Derna floods death toll", max_words=100)
    assert summary.conflicts, summary.summary
    conflict = summary.conflicts[0]
    assert {"5300", "11300"} == {*conflict["first_says"], *conflict["second_says"]}
    assert "Wire A reports" in summary.summary and "Wire B reports" in summary.summary


@needs_shared
def test_rgb_counterfactual_passages_are_flagged(services):
    path = SHARED / "data" / "rgb" / "en_fact.json"
    if not path.exists():
        pytest.skip("RGB data absent")
    record = json.loads(path.open().readline())
    docs = [ArticleIn(id=f"{kind}-{j}", text=text, source=kind)
            for kind in ("positive", "positive_wrong") for j, text in enumerate(record[kind])]
    services.ingest.ingest(docs)
    summary = services.summaries.summarize_topic(record["query"], max_words=200,
                                                 filters=Filters(article_ids=[d.id for d in docs]))
    assert summary.conflicts, summary.summary
    sides = {summary.citations[n - 1].source for c in summary.conflicts for n in c["citations"]}
    assert sides == {"positive", "positive_wrong"}


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "d", index_samples=True))) as test_client:
        yield test_client


def test_summarize_endpoint_contract_and_errors(client):
    body = client.post("/v1/summarize", json={"article_id": "morocco-earthquake-2023", "max_words": 60}).json()
    assert body["summary"] and body["citations"] and body["mode"] == "extractive"
    assert sum(len(s["text"].split()) for s in body["sentences"]) <= 60
    assert client.post("/v1/summarize", json={"article_id": "nope"}).status_code == 404
    missing = client.post("/v1/summarize", json={})
    assert missing.status_code == 422 and "give article ids or a topic" in json.dumps(missing.json())
    assert client.post("/v1/summarize", json={"topic": "x", "max_words": 5}).status_code == 422
    assert client.post("/v1/summarize", json={"topic": "x", "max_words": 5000}).status_code == 422
    several = client.post("/v1/summarize", json={"article_ids": ["fed-holds-rates-sept-2023", "libya-derna-floods-2023"]}).json()
    assert {c["article_id"] for c in several["citations"]} == {"fed-holds-rates-sept-2023", "libya-derna-floods-2023"}


def test_topic_summary_as_of_hides_later_articles(client):
    """as_of means for a topic summary what it means for /v1/ask: nothing published after it."""
    now = client.post("/v1/summarize", json={"topic": "Kim and Putin"}).json()
    assert "putin-pyongyang-treaty-2024" in now["article_ids"]
    then = client.post("/v1/summarize", json={"topic": "Kim and Putin", "as_of": "2023-12-31"}).json()
    assert then["answerable"] and then["article_ids"] == ["kim-putin-vostochny-2023"]
    assert all(c["published_at"] <= "2023-12-31" for c in then["citations"])
    before_all = client.post("/v1/summarize", json={"topic": "Kim and Putin", "as_of": "2020-01-01"}).json()
    assert before_all["answerable"] is False and before_all["refusal_reason"]
    assert client.post("/v1/summarize", json={"topic": "Kim", "as_of": "soon"}).status_code == 422


def test_summarize_streams_as_server_sent_events(client):
    response = client.post("/v1/summarize", json={"article_id": "fed-holds-rates-sept-2023", "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [b.split("\n", 1) for b in response.text.strip().split("\n\n")]
    names = [b[0].removeprefix("event: ") for b in blocks]
    assert names[-2:] == ["citations", "final"] and names.count("delta") >= 1
    final = json.loads(blocks[-1][1].removeprefix("data: "))
    assert final["summary"] and final["citations"]
    assert client.post("/v1/summarize", json={"article_id": "nope", "stream": True}).status_code == 404
