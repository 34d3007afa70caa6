"""The OpenAI-compatible API through real clients: the official `openai` package and LangChain's
ChatOpenAI, against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from tests.test_integration import in_thread, serve_samples

pytestmark = pytest.mark.integration

QUESTION = "What did Kim pledge to Putin?"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve_samples(tmp_path_factory.mktemp("openai") / "data") as url:
        yield url


@pytest.fixture(scope="module")
def client(served):
    return openai.OpenAI(base_url=f"{served}/v1", api_key="any-key-works", max_retries=0, timeout=60)


def ask(client, *messages, **extra):
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": m} for i, m in enumerate(messages)]
    return client.chat.completions.create(model="citewire", messages=turns, **extra)


def test_models(client):
    assert [m.id for m in client.models.list()] == ["citewire"]
    assert client.models.retrieve("citewire").owned_by == "citewire"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o")
    assert missing.value.code == "model_not_found"


def test_answer_carries_markers_sources_and_structured_citations(client, served):
    completion = ask(client, QUESTION)
    choice = completion.choices[0]
    message = choice.message
    assert completion.object == "chat.completion" and completion.model == "citewire"
    assert choice.finish_reason == "stop" and message.role == "assistant" and message.refusal is None
    citations = message.model_extra["citations"]
    assert citations and message.model_extra["citewire"]["answerable"] is True
    body, _, sources = message.content.partition("\n\nSources:\n")
    for c in citations:  # every structured citation is a [n] in the text and a line of the Sources list
        assert f"[{c['n']}]" in body and f"- [{c['n']}] {c['title']}" in sources
        text = httpx.get(f"{served}/v1/articles/{c['article_id']}").json()["text"]
        assert text[c["char_start"]:c["char_end"]] == c["quote"]
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_follow_up_is_answered_from_the_history(client):
    previous = ask(client, QUESTION).choices[0].message.content
    alone = ask(client, "And who went with him?").choices[0].message.model_extra["citewire"]
    follow = ask(client, QUESTION, previous, "And who went with him?").choices[0].message
    info = follow.model_extra["citewire"]
    assert alone["standalone_question"] == "And who went with him?"
    assert info["standalone_question"] != "And who went with him?" and "Kim" in info["standalone_question"]
    assert info["answerable"] and follow.model_extra["citations"]


def test_refusal_is_an_ordinary_assistant_message(client):
    message = ask(client, "What did Joe Biden say about the meeting?").choices[0].message
    assert message.role == "assistant" and message.content and message.refusal is None
    assert message.model_extra["citations"] == [] and "Sources:" not in message.content
    assert message.model_extra["citewire"]["answerable"] is False


def test_refusal_content_says_why_streamed_or_not(client):
    """Chat UIs show ``content`` only: it said "I can't answer that without guessing" and never why."""
    question = "What did Joe Biden say about the meeting?"
    message = ask(client, question).choices[0].message
    reason = message.model_extra["citewire"]["refusal_reason"]
    assert reason and "biden" in reason.lower()
    assert message.content.endswith(f"\n\nReason: {reason}."), message.content
    chunks = [c for c in ask(client, question, stream=True) if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == message.content
    assert chunks[-1].choices[0].delta.model_extra["citewire"]["refusal_reason"] == reason


def test_streaming_sends_the_same_answer_as_chunks(client):
    whole = ask(client, QUESTION).choices[0].message
    chunks = list(ask(client, QUESTION, stream=True, stream_options={"include_usage": True}))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    with_choices = [c for c in chunks if c.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in with_choices) == whole.content
    last = with_choices[-1].choices[0]
    assert last.finish_reason == "stop" and last.delta.model_extra["citations"] == whole.model_extra["citations"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_stream_ends_with_done(served):
    body = {"model": "citewire", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", f"{served}/v1/chat/completions", json=body, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_parameters_are_ignored_or_rejected_openai_style(client, served):
    system_first = client.chat.completions.create(
        model="citewire", temperature=0.7, max_tokens=5, seed=1, user="u", top_p=0.5, stop=["\n"],
        tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        extra_body={"top_k": 3, "as_of": "2024-01-01"},
        messages=[{"role": "system", "content": "You are helpful."},
                  {"role": "user", "content": [{"type": "text", "text": QUESTION}]}])
    assert system_first.choices[0].message.model_extra["citewire"]["answerable"] is True
    responses_style = client.chat.completions.create(  # the Responses API's text part, OpenAI's other knobs, another
        model="citewire", metadata={"k": "v"}, store=False, parallel_tool_calls=False, frequency_penalty=0.1,
        extra_body={"moderation": None, "min_p": 0.1, "keep_alive": "5m"},  # server's and a newer SDK's: ignored
        messages=[{"role": "user", "content": [{"type": "input_text", "text": QUESTION}]}])
    assert responses_style.choices[0].message.content == system_first.choices[0].message.content
    rejected = [
        (openai.BadRequestError, "n", dict(n=2)),
        (openai.BadRequestError, "logprobs", dict(logprobs=True)),
        (openai.BadRequestError, "response_format", dict(response_format={"type": "json_object"})),
        (openai.BadRequestError, "tool_choice", dict(tool_choice="required")),
        (openai.BadRequestError, "stream", dict(extra_body={"stream": "yes"})),  # was read as true
        (openai.BadRequestError, "as_of", dict(extra_body={"as_of": 12345})),  # was seconds since 1970
        (openai.BadRequestError, "top_k", dict(extra_body={"top_k": 500})),
        (openai.BadRequestError, "filters.source", dict(extra_body={"filters": {"source": ["Citewire Sport"]}})),
        # a filter beside filters, or a misspelt Citewire parameter, answered unfiltered
        (openai.BadRequestError, "filter", dict(extra_body={"filter": {"sources": ["Nope"]}})),
        (openai.BadRequestError, "sources", dict(extra_body={"sources": ["Nope"]})),
        (openai.BadRequestError, "topk", dict(extra_body={"topk": 3})),
        (openai.BadRequestError, "function_call", dict(extra_body={
            "functions": [{"name": "f", "parameters": {"type": "object"}}], "function_call": {"name": "f"}})),
        (openai.BadRequestError, "modalities", dict(extra_body={"modalities": ["text", "audio"]})),
    ]
    for error, param, extra in rejected:
        with pytest.raises(error) as caught:
            ask(client, QUESTION, **extra)
        assert caught.value.status_code == 400 and caught.value.param == param, param
        assert caught.value.type == "invalid_request_error"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    for raw in [b"{oops", b"[" * 100_000, b"{}", b'{"model": "citewire", "messages": []}',
                b'{"model": "citewire", "messages": [{"role": "assistant", "content": "hi"}]}',
                json.dumps({"model": "citewire", "messages": [{"role": "user", "content": "x" * 2001}]}).encode()]:
        response = httpx.post(f"{served}/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, raw
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    # the rest of the API keeps its own error shape
    other = httpx.post(f"{served}/v1/ask", content=b"{oops", headers={"content-type": "application/json"})
    assert other.status_code == 400 and other.json()["error"] == "malformed JSON"


def test_oversized_body_is_an_openai_shaped_413(tmp_path, corpus_services):
    """The body-size limit answers before any route; on these routes it must still be OpenAI's shape."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    settings = Settings(data_dir=tmp_path / "data", max_body_bytes=4096, warmup=False)
    with TestClient(create_app(settings, services=corpus_services)) as http:
        client = openai.OpenAI(base_url="http://testserver/v1", api_key="k", max_retries=0, http_client=http)
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="citewire", messages=[{"role": "user", "content": "Kim " * 2000}])
        assert caught.value.status_code == 413 and caught.value.code == "request_too_large"
        assert caught.value.type == "invalid_request_error" and "4096" in caught.value.message
        native = http.post("/v1/ask", json={"question": "Kim " * 2000})  # the rest keeps {"error", "detail"}
        assert native.status_code == 413 and native.json()["error"] == "request body too large"


def test_langchain_chat_openai(served):
    llm = ChatOpenAI(model="citewire", base_url=f"{served}/v1", api_key="any-key-works", max_retries=0, timeout=60)
    reply = llm.invoke(QUESTION)
    assert "[1]" in reply.content and "\nSources:\n- [1] " in reply.content
    streamed = "".join(chunk.content for chunk in llm.stream(QUESTION))
    assert streamed == reply.content


GOOD = "Kim pledged to Putin that North Korea would give full and unconditional support to Moscow"
INVENTED = "Kim also gave Putin a golden horse named Thunder as a birthday present"


@pytest.fixture
def llm_client(tmp_path):
    """In-process app whose LLM is the scripted fake OpenAI server (tests/fake_openai.py)."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app
    from tests.fake_openai import FakeOpenAIServer

    with FakeOpenAIServer() as fake:
        # Whole chunks (no excerpts): the scripted replies quote sentences regardless of their rank.
        app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, llm_base_url=fake.base_url,
                                  llm_model="fake-model", llm_max_retries=0, llm_excerpt_sentences=0))
        with TestClient(app) as test_client:
            yield test_client, fake


def test_llm_stream_sends_only_the_guarded_answer(llm_client):
    client, fake = llm_client
    fake.reply(f"{GOOD} [1]. {INVENTED} [1].")
    response = client.post("/v1/chat/completions", json={
        "model": "citewire", "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "What did Kim pledge?"}]})
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
    content = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert "unconditional support" in content and "golden horse" not in content  # the guard dropped it first
    final = [e for e in events if e["choices"]][-1]["choices"][0]["delta"]
    assert final["citewire"]["mode"] == "llm" and final["citewire"]["guard"]["dropped"] == 1
    assert events[-1]["usage"]["prompt_tokens"] == 100  # the model's own count, as the fake reported it


def test_llm_condenser_sees_history_without_sources_lists(llm_client):
    client, fake = llm_client
    fake.reply("Who accompanied Kim Jong Un to the Vostochny Cosmodrome?")
    fake.reply("Kim was accompanied by Foreign Minister Choe Son Hui and Marshal Ri Pyong Chol [1].")
    earlier = "Full and unconditional support [1].\n\nSources:\n- [1] Kim pledges … — Citewire Desk, 2023-09-13\n  “…”"
    body = client.post("/v1/chat/completions", json={"model": "citewire", "messages": [
        {"role": "user", "content": "What did Kim pledge to Putin?"},
        {"role": "assistant", "content": earlier},
        {"role": "user", "content": "And who went with him?"}]}).json()
    message = body["choices"][0]["message"]
    assert message["citewire"]["standalone_question"] == "Who accompanied Kim Jong Un to the Vostochny Cosmodrome?"
    assert "Choe Son Hui" in message["content"] and message["citations"]
    condense_prompt = json.dumps(fake.requests[0]["messages"])
    assert "Full and unconditional support" in condense_prompt and "Sources:" not in condense_prompt


def test_llm_endpoint_failure_is_an_openai_shaped_502(llm_client):
    client, fake = llm_client
    client.app.state.services.llm_status.fallback = "error"  # the default falls back: tests/test_llm_outage.py
    fake.reply(status=500)
    response = client.post("/v1/chat/completions", json={
        "model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}]})
    assert response.status_code == 502 and response.json()["error"]["type"] == "server_error"


def test_client_that_hangs_up_stops_generation(tmp_path):
    """Over real HTTP: closing a streamed completion closes the model stream, which stops generation."""
    import time

    from app.config import Settings
    from app.main import create_app
    from tests.fake_openai import FakeOpenAIServer

    with FakeOpenAIServer() as fake:
        fake.reply(" ".join(["word"] * 300), delay=0.02)
        # Whole chunks (no excerpts): the scripted replies quote sentences regardless of their rank.
        app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, llm_base_url=fake.base_url,
                                  llm_model="fake-model", llm_max_retries=0, llm_excerpt_sentences=0))
        with in_thread(app) as base:
            body = {"model": "citewire", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
            with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=30) as r:
                lines = r.iter_lines()
                assert '"role": "assistant"' in next(lines)
                deadline = time.time() + 60
                while fake.chunks_sent < 5 and time.time() < deadline:
                    time.sleep(0.02)
                if fake.chunks_sent < 5:  # the server gave up early: show what it sent
                    pytest.fail(f"the model was never streaming; the server sent {list(lines)[:4]}")
            assert fake.stream_cancelled.wait(10) and not fake.stream_finished.is_set()
            assert fake.chunks_sent < 300


def test_unknown_urls_and_methods_answer_openai_shaped_errors(client, served):
    """An OpenAI client calling an endpoint Citewire does not serve (legacy completions, embeddings) or a
    wrong method gets OpenAI's error body with a message it shows, not FastAPI's {"error": "Not Found"}."""
    with pytest.raises(openai.NotFoundError) as legacy:
        client.completions.create(model="citewire", prompt="What did Kim pledge?")
    assert legacy.value.code == "unknown_url" and "POST /v1/completions" in legacy.value.message
    assert "/v1/chat/completions" in legacy.value.message  # says what is served instead
    with pytest.raises(openai.NotFoundError) as embeddings:
        client.embeddings.create(model="citewire", input="Kim")
    assert "POST /v1/embeddings" in embeddings.value.message
    with pytest.raises(openai.NotFoundError) as model:
        client.models.retrieve("unknown-id")
    assert model.value.code == "model_not_found" and "unknown-id" in model.value.message
    for method, path, status in [("GET", "/v1/chat/completions", 405), ("DELETE", "/v1/models/citewire", 405),
                                 ("GET", "/v1/models/a/b", 404), ("POST", "/v1/responses", 404)]:
        response = httpx.request(method, f"{served}{path}")
        assert response.status_code == status, path
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and f"{method} {path}" in error["message"]
        assert error["type"] == "invalid_request_error"
    assert httpx.get(f"{served}/v1/chat/completions").headers["allow"] == "POST"
    # native paths keep {"error", "detail"}
    native = httpx.get(f"{served}/v1/ask")
    assert native.status_code == 405 and native.json() == {"error": "Method Not Allowed", "detail": None}
    assert httpx.get(f"{served}/v1/ask/nothing").json() == {"error": "Not Found", "detail": None}


def test_no_parameter_of_the_openai_sdk_is_taken_for_a_misspelt_citewire_one():
    """The first allow-list refused what it did not list (moderation, prompt_cache_retention: LangChain sends it)."""
    import inspect

    from app.api.openai_compat import _meant

    sdk = [name for name in inspect.signature(openai.resources.chat.completions.Completions.create).parameters
           if name not in ("self", "timeout") and not name.startswith("extra_")]
    assert len(sdk) > 30 and {"messages", "temperature", "top_p", "stop"} <= set(sdk)
    assert {name: _meant(name) for name in sdk if _meant(name) is not None} == {}
    assert {name: _meant(name) for name in ("filter", "source", "topk", "as-of", "article_id")} == {
        "filter": "filters", "source": "sources", "topk": "top_k", "as-of": "as_of", "article_id": "article_ids"}
