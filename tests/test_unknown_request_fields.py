"""Native request bodies refuse fields they do not know. A filter at the top level ({"source": …}) was ignored and
the answer came from every publisher, as if unfiltered had been asked; a misspelt option ("topk") was as silent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("unknown-fields") / "data", index_samples=True))
    with TestClient(app) as test_client:
        yield test_client


ASK = {"question": "What did Kim pledge?"}
CHAT = {"messages": [{"role": "user", "content": "What did Kim pledge?"}]}


@pytest.mark.parametrize("path, body", [
    ("/v1/ask", {**ASK, "source": "Nobody's Gazette"}),
    ("/v1/ask", {**ASK, "published_from": "2030-01-01"}),
    ("/v1/search", {"query": "Kim Putin", "sources": ["Nobody's Gazette"]}),
    ("/v1/chat", {**CHAT, "article_ids": ["nope"]}),
    ("/v1/summarize", {"topic": "Kim and Putin", "source": "Nobody's Gazette"}),
])
def test_a_filter_given_at_the_top_level_is_refused_with_where_it_goes(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert 'filters go under "filters"' in problem["msg"] and "sources" in problem["msg"]


@pytest.mark.parametrize("path, body, field, meant", [
    ("/v1/ask", {**ASK, "topk": 3}, "topk", "top_k"),
    ("/v1/search", {"query": "Kim Putin", "mod": "bm25"}, "mod", "mode"),
    ("/v1/summarize", {"topic": "Kim and Putin", "max_word": 30}, "max_word", "max_words"),
    ("/v1/chat", {**CHAT, "asof": "2023-01-01"}, "asof", "as_of"),
])
def test_a_misspelt_option_is_refused_by_name(client, path, body, field, meant):
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [["body", field]]
    assert response.json()["detail"][0]["msg"].endswith(f"did you mean {meant}?")  # as the OpenAI route says it


def test_the_filter_in_its_place_still_filters(client):
    unfiltered = client.post("/v1/ask", json=ASK).json()
    assert unfiltered["answerable"]
    filtered = client.post("/v1/ask", json={**ASK, "filters": {"sources": ["Nobody's Gazette"]}}).json()
    assert not filtered["answerable"] and filtered["citations"] == []


def test_openai_chat_completions_still_takes_parameters_citewire_does_not_use(client):
    body = {"model": "citewire", "messages": CHAT["messages"], "temperature": 0.2, "user": "u-1", "seed": 7}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text


def test_an_unknown_field_like_no_option_gets_no_guess(client):
    response = client.post("/v1/ask", json={**ASK, "zzz": 1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Extra inputs are not permitted"
