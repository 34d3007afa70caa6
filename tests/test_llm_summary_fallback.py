"""An LLM summary whose every sentence the faithfulness guard drops: like an answer, it falls back to the
verbatim extractive summary (CITEWIRE_LLM_FALLBACK_EXTRACTIVE) or is refused; it came back as an empty
summary with ``answerable: true``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.samples import index_samples
from app.services import build_services
from tests.fake_openai import FakeOpenAIServer

INVENTED = "The council bought a golden submarine [1]. Aliens landed in Paris on Tuesday [1]."
ARTICLE = {"article_id": "kim-putin-vostochny-2023"}
TOPIC = {"topic": "Russia and North Korea"}


@pytest.fixture(scope="module")
def invented_llm():
    with FakeOpenAIServer() as llm:
        yield llm.reply_with(lambda body: INVENTED)


def summarize(tmp_path, llm, body: dict, **settings) -> dict:
    config = Settings(data_dir=tmp_path / "data", llm_base_url=llm.base_url, llm_model="fake-model",
                      llm_api_key="x", warmup=False, **settings)
    services = build_services(config)
    try:
        index_samples(services.ingest)
        with TestClient(create_app(config, services=services)) as client:
            response = client.post("/v1/summarize", json=body)
    finally:
        services.close()
    assert response.status_code == 200, response.text
    return response.json()


def quotes_are_stored_text(tmp_path, summary: dict) -> None:
    services = build_services(Settings(data_dir=tmp_path / "data", warmup=False))
    try:
        for c in summary["citations"]:
            text = services.records.get_article(c["article_id"]).text
            assert text[c["char_start"]:c["char_end"]] == c["quote"]
    finally:
        services.close()


@pytest.mark.parametrize("body", [ARTICLE, TOPIC], ids=["article", "topic"])
def test_a_summary_the_guard_dropped_entirely_falls_back_to_the_extractive_one(tmp_path, invented_llm, body):
    summary = summarize(tmp_path, invented_llm, body)
    assert summary["answerable"] is True and summary["mode"] == "extractive"
    assert summary["summary"].strip() and summary["citations"] and summary["sentences"]
    assert "golden submarine" not in summary["summary"] and "Aliens" not in summary["summary"]
    guard = summary["guard"]
    assert guard["fallback"] == "extractive" and guard["dropped"] >= 2 and guard["kept"] == 0
    assert guard["llm_refusal_reason"] == "no sentence of the model's summary is supported by the articles"
    assert summary["usage"]["calls"] >= 1
    quotes_are_stored_text(tmp_path, summary)


@pytest.mark.parametrize("body", [ARTICLE, TOPIC], ids=["article", "topic"])
def test_without_the_fallback_it_is_a_refusal_with_its_reason(tmp_path, invented_llm, body):
    summary = summarize(tmp_path, invented_llm, body, llm_fallback_extractive=False)
    assert summary["answerable"] is False and summary["mode"] == "llm"
    assert summary["refusal_reason"] == "no sentence of the model's summary is supported by the articles"
    assert summary["summary"] == "" and summary["citations"] == [] and summary["sentences"] == []
    assert summary["guard"]["dropped"] >= 2 and "fallback" not in summary["guard"]  # the page's "Nothing verified"
