"""Findings of a walkthrough of the LLM path: an endpoint that answers with a web page, timeouts that are per
attempt, a local model that cannot be served, a model repeating itself, errors that did not say which endpoint or
what it said, the judge's budget, and the local model's name in usage."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from app.answer.guard import repeats
from app.cli import cli
from app.config import Settings
from app.llm.local import LocalModelError, LocalModelServer
from app.main import create_app
from app.services import judge_limits
from tests.fake_openai import FakeOpenAIServer
from tests.test_llm import GOOD, llm_services

ASK = {"question": "What did Kim pledge?"}
COMPLETION = {"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}]}
PAGE = "<!doctype html><html><head><title>Open WebUI</title></head><body>Sign in</body></html>"
runner = CliRunner()


@pytest.fixture
def fake():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def shared_fake():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory, shared_fake):
    """One app for the tests that only script replies (building one and indexing the samples takes seconds)."""
    services = llm_services(tmp_path_factory.mktemp("llm"), shared_fake)
    with TestClient(create_app(services.settings, services=services)) as client:
        yield client
    services.close()


@pytest.fixture
def client(shared_client, shared_fake):
    shared_fake.replies.clear()
    yield shared_client
    shared_fake.replies.clear()


# B1: a 200 that is not a chat completion -------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "media_type"), [(PAGE, "text/html"), ('{"status": "ok"}', "application/json")])
@pytest.mark.parametrize(("path", "payload"), [
    ("/v1/ask", ASK), ("/v1/ask", ASK | {"stream": True}), ("/v1/summarize", {"topic": "Kim Putin summit"})])
def test_a_reply_that_is_no_chat_completion_is_a_502_on_every_native_route(client, shared_fake, body, media_type,
                                                                          path, payload):
    """Plain routes answered 500 "internal error" (AttributeError); streamed ones a 200 extractive fallback that
    said the model found no answer, although no model had answered."""
    fake = shared_fake
    fake.reply_raw(body, media_type)
    response = client.post(path, json=payload)
    assert response.status_code == 502, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "dependency failed"
    detail = response.json()["detail"]
    # the endpoint's address is the server log's and the CLI's, not an API client's (a review)
    assert "is not an OpenAI chat completion" in detail and fake.base_url not in detail, detail
    if "stream" not in payload:
        assert media_type in detail  # a plain reply says what came instead


@pytest.mark.parametrize("stream", [False, True])
def test_a_web_page_at_the_llm_url_is_an_openai_shaped_502(client, shared_fake, stream):
    fake = shared_fake
    fake.reply_raw(PAGE, "text/html")
    response = client.post("/v1/chat/completions", json=COMPLETION | {"stream": stream})
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "dependency_failed" and "not an OpenAI chat completion" in error["message"], error
    assert "found no answer" not in response.text


def test_the_cli_says_what_the_llm_url_sent_in_one_line(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    monkeypatch.setenv("CITEWIRE_LLM_BASE_URL", fake.base_url)
    monkeypatch.setenv("CITEWIRE_LLM_MAX_RETRIES", "0")
    for args in (["ask", "--no-stream", "What did Kim pledge?"], ["ask", "What did Kim pledge?"]):
        fake.reply_raw(PAGE, "text/html")
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: the reply of the LLM endpoint"), result.stderr
        assert "text/html" in lines[0] or "event stream" in lines[0]
        assert "CITEWIRE_LLM_BASE_URL" in lines[0] and "Traceback" not in result.output


# B2: CITEWIRE_LLM_TIMEOUT bounds each attempt, and the error says how many were made --------------------------------

@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def test_the_llm_timeout_is_per_attempt_and_the_503_counts_the_attempts(tmp_path, silent_port):
    settings = Settings(data_dir=tmp_path / "data", index_samples=True, llm_base_url=f"http://127.0.0.1:{silent_port}/v1",
                        llm_model="x", llm_timeout=0.5, llm_max_retries=1, llm_outage_fallback="error")
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        response = client.post("/v1/ask", json=ASK)
        took = time.monotonic() - started
    assert response.status_code == 503, response.text
    detail = response.json()["detail"]
    assert "(2 attempts, each limited to 0.5 s by CITEWIRE_LLM_TIMEOUT)" in detail, detail
    assert f"127.0.0.1:{silent_port}" not in detail  # the address is the log's and the CLI's
    assert 1.0 <= took < 10, took  # two attempts of 0.5 s (plus backoff): not one, as "one request gives up" read
    described = Settings.model_fields["llm_timeout"].description
    assert "one attempt" in described and "(llm_max_retries + 1)" in described


# B3: a local model that cannot be served is one line, serve included -------------------------------------------------

@pytest.mark.parametrize("model", ["missing", "qwen", "not-gguf"])
@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["ask", "What did Kim pledge?"]])
def test_a_local_model_that_cannot_be_served_is_one_error_line(tmp_path, monkeypatch, model, command):
    """serve printed a traceback and "Application startup failed" (exit 3); ask blamed the store for a non-GGUF."""
    pytest.importorskip("xllamacpp")
    bad = tmp_path / "bad.gguf"
    bad.write_text("x\n")
    value = {"missing": str(tmp_path / "nonexistent.gguf"), "qwen": "qwen", "not-gguf": str(bad)}[model]
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CITEWIRE_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CITEWIRE_LOCAL_MODEL", value)
    if command[0] == "serve":  # a free port, so that only the model can fail
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            command = ["serve", "--port", str(s.getsockname()[1])]
    result = runner.invoke(cli, command)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: the local model CITEWIRE_LOCAL_MODEL={value} cannot be used: "), lines[0]
    reason = {"missing": "no GGUF model at", "qwen": "run `citewire model` first",
              "not-gguf": "is not a GGUF model file"}[model]
    assert reason in lines[0] and "cannot open the store" not in lines[0]


def test_a_gguf_llama_cpp_cannot_load_is_a_local_model_error(tmp_path, monkeypatch):
    pytest.importorskip("xllamacpp")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 16)  # the magic, then nothing a model is made of
    # the header check (tests/test_llm_outage.py) tells this file apart first: past it, llama.cpp's failure
    monkeypatch.setattr("app.llm.local.gguf_problem", lambda path: None)
    with pytest.raises(LocalModelError, match="llama.cpp could not load .*truncated.gguf"):
        LocalModelServer(truncated, 2048, threads=1)


# B4: a sentence said again is dropped once and counted ----------------------------------------------------------------

def test_repeated_sentences_are_dropped_and_counted(tmp_path, fake):
    """SmolLM wrote one cited sentence 8 times: the guard counted fixed: 12 and returned every copy."""
    services = llm_services(tmp_path, fake, llm_fallback_extractive=False)
    try:
        near = GOOD.replace("full and unconditional", "full, unconditional")
        fake.reply(" ".join([f"{GOOD} [1]."] * 4 + [f"{near} [1]."]))
        answer = services.answers.ask("What did Kim pledge?")
    finally:
        services.close()
    assert answer.answerable, answer
    assert answer.guard["repeated"] == 4, answer.guard
    assert answer.guard["kept"] + answer.guard["fixed"] == 1, answer.guard
    assert len(answer.sentences) == 1 and answer.answer.count("unconditional") == 1, answer.answer


def test_a_near_duplicate_with_a_new_number_or_name_is_no_repeat():
    kept = ["Kim met Putin at the Vostochny spaceport on Wednesday."]
    assert repeats("Kim met Putin at the Vostochny spaceport on Wednesday!", kept)
    assert repeats("Kim met with Putin at the Vostochny spaceport on Wednesday.", kept)
    assert not repeats("Kim met Putin at the Vostochny spaceport on Wednesday with 20 aides.", kept)
    assert not repeats("Kim met Putin at the Vostochny spaceport on Wednesday and Shoigu.", kept)
    assert not repeats("The leaders discussed satellites and weapons.", kept)


# C2: errors name the endpoint (no secrets) and carry what it said ------------------------------------------------------

def test_an_unreachable_endpoint_is_named_without_its_credentials(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", index_samples=True, llm_model="x", llm_max_retries=0,
                        llm_base_url="http://user:hunter2@127.0.0.1:1/v1?api-key=s3cret", llm_outage_fallback="error")
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/ask", json=ASK)
    assert response.status_code == 503, response.text
    detail = response.json()["detail"]
    assert detail.startswith("the LLM endpoint is not reachable: ") and "127.0.0.1:1" not in detail, detail
    assert "hunter2" not in response.text and "s3cret" not in response.text and "user@" not in response.text


def test_an_http_error_carries_the_endpoints_own_message(client, shared_fake):
    """A wrong CITEWIRE_LLM_MODEL and a wrong URL both read "answered HTTP 404": the server log (and the CLI, below)
    says what the endpoint said; the API client is told the status only (a review: OpenAI's 429 message names the
    account's organisation)."""
    import logging

    fake = shared_fake
    fake.reply(status=404, message="model 'gpt-4o-mini' not found, try pulling it first")
    with _captured("app.api.errors", logging.WARNING) as records:
        response = client.post("/v1/ask", json=ASK)
    assert response.status_code == 502, response.text
    assert response.json()["detail"] == "the LLM endpoint answered HTTP 404"
    assert any(f"the LLM endpoint {fake.base_url} answered HTTP 404: model 'gpt-4o-mini' not found" in r.getMessage()
               for r in records), [r.getMessage() for r in records]
    fake.reply(status=401, message="Incorrect API key provided: sk-abc1***wxyz")
    response = client.post("/v1/ask", json=ASK)
    assert response.status_code == 502 and "HTTP 401" in response.json()["detail"]
    assert "sk-abc1" not in response.text  # a 401's message can echo part of the key


def test_the_cli_says_what_the_endpoint_answered(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    monkeypatch.setenv("CITEWIRE_LLM_BASE_URL", fake.base_url)
    fake.reply(status=404, message="The model `nope` does not exist.")
    result = runner.invoke(cli, ["ask", "--no-stream", "What did Kim pledge?"])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (f"error: the LLM endpoint {fake.base_url} answered HTTP 404: "
                                     "The model `nope` does not exist."), result.stderr


# C3: an explicit judge budget caps CITEWIRE_GUARD_JUDGE=true --------------------------------------------------------------

def test_the_judge_budget_caps_guard_judge_when_set(tmp_path):
    assert judge_limits(Settings(data_dir=tmp_path)) == ((0.2, 0.8), 4)
    assert judge_limits(Settings(data_dir=tmp_path, guard_judge=True)) == ((0.0, 1.0), 10**6)
    assert judge_limits(Settings(data_dir=tmp_path, guard_judge=True, guard_judge_budget=2)) == ((0.0, 1.0), 2)
    assert judge_limits(Settings(data_dir=tmp_path, guard_judge_budget=0))[1] == 0
    with pytest.raises(ValidationError, match="CITEWIRE_GUARD_JUDGE=true asks it about every sentence"):
        Settings(data_dir=tmp_path, guard_judge=True, guard_judge_budget=0)


def test_guard_judge_with_a_budget_of_one_asks_the_judge_once(tmp_path, fake):
    """GUARD_JUDGE=true made the budget 10**6 whatever GUARD_JUDGE_BUDGET said."""
    services = llm_services(tmp_path, fake, guard_judge=True, guard_judge_budget=1, llm_fallback_extractive=False)
    try:
        fake.reply(f"{GOOD} [1]. Kim travelled to Russia on his armoured private train [2].")
        fake.reply_with(lambda body: "yes 0.9")  # every judge call, should there be more than one
        services.answers.ask("What did Kim pledge?")
    finally:
        services.close()
    judged = [r for r in fake.requests if r.get("logprobs")]
    assert len(judged) == 1, [json.dumps(r)[:120] for r in fake.requests]


class _Collect(__import__("logging").Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records = []

    def emit(self, record) -> None:
        self.records.append(record)


def _captured(name: str, level: int):
    """The records one logger emits while the block runs (pytest's caplog misses loggers the app reconfigures)."""
    import contextlib
    import logging

    @contextlib.contextmanager
    def block():
        logger, handler = logging.getLogger(name), _Collect()
        logger.addHandler(handler)
        old = logger.level
        logger.setLevel(level)
        try:
            yield handler.records
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old)
    return block()


def test_in_mark_mode_a_supported_sentence_is_no_repeat_of_one_marked_unsupported():
    """A review: the repeat check read the sentences marked unsupported too, so a supported sentence whose words a
    marked one holds was dropped as a repeat, and the answer became a refusal."""
    from app.answer.guard import FaithfulnessGuard
    from app.answer.support import Support
    from app.retrieval.service import Passage

    class RejectsTreatiesChecker:  # a test double: supports every claim but one that mentions a treaty
        def check(self, claim, evidence):
            ok = "treaty" not in claim
            return Support(score=0.9 if ok else 0.1, supported=ok)

    passage = Passage(chunk_id="kim:0:x", article_id="kim", chunk_index=0, title="Kim meets Putin", source="s",
                      url="", published_at=None, text="Kim met Putin in Vladivostok on Tuesday.", char_start=0,
                      char_end=40, score=1.0)
    raw = ("Kim met Putin in Vladivostok on Tuesday and signed a treaty [1]. "
           "Kim met Putin in Vladivostok on Tuesday [1].")
    for mode in ("drop", "mark"):
        answer = FaithfulnessGuard(RejectsTreatiesChecker(), mode).apply(raw, [passage])
        assert answer.answerable, (mode, answer.refusal_reason)
        assert answer.guard["repeated"] == 0, (mode, answer.guard)
        assert "Kim met Putin in Vladivostok on Tuesday" in answer.answer
