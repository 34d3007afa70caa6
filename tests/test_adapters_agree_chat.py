"""Slack and the OpenAI-compatible route read a question as every other adapter does
(app/request_types.question_text: NFKC, stripped, 1-2000 characters counted after both): a full-width question
is answered as its plain form, with the same verbatim quotes; a question NFKC makes too long is refused."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests import test_slack
from tests.test_adapters_agree import full_width
from tests.test_slack import mention, post_event, slack_settings

fake, no_real_slack_env = test_slack.fake, test_slack.no_real_slack_env  # the fake Slack Web API, no real tokens

QUESTION = "What did Kim pledge?"
TOO_LONG = "\u3300" * 600  # 600 characters that NFKC makes 2,400 (㌀ is アパート)


@pytest.fixture
def client(tmp_path, fake):
    settings = slack_settings(tmp_path, fake, index_samples=True, warmup=False)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def completion(client, content: str):
    return client.post("/v1/chat/completions", json={"model": "citewire", "messages": [{"role": "user", "content": content}]})


def cited(citations: list[dict]) -> list[tuple]:
    return [(c["article_id"], c["char_start"], c["char_end"], c["quote"]) for c in citations]


def test_a_full_width_question_is_answered_alike_over_the_openai_route(client):
    asked = client.post("/v1/ask", json={"question": QUESTION}).json()
    plain, wide = completion(client, QUESTION), completion(client, full_width(QUESTION))
    assert plain.status_code == wide.status_code == 200, wide.text
    plain_message, wide_message = plain.json()["choices"][0]["message"], wide.json()["choices"][0]["message"]
    assert asked["answerable"] and wide_message["citewire"]["answerable"], wide_message["content"]
    assert cited(wide_message["citations"]) == cited(plain_message["citations"]) == cited(asked["citations"])
    assert wide_message["content"] == plain_message["content"]
    assert wide_message["citewire"]["standalone_question"] == QUESTION  # what was searched
    for article_id, start, end, quote in cited(wide_message["citations"]):
        assert client.get(f"/v1/articles/{article_id}").json()["text"][start:end] == quote


def test_a_question_nfkc_makes_too_long_is_an_openai_shaped_400(client):
    response = completion(client, TOO_LONG)
    assert response.status_code == 400 and response.json()["error"]["code"] == "string_above_max_length"
    assert response.json()["error"]["param"] == "messages" and "2000" in response.json()["error"]["message"]
    assert client.post("/v1/ask", json={"question": TOO_LONG}).status_code == 422  # as /v1/ask refuses it
    blank = completion(client, " \n\u3000 ")
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "invalid_value"


def test_a_full_width_question_is_answered_alike_in_slack(client, fake):
    post_event(client, mention(fake, QUESTION), event_id="Ev1")
    [plain] = fake.wait_for("chat.postMessage")
    post_event(client, mention(fake, full_width(QUESTION)), event_id="Ev2")
    wide = fake.wait_for("chat.postMessage", count=2)[1]
    assert not wide["params"]["text"].startswith("Sorry"), wide["params"]["text"]
    assert wide["params"]["text"] == plain["params"]["text"] and wide["params"]["blocks"] == plain["params"]["blocks"]
    shown = test_slack.unescape(test_slack.block_text(wide["params"]["blocks"]))
    for _, _, _, quote in cited(client.post("/v1/ask", json={"question": QUESTION}).json()["citations"]):
        assert " ".join(quote.split()) in shown  # the stored text, verbatim (Slack shows it on one line)


def test_a_question_nfkc_makes_too_long_is_refused_in_slack(client, fake):
    post_event(client, mention(fake, TOO_LONG), event_id="Ev3")
    [call] = fake.wait_for("chat.postMessage")
    assert call["params"]["text"].startswith("Sorry, that question is too long"), call["params"]["text"][:200]


def test_answering_in_slack_leaves_the_access_log_alone(client, fake):
    """Bolt sets the level of the logger named after its app to the root's on each request; the app was named
    "citewire", the parent of our "citewire.access", so a root at WARNING then silenced the access lines for good."""
    root = logging.getLogger()
    saved = root.level
    try:
        root.setLevel(logging.WARNING)
        post_event(client, mention(fake, QUESTION), event_id="Ev4")
        fake.wait_for("chat.postMessage")
        root.setLevel(logging.INFO)
        assert logging.getLogger("citewire.access").isEnabledFor(logging.INFO)
    finally:
        root.setLevel(saved)
