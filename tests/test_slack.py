"""The Slack bot through real slack-bolt and slack_sdk code: signed requests into the FastAPI app,
Bolt's own verification, and a fake Slack Web API (a real HTTP server on 127.0.0.1) that records
what the bot posts. Answers come from the real services over the sample articles."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier
from typer.testing import CliRunner

from app.config import Settings
from app.main import create_app
from app.slack.render import MAX_BLOCKS, MAX_SECTION_CHARS, answer_message, split_text
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
CHANNEL = "C0NEWS"
pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def no_real_slack_env(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"CITEWIRE_{name}", raising=False)


@pytest.fixture
def fake():
    with FakeSlack(token=TOKEN) as server:
        yield server


def slack_settings(tmp_path, fake, **extra) -> Settings:
    return Settings(data_dir=tmp_path / "data", SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                    SLACK_API_URL=fake.base_url, slack_max_retries=2, **extra)


@pytest.fixture
def client(tmp_path, fake, corpus_services):
    with TestClient(create_app(slack_settings(tmp_path, fake), services=corpus_services)) as test_client:
        yield test_client


@contextlib.contextmanager
def sample_app(settings: Settings):
    """The app over its own services with the sample articles indexed (for settings the shared client lacks)."""
    from app.samples import index_samples
    from app.services import build_services

    services = build_services(settings)
    index_samples(services.ingest)
    try:
        with TestClient(create_app(settings, services=services)) as test_client:
            yield test_client
    finally:
        services.close()


def signed(body: str, content_type: str = "application/json", timestamp: int | None = None,
           secret: str = SECRET, **headers) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body), **headers}


def event_body(event: dict, event_id: str = "Ev001") -> str:
    return json.dumps({
        "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0CITE", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    })


def mention(fake: FakeSlack, text: str, channel: str = CHANNEL, thread_ts: str | None = None) -> dict:
    message = fake.add_message(channel, f"<@{BOT_USER_ID}> {text}", thread_ts=thread_ts)
    event = {"type": "app_mention", "user": "UALICE", "text": message["text"], "ts": message["ts"],
             "channel": channel, "event_ts": message["ts"]}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def wait_for_final_update(fake: FakeSlack, timeout: float = 30) -> None:
    """A streamed answer: the partial edits, then the last one, which carries the blocks."""
    fake.wait_for("chat.update", count=2)
    deadline = time.time() + timeout
    while time.time() < deadline and not any(u["params"].get("blocks") for u in fake.calls_to("chat.update")):
        time.sleep(0.1)


def post_event(client: TestClient, event: dict, event_id: str = "Ev001", **headers):
    body = event_body(event, event_id)
    return client.post("/slack/events", content=body, headers=signed(body, **headers))


def block_text(blocks: list[dict]) -> str:
    parts = []
    for block in blocks or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e["text"] for e in block.get("elements", [])]
    return "\n".join(parts)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- Bolt's request verification ------------------------------------------------------------------
def test_token_is_verified_at_start_up_against_the_configured_api(client, fake):
    calls = fake.calls_to("auth.test")
    assert calls and calls[0]["auth"] == f"Bearer {TOKEN}"


def test_url_verification_is_answered(client):
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    response = client.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_forged_signature_and_stale_timestamp_are_rejected(client, fake):
    event = mention(fake, "What did Kim pledge to Putin?")
    body = event_body(event)
    forged = client.post("/slack/events", content=body, headers=signed(body, secret="not-the-secret"))
    assert forged.status_code == 401 and forged.json()["error"] == "invalid request"
    stale = client.post("/slack/events", content=body, headers=signed(body, timestamp=int(time.time()) - 6 * 60))
    assert stale.status_code == 401
    tampered_headers = signed(body)
    tampered = client.post("/slack/events", content=body.replace("Kim", "Kym"), headers=tampered_headers)
    assert tampered.status_code == 401
    time.sleep(0.5)
    assert fake.calls_to("chat.postMessage") == []


def test_unparseable_bodies_and_timestamps_are_4xx_json_not_500(client, fake):
    """Bolt parses the body before it checks the signature, and reads the timestamp with int()."""
    unsigned = client.post("/slack/events", content="not json", headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "invalid request"
    signed_garbage = client.post("/slack/events", content="not json", headers=signed("not json"))
    assert signed_garbage.status_code == 400 and signed_garbage.json()["error"] == "invalid request"
    body = event_body(mention(fake, "What did Kim pledge to Putin?"))
    odd_timestamp = {**signed(body), "X-Slack-Request-Timestamp": "soon"}
    odd = client.post("/slack/events", content=body, headers=odd_timestamp)
    assert odd.status_code == 401 and odd.json()["error"] == "invalid request"
    latin1 = client.post("/slack/events", content=b"\xff\xfe{}", headers={"Content-Type": "application/json",
                                                                         "X-Slack-Request-Timestamp": "1",
                                                                         "X-Slack-Signature": "v0=00"})
    assert latin1.status_code == 401 and latin1.json()["error"] == "invalid request"
    for content_type, odd_body in [("application/json", "[]"), ("application/json", "1"), ("application/json", '"x"'),
                                   ("application/json", "[" * 5000 + "]" * 5000),
                                   ("application/x-www-form-urlencoded", "payload=%5B1%5D"),
                                   ("application/x-www-form-urlencoded", "payload=null")]:
        forged = client.post("/slack/events", content=odd_body, headers={"Content-Type": content_type})
        assert forged.status_code == 401, (odd_body[:20], forged.text)
        verified = client.post("/slack/events", content=odd_body, headers={**signed(odd_body),
                                                                           "Content-Type": content_type})
        assert verified.status_code == 400 and verified.json()["error"] == "invalid request", (odd_body[:20],
                                                                                               verified.text)
    time.sleep(0.3)
    assert fake.calls_to("chat.postMessage") == []


def test_unsigned_ssl_check_is_answered_200(client, fake):
    """Slack checks a slash command URL's certificate with an unsigned form post; Bolt answers it too."""
    body = "ssl_check=1&token=legacy"
    check = client.post("/slack/events", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert check.status_code == 200
    command = client.post("/slack/events", content="command=%2Fcitewire&text=hi",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert command.status_code == 401  # anything else unsigned is still refused


def test_signed_event_callback_without_an_event_is_400_not_404(client, fake):
    """Bolt answers a verified event_callback it cannot route with 404 "unhandled request"."""
    for missing in ({}, {"event": None}, {"event": "app_mention"}):
        payload = {**json.loads(event_body({})), **missing}
        if not missing:
            payload.pop("event")
        body = json.dumps(payload)
        response = client.post("/slack/events", content=body, headers=signed(body))
        assert response.status_code == 400, (missing, response.text)
        assert response.json()["error"] == "invalid request" and "event" in response.json()["detail"]
        forged = client.post("/slack/events", content=body, headers=signed(body, secret="wrong"))
        assert forged.status_code == 401
    assert fake.calls_to("chat.postMessage") == []


def test_not_mounted_without_tokens(tmp_path, corpus_services):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"), services=corpus_services)) as client:
        assert client.post("/slack/events", content="{}").status_code == 404


# --- answers ------------------------------------------------------------------------------------
def test_mention_is_answered_in_its_thread_with_block_kit_citations(client, fake, corpus_services):
    event = mention(fake, "What did Kim pledge to Putin?")
    response = post_event(client, event)
    assert response.status_code == 200
    [call] = fake.wait_for("chat.postMessage")
    params = call["params"]
    assert params["channel"] == CHANNEL and params["thread_ts"] == event["ts"]
    expected = corpus_services.answers.ask("What did Kim pledge to Putin?")
    assert expected.answerable and expected.citations
    text = unescape(block_text(params["blocks"]))
    assert "*Sources*" in text and "[1]" in text
    for citation in expected.citations:
        assert " ".join(citation.quote.split()) in text  # the verbatim quoted span
        assert citation.title in text and citation.url in text and citation.source in text
    assert "unconditional support" in params["text"]
    assert len(params["blocks"]) <= MAX_BLOCKS


def answered_once_though_retried(fake: FakeSlack, first: TestClient, retried_on: TestClient) -> None:
    """A mention answered by ``first``, Slack's retry of it sent to ``retried_on``: one answer, not two."""
    event = mention(fake, "Who scored the goal in the Women's World Cup final?")
    assert post_event(first, event).status_code == 200
    fake.wait_for("chat.postMessage")
    retry = post_event(retried_on, event, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    # A later, different question is answered: by then a duplicate would have been posted too.
    other = mention(fake, "What did Kim pledge to Putin?")
    post_event(retried_on, other, event_id="Ev002")
    fake.wait_for("chat.postMessage", count=2)
    time.sleep(0.5)
    posts = fake.calls_to("chat.postMessage")
    assert sorted(p["params"]["thread_ts"] for p in posts) == sorted([event["ts"], other["ts"]])


def test_slack_retry_never_produces_a_second_answer(client, fake):
    answered_once_though_retried(fake, client, client)


def test_thread_follow_up_uses_the_thread_as_chat_history(client, fake):
    root = fake.add_message(CHANNEL, f"<@{BOT_USER_ID}> What did Kim pledge to Putin?")
    fake.add_message(CHANNEL, "Kim pledged full and unconditional support [1].", user=BOT_USER_ID, bot_id=BOT_ID,
                     thread_ts=root["ts"])
    fake.add_message(CHANNEL, "nice summary, thanks", user="UOTHERBOT", bot_id="BOTHER", thread_ts=root["ts"])
    follow_up = mention(fake, "And where did they meet?", thread_ts=root["ts"])
    post_event(client, follow_up)
    [call] = fake.wait_for("chat.postMessage")
    [replies] = fake.calls_to("conversations.replies")
    assert replies["params"]["ts"] == root["ts"] and replies["params"]["channel"] == CHANNEL
    params = call["params"]
    assert params["thread_ts"] == root["ts"]
    text = unescape(block_text(params["blocks"]))
    assert "Answered as: And where did they meet? (Kim, Putin)" in text  # the condenser used the thread
    assert "Vostochny" in params["text"]


def test_follow_up_without_history_is_not_rewritten(client, fake):
    post_event(client, mention(fake, "And where did they meet?"))
    [call] = fake.wait_for("chat.postMessage")
    assert "Answered as" not in block_text(call["params"].get("blocks"))
    assert fake.calls_to("conversations.replies") == []


def test_refusal_is_plain_text_saying_why(client, fake):
    event = mention(fake, "What did Joe Biden say about the meeting?")
    post_event(client, event)
    [call] = fake.wait_for("chat.postMessage")
    params = call["params"]
    assert params["thread_ts"] == event["ts"] and not params.get("blocks")
    assert params["text"].startswith("Sorry, I can't answer that") and "biden" in params["text"].lower()


def test_summarize_command_word_with_an_article_id_and_a_topic(client, fake):
    by_id = mention(fake, "summarize kim-putin-vostochny-2023")
    post_event(client, by_id)
    by_topic = mention(fake, "summarise the Derna floods")
    post_event(client, by_topic, event_id="Ev002")
    posts = {p["params"]["thread_ts"]: p["params"] for p in fake.wait_for("chat.postMessage", count=2)}
    article = unescape(block_text(posts[by_id["ts"]]["blocks"]))
    assert "Summary of article kim-putin-vostochny-2023" in article and "*Sources*" in article
    assert "Vostochny" in article
    topic = unescape(block_text(posts[by_topic["ts"]]["blocks"]))
    assert "Summary of “the Derna floods”" in topic and "Derna" in topic


def test_summarize_of_a_topic_longer_than_the_api_takes_is_refused_with_a_reason(client, fake):
    topic = "Kim and Putin " * 200
    event = mention(fake, "summarize " + topic)
    post_event(client, event)
    [call] = fake.wait_for("chat.postMessage")
    # the summarize service's words, as HTTP, MCP and the CLI give them
    assert call["params"]["text"] == (
        f"Sorry, I can't summarise that: the topic is longer than 2000 characters ({len(topic.strip())}).")


def test_direct_message_is_answered_and_bot_messages_are_ignored(client, fake):
    from_bot = fake.add_message("D0DM", "What did Kim pledge?", user="UOTHERBOT", bot_id="BOTHER")
    assert post_event(client, {"type": "message", "channel_type": "im", "channel": "D0DM", "ts": from_bot["ts"],
                               "text": from_bot["text"], "bot_id": "BOTHER", "subtype": "bot_message"},
                      event_id="EvBot").status_code == 200
    own = fake.add_message("D0DM", "Kim pledged support [1].", user=BOT_USER_ID, bot_id=BOT_ID)
    assert post_event(client, {"type": "message", "channel_type": "im", "channel": "D0DM", "ts": own["ts"],
                               "user": BOT_USER_ID, "text": own["text"], "bot_id": BOT_ID},
                      event_id="EvOwn").status_code == 200
    human = fake.add_message("D0DM", "Who scored the goal in the Women's World Cup final?")
    post_event(client, {"type": "message", "channel_type": "im", "channel": "D0DM", "ts": human["ts"],
                        "user": "UALICE", "text": human["text"]}, event_id="EvHuman")
    fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    [call] = fake.calls_to("chat.postMessage")
    assert call["params"]["thread_ts"] == human["ts"] and "Olga Carmona" in call["params"]["text"]


def test_rate_limited_post_is_retried_after_retry_after(client, fake):
    fake.fail("chat.postMessage", status=429, retry_after=1)
    event = mention(fake, "What did Kim pledge to Putin?")
    post_event(client, event)
    [ok] = fake.wait_for("chat.postMessage")
    calls = fake.calls_to("chat.postMessage")
    assert [c["status"] for c in calls] == [429, 200]
    assert calls[0]["params"]["text"] == ok["params"]["text"] and ok["params"]["thread_ts"] == event["ts"]


def test_errors_are_shown_briefly_and_logged_in_full(client, fake, corpus_services, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("index exploded at chunk 42")

    monkeypatch.setattr(corpus_services.answers, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="app.slack.bot"):
        post_event(client, mention(fake, "What did Kim pledge to Putin?"))
        [call] = fake.wait_for("chat.postMessage")
    assert call["params"]["text"].startswith("Sorry, something went wrong") and "RuntimeError" in call["params"]["text"]
    assert "chunk 42" not in call["params"]["text"]
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "chunk 42" in str(logged[0].exc_info[1])


# --- slash command -------------------------------------------------------------------------------
def command_body(fake: FakeSlack, text: str, channel: str = CHANNEL) -> str:
    return urlencode({"token": "legacy", "team_id": TEAM_ID, "channel_id": channel, "channel_name": "news",
                      "user_id": "UALICE", "user_name": "alice", "command": "/citewire", "text": text,
                      "api_app_id": "A0CITE", "response_url": fake.response_url(), "trigger_id": "1.2.3"})


def test_slash_command_acks_fast_then_answers_in_a_thread(client, fake):
    body = command_body(fake, "What did Kim pledge to Putin?")
    started = time.monotonic()
    response = client.post("/slack/events", content=body,
                           headers=signed(body, content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 200 and time.monotonic() - started < 3
    root, answer = fake.wait_for("chat.postMessage", count=2)
    assert root["params"]["channel"] == CHANNEL and "asked: What did Kim pledge to Putin?" in root["params"]["text"]
    assert root["params"]["metadata"]["event_payload"]["question"] == "What did Kim pledge to Putin?"
    assert answer["params"]["thread_ts"] == root["response"]["ts"]
    assert "unconditional support" in unescape(block_text(answer["params"]["blocks"]))


def test_slash_command_follow_up_in_its_thread_sees_the_question(client, fake):
    body = command_body(fake, "What did Kim pledge to Putin?")
    client.post("/slack/events", content=body,
                headers=signed(body, content_type="application/x-www-form-urlencoded"))
    root, _ = fake.wait_for("chat.postMessage", count=2)
    post_event(client, mention(fake, "And where did they meet?", thread_ts=root["response"]["ts"]))
    third = fake.wait_for("chat.postMessage", count=3)[-1]
    assert "(Kim, Putin)" in block_text(third["params"]["blocks"])


def test_slash_command_without_text_shows_usage_and_a_closed_channel_uses_response_url(client, fake):
    empty = command_body(fake, "")
    usage = client.post("/slack/events", content=empty,
                        headers=signed(empty, content_type="application/x-www-form-urlencoded"))
    assert usage.status_code == 200 and "summarize" in usage.json()["text"]
    closed = command_body(fake, "What did Kim pledge to Putin?", channel="CNOTIN1")
    client.post("/slack/events", content=closed,
                headers=signed(closed, content_type="application/x-www-form-urlencoded"))
    [response] = fake.wait_for("response_url")
    assert response["params"]["response_type"] == "ephemeral"
    assert "unconditional support" in unescape(block_text(response["params"]["blocks"]))


def test_slash_command_with_a_question_too_long_is_told_to_the_asker_not_echoed_to_the_channel(client, fake):
    """A 3,000-character question was posted in full as "@alice asked: …" in the channel, then refused."""
    body = command_body(fake, "Why " + "x" * 3000 + "?")
    response = client.post("/slack/events", content=body,
                           headers=signed(body, content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral" and "too long" in response.json()["text"]
    topic = command_body(fake, "summarize " + "floods " * 400)
    response = client.post("/slack/events", content=topic,
                           headers=signed(topic, content_type="application/x-www-form-urlencoded"))
    assert response.json()["response_type"] == "ephemeral" and "longer than 2000" in response.json()["text"]
    ok = command_body(fake, "What did Kim pledge to Putin?")  # posted after: had a long one been echoed, first
    client.post("/slack/events", content=ok, headers=signed(ok, content_type="application/x-www-form-urlencoded"))
    root = fake.wait_for("chat.postMessage")[0]
    assert "asked: What did Kim pledge to Putin?" in root["params"]["text"]


# --- streaming with an LLM --------------------------------------------------------------------------
def test_llm_answer_streams_by_editing_one_message(tmp_path, fake, monkeypatch):
    from tests.fake_openai import FakeOpenAIServer

    monkeypatch.setattr("app.slack.bot.STREAM_UPDATE_SECONDS", 0.0)
    with FakeOpenAIServer() as llm:
        llm.reply("Kim pledged to Putin that North Korea would give full and unconditional support to Moscow [1].")
        fake.fail("chat.update", status=200, error="internal_error")  # a partial edit fails: streaming goes on
        settings = slack_settings(tmp_path, fake, llm_base_url=llm.base_url, llm_model="fake-model", llm_api_key="x")
        with sample_app(settings) as client:
            event = mention(fake, "What did Kim pledge?")
            post_event(client, event)
            wait_for_final_update(fake)
    [placeholder] = fake.calls_to("chat.postMessage")
    assert placeholder["params"]["thread_ts"] == event["ts"]
    updates = fake.calls_to("chat.update")
    assert len(updates) >= 3 and {u["params"]["ts"] for u in updates} == {placeholder["response"]["ts"]}
    assert not updates[0]["ok"] and all(u["ok"] for u in updates[1:])
    assert not updates[0]["params"].get("blocks")  # partial text while generating
    final = updates[-1]["params"]
    assert final["blocks"] and "unconditional support" in unescape(block_text(final["blocks"]))
    assert "*Sources*" in block_text(final["blocks"])


# --- Socket Mode and the CLI -------------------------------------------------------------------------
def test_socket_mode_receives_an_event_acks_it_and_answers(tmp_path, fake, corpus_services):
    from app.slack.socket import socket_mode_handler

    settings = slack_settings(tmp_path, fake, SLACK_APP_TOKEN="xapp-test-token")
    handler = socket_mode_handler(settings, corpus_services)
    handler.connect()
    try:
        assert fake.wait_socket_connected()
        event = mention(fake, "What did Kim pledge to Putin?")
        fake.send_envelope({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                            "retry_attempt": 0, "retry_reason": "", "payload": json.loads(event_body(event))})
        [ack] = fake.wait_for("socket_ack")
        [call] = fake.wait_for("chat.postMessage")
    finally:
        handler.close()
    assert ack["params"]["envelope_id"] == "env-1"
    assert call["params"]["thread_ts"] == event["ts"] and "unconditional support" in call["params"]["text"]
    assert fake.calls_to("apps.connections.open")[0]["auth"] == "Bearer xapp-test-token"


def test_cli_socket_mode_without_tokens_is_a_one_line_error(tmp_path, monkeypatch):
    from app.cli import cli

    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["slack", "--socket"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN")


# --- Slack's limits --------------------------------------------------------------------------------
def test_long_answers_and_many_sources_stay_within_slack_limits():
    from app.answer.models import Answer, Citation

    long_text = " ".join(f"Sentence number {i} says something about the summit [1]." for i in range(700))
    citations = [Citation(n=i, article_id=f"a{i}", chunk_id=f"a{i}:0", title=f"Title {i} <b>&</b>", source="Wire",
                          url=f"https://example.com/{i}", published_at="2023-09-13", quote="quoted words " * 400,
                          char_start=0, char_end=10) for i in range(1, 40)]
    text, blocks = answer_message(Answer(answer=long_text, answerable=True, citations=citations))
    assert len(blocks) <= MAX_BLOCKS and len(text) < 4000
    assert all(len(b["text"]["text"]) <= MAX_SECTION_CHARS for b in blocks if "text" in b)
    assert "more source(s) not shown" in block_text(blocks)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in block_text(blocks)  # titles cannot inject mrkdwn
    pieces = split_text(long_text)
    assert " ".join(pieces) == long_text and all(len(p) <= MAX_SECTION_CHARS for p in pieces)
    assert all(p.endswith(".") for p in pieces)  # cut after sentences


def test_manifest_subscribes_to_what_the_app_handles():
    import yaml

    from app.slack.http import EVENTS_PATH
    from tests.conftest import REPO

    manifest = yaml.safe_load((REPO / "slack" / "manifest.yaml").read_text())
    events = manifest["settings"]["event_subscriptions"]
    assert set(events["bot_events"]) == {"app_mention", "message.im"} and events["request_url"].endswith(EVENTS_PATH)
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/citewire" and command["url"].endswith(EVENTS_PATH)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history", "channels:history"} <= scopes


def test_cli_socket_mode_starts_connects_and_answers(tmp_path, fake):
    """`citewire slack --socket` as a real process, pointed at the fake Slack through the environment."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    env = os.environ | {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-test-token",
                        "SLACK_API_URL": fake.base_url, "CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "slack", "--socket"],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               # Python turns SIGINT into KeyboardInterrupt only if the parent did not ignore it,
                               # and an earlier test in the run can leave it ignored in this process
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert fake.wait_socket_connected(timeout=90), process.stderr.read() if process.poll() is not None else ""
        event = mention(fake, "What did Kim pledge to Putin?")  # the index is empty: a polite refusal
        fake.send_envelope({"envelope_id": "env-cli", "type": "events_api", "accepts_response_payload": False,
                            "retry_attempt": 0, "retry_reason": "", "payload": json.loads(event_body(event))})
        [call] = fake.wait_for("chat.postMessage")
        assert call["params"]["thread_ts"] == event["ts"] and call["params"]["text"].startswith("Sorry")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, err
    assert "connected to Slack over Socket Mode" in out


def test_a_token_slack_rejects_disables_only_the_slack_route(tmp_path, fake, corpus_services):
    settings = Settings(data_dir=tmp_path / "data", SLACK_BOT_TOKEN="xoxb-revoked", SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=fake.base_url)
    with TestClient(create_app(settings, services=corpus_services)) as client:
        body = event_body(mention(fake, "What did Kim pledge?"))
        response = client.post("/slack/events", content=body, headers=signed(body))
        assert response.status_code == 503 and response.json()["error"] == "slack unavailable"
        assert client.get("/healthz").status_code == 200
    assert fake.calls_to("auth.test")[0]["auth"] == "Bearer xoxb-revoked"


def test_a_channel_message_event_does_not_swallow_the_mention_of_the_same_message(client, fake):
    event = mention(fake, "Who scored the goal in the Women's World Cup final?")
    as_message = {k: v for k, v in event.items() if k != "type"} | {"type": "message", "channel_type": "channel"}
    assert post_event(client, as_message, event_id="EvMsg").status_code == 200
    post_event(client, event, event_id="EvMention")
    [call] = fake.wait_for("chat.postMessage")
    assert call["params"]["thread_ts"] == event["ts"] and "Olga Carmona" in call["params"]["text"]


def test_slack_out_of_reach_at_start_up_disables_only_the_slack_route(tmp_path, corpus_services, caplog):
    """Nothing listens at the API URL: the token check fails with a connection error (URLError)."""
    settings = Settings(data_dir=tmp_path / "data", SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL="http://127.0.0.1:1/api/", slack_max_retries=0)
    with TestClient(create_app(settings, services=corpus_services)) as client:
        body = event_body({"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.0", "channel": CHANNEL})
        response = client.post("/slack/events", content=body, headers=signed(body))
        assert response.status_code == 503 and response.json()["error"] == "slack unavailable"
        assert "not reachable" in response.json()["detail"]
        # a forged request is told nothing about the bot: the signature is checked first, as when Slack is up
        forged = client.post("/slack/events", content=body, headers={**signed(body), "X-Slack-Signature": "v0=00"})
        assert forged.status_code == 401
        assert client.get("/healthz").status_code == 200
    assert "Slack (http://127.0.0.1:1/api/) was not reachable" in caplog.text


# --- a new user's walkthrough (2026-11-27) ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["<#C024BE7LR|general> What did Kim pledge to Putin?",
                                  "What did Kim pledge to Putin? <!subteam^S123|@analysts>",
                                  "What did Kim pledge to Putin? :thinking_face::skin-tone-2:"])
def test_channel_and_group_links_and_emoji_are_not_read_as_the_question(client, fake, text):
    """They were: "the passages never mention c024be7lr", "… never mention s123", and an emoji refused the question."""
    post_event(client, mention(fake, text))
    [call] = fake.wait_for("chat.postMessage")
    assert "unconditional support" in call["params"]["text"], call["params"]["text"]


def test_signed_interactive_payloads_are_400_not_a_500_from_inside_bolt(client, fake):
    for payload in ({"type": "block_actions", "actions": []}, {"type": "block_actions", "actions": "x"},
                    {"type": "view_submission", "view": "x"}):
        form = urlencode({"payload": json.dumps(payload)})
        response = client.post("/slack/events", content=form,
                               headers=signed(form, content_type="application/x-www-form-urlencoded"))
        assert response.status_code == 400 and "interactive" in response.json()["detail"], response.text
    body = json.dumps({"type": "view_submission", "view": "x"})
    assert client.post("/slack/events", content=body, headers=signed(body)).status_code == 400
    assert fake.calls_to("chat.postMessage") == []


def test_an_llm_that_is_down_turns_the_placeholder_into_the_reason(tmp_path, fake):
    """The "Looking through the articles…" placeholder stayed in the thread for good, and a second message named only
    the exception's class (APIConnectionError)."""
    settings = slack_settings(tmp_path, fake, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_api_key="x",
                              llm_max_retries=0, llm_outage_fallback="error")  # the default falls back: below
    with sample_app(settings) as client:
        post_event(client, mention(fake, "What did Kim pledge?"))
        [update] = fake.wait_for("chat.update")
    [placeholder] = fake.calls_to("chat.postMessage")  # one message only: the placeholder, then edited
    assert update["params"]["ts"] == placeholder["response"]["ts"]
    assert "is not reachable" in update["params"]["text"] and "LLM endpoint is not reachable" in update["params"]["text"] and "try again" in update["params"]["text"]


def test_an_llm_that_is_down_gives_the_extractive_answer_with_a_footer_saying_so(tmp_path, fake):
    """CITEWIRE_LLM_OUTAGE_FALLBACK=extractive (the default): the placeholder becomes the extractive answer, and its
    last block, a context line, says it was made without the LLM and why."""
    settings = slack_settings(tmp_path, fake, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_api_key="x",
                              llm_max_retries=0)
    with sample_app(settings) as client:
        post_event(client, mention(fake, "What did Kim pledge?"))
        [update] = fake.wait_for("chat.update")
    assert "unconditional support" in update["params"]["text"], update["params"]["text"]
    blocks = update["params"]["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    footer = blocks[-1]
    assert footer["type"] == "context", footer
    note = footer["elements"][0]["text"]
    assert note.startswith("Answered without the LLM, from the articles' own sentences: the LLM endpoint is not "
                           "reachable"), note
    assert "127.0.0.1:9" not in note


def test_an_event_without_a_channel_or_ts_is_logged_in_one_line_not_answered(client, fake, caplog):
    """Slack always sends both; a malformed or hand-made event ended in a KeyError traceback from Bolt."""
    import logging

    event = mention(fake, "What did Kim pledge?")
    del event["channel"]
    with caplog.at_level(logging.WARNING, logger="app.slack.bot"):
        assert post_event(client, event).status_code == 200
        deadline = time.time() + 10
        while time.time() < deadline and "without channel" not in caplog.text:
            time.sleep(0.05)
    assert "app_mention event without channel; not answered" in caplog.text
    assert "Traceback" not in caplog.text and fake.calls_to("chat.postMessage") == []


def test_a_message_is_taken_on_once_per_host_whichever_worker_gets_it(tmp_path):
    """``citewire serve --workers 2``: Slack's retry reached the other worker, whose memory had not seen it, and
    the message was answered twice. The workers of one host claim messages in one file."""
    from app.slack.conversation import SeenMessages

    path = tmp_path / "data" / "slack_seen.sqlite"
    first_worker, second_worker = SeenMessages(path=path), SeenMessages(path=path)
    assert first_worker.first_time("C1:1700000201.000100")
    assert not second_worker.first_time("C1:1700000201.000100")  # the retry, on the other worker
    assert not first_worker.first_time("C1:1700000201.000100")
    assert second_worker.first_time("C1:1700000202.000100")  # another message is still answered
    alone = SeenMessages()  # without a file: per process, as Socket Mode's single process needs
    assert alone.first_time("C1:1700000201.000100") and not alone.first_time("C1:1700000201.000100")


def test_a_seen_file_that_cannot_be_written_leaves_answers_to_the_process_memory(tmp_path, caplog):
    from app.slack.conversation import SeenMessages

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    seen = SeenMessages(path=blocked / "slack_seen.sqlite")
    assert seen.first_time("C1:1.0") and not seen.first_time("C1:1.0")
    assert "cannot record message C1:1.0" in caplog.text


def test_a_retry_to_a_second_app_on_the_same_data_dir_is_not_answered(tmp_path, fake, corpus_services):
    """Two apps over one data dir (two workers of one host): the first answers, the retry to the second does not."""
    settings = slack_settings(tmp_path, fake)
    with TestClient(create_app(settings, services=corpus_services)) as first, \
            TestClient(create_app(settings, services=corpus_services)) as second:
        answered_once_though_retried(fake, first, second)
