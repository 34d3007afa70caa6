"""Replies of an OpenAI-compatible endpoint that are neither an answer nor an HTTP error (an error event inside the
stream, a chunk that is no JSON, content as a list of parts): the extractive fallback or a clear error, never a 500.
Found by a bug hunt, 2026-11-29."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.fake_openai import FakeOpenAIServer
from tests.test_llm import GOOD, llm_services

QUESTION = "What did Kim pledge?"


@pytest.fixture
def fake():
    with FakeOpenAIServer() as server:
        yield server


def _chunk(text: str) -> str:
    return "data: " + json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [
        {"index": 0, "delta": {"content": text}, "finish_reason": None}]}) + "\n\n"


ERROR_EVENT = 'data: {"error": {"message": "model overloaded", "type": "server_error", "code": 503}}\n\n'
STREAMS = {
    # vLLM, OpenAI and others report a failure during generation as an error object in the stream: openai raises its
    # base APIError (no status code), which app/dependency_errors.classify does not know
    "error event first": ERROR_EVENT,
    "error event mid-answer": _chunk("Kim pledged ") + ERROR_EVENT,
    "malformed chunk first": "data: {not json\n\n",
    "malformed chunk mid-answer": _chunk("Kim pledged ") + "data: {not json\n\n",
}


@pytest.mark.parametrize("name", list(STREAMS))
def test_a_stream_the_endpoint_breaks_is_answered_without_the_llm_not_a_500(tmp_path, fake, name):
    """Documented (docs/llm.md "When the LLM is down"): an outage, including a stream that breaks off, is answered
    with the extractive fallback. These came out as HTTP 500 {"error": "internal error", "detail": "APIError"} (or
    "JSONDecodeError"), or as an ``event: error`` of an "internal error" after the first delta."""
    services = llm_services(tmp_path, fake)
    with TestClient(create_app(services.settings, services=services), raise_server_exceptions=False) as client:
        fake.reply_raw(STREAMS[name], "text/event-stream")
        response = client.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert response.status_code == 200 and "internal error" not in response.text, response.text[-400:]
    final = json.loads(response.text.split("event: final\ndata: ", 1)[1].split("\n", 1)[0])
    assert final["answerable"] and final["mode"] == "extractive" and final["fallback"], final


def test_a_plain_reply_whose_content_is_a_list_of_parts_is_no_500(tmp_path, fake):
    """Some OpenAI-compatible APIs (Mistral's reasoning models, some proxies) send ``content`` as a list of parts:
    guard.apply called ``.strip()`` on the list (AttributeError, HTTP 500 "internal error")."""
    services = llm_services(tmp_path, fake)
    body = {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                                                          "content": [{"type": "text", "text": f"{GOOD} [1]."}]}}]}
    with TestClient(create_app(services.settings, services=services), raise_server_exceptions=False) as client:
        fake.reply_raw(json.dumps(body), "application/json")
        response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    assert response.json()["answerable"] and response.json()["mode"] == "llm", response.text


def test_the_judge_budget_is_per_summary_as_its_setting_says(tmp_path, fake):
    """CITEWIRE_GUARD_JUDGE_BUDGET: "Most LLM judge calls per answer or summary". Each map and reduce call of a
    summary got a fresh budget (FaithfulnessGuard.verify), so a summary of several map calls asked the judge more."""
    services = llm_services(tmp_path, fake, guard_judge=True, guard_judge_budget=1, llm_context_window=512,
                            llm_max_tokens=64)
    sentences = ["North Korean leader Kim Jong Un met Russian President Vladimir Putin at the Vostochny Cosmodrome [1].",
                 "Kim pledged to Putin that North Korea would give full and unconditional support to Moscow [2]."]

    def reply(body):
        if body.get("logprobs"):
            return "yes 0.9"
        return " ".join(sentences)

    fake.reply_with(reply)
    services.summaries.summarize_articles(["kim-putin-vostochny-2023", "putin-pyongyang-treaty-2024"])
    map_and_reduce = [r for r in fake.requests if not r.get("logprobs")]
    judged = [r for r in fake.requests if r.get("logprobs")]
    assert len(map_and_reduce) > 1  # the article took more than one call
    assert len(judged) <= 1, f"{len(judged)} judge calls with CITEWIRE_GUARD_JUDGE_BUDGET=1"
