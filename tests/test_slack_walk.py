"""A new user's walk through the Slack bot, over real signed requests and a fake Slack Web API:
what the bot posts back must be safe Slack text (nothing a person, an article or the model wrote can
ping @channel or forge a link) and within Slack's limits as sent."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.answer.models import Answer, Citation
from app.main import create_app
from app.slack.render import MAX_BLOCKS, MAX_FALLBACK_CHARS, MAX_SECTION_CHARS, answer_message, split_text
from tests import test_slack
from tests.test_slack import (
    command_body,
    mention,
    post_event,
    sample_app,
    signed,
    slack_settings,
    unescape,
    wait_for_final_update,
)

# test_slack's fixtures, shared: the fake Slack Web API, the signed-request client, no real tokens.
fake, client, no_real_slack_env = test_slack.fake, test_slack.client, test_slack.no_real_slack_env

pytestmark = pytest.mark.integration

# What Slack reads as a control sequence: a special mention, a user mention or a link, written raw.
RAW_CONTROL = re.compile(r"<[!@#]|<https?:")


def test_echoed_topic_cannot_ping_the_channel_and_the_refusal_says_why(client, fake):
    """Slack sends a typed @channel as ``<!channel>``; the bot used to post it back raw in
    "nothing to summarise for “<!channel>”", which pings everyone in the channel. It is now dropped from what
    is asked (an address, not a topic); the literal text "<!channel>" (sent as entities) is echoed escaped."""
    post_event(client, mention(fake, "summarize <!channel> and <https://evil.example|click here>"))
    post_event(client, mention(fake, "summarize &lt;!channel&gt; and more"), event_id="Ev002")
    texts = [call["params"]["text"] for call in fake.wait_for("chat.postMessage", count=2)]
    dropped, literal = sorted(texts, key=lambda text: "click here" not in text)  # answered in either order
    for text in (dropped, literal):
        assert not RAW_CONTROL.search(text), text
        assert text.startswith("Sorry, I can't summarise") and "from the articles I have:" in text  # with its reason
    assert "“and click here”" in dropped
    assert "&lt;!channel&gt;" in literal


def test_usage_text_is_escaped_for_slack(client, fake):
    body = command_body(fake, "help")
    response = client.post("/slack/events", content=body,
                           headers=signed(body, content_type="application/x-www-form-urlencoded"))
    text = response.json()["text"]
    assert "<" not in text and "&lt;question&gt;" in text  # `<question>` was a raw control sequence


def test_streamed_model_text_is_escaped_in_every_edit(tmp_path, fake, monkeypatch):
    """The partial edits while an LLM answer streams are plain text: the model's words (which an
    article can steer) must not become a mention or a link before the guard has even run."""
    from app.samples import index_samples
    from app.services import build_services
    from tests.fake_openai import FakeOpenAIServer

    monkeypatch.setattr("app.slack.bot.STREAM_UPDATE_SECONDS", 0.0)
    with FakeOpenAIServer() as llm:
        llm.reply("Kim pledged to Putin that North Korea would give full and unconditional support to Moscow [1]. "
                  "<!channel> read <https://evil.example|this> now.")
        settings = slack_settings(tmp_path, fake, llm_base_url=llm.base_url, llm_model="fake-model", llm_api_key="x")
        services = build_services(settings)
        index_samples(services.ingest)
        try:
            with TestClient(create_app(settings, services=services)) as test_client:
                post_event(test_client, mention(fake, "What did Kim pledge?"))
                wait_for_final_update(fake)
        finally:
            services.close()
    updates = fake.calls_to("chat.update")
    partial = [u["params"]["text"] for u in updates if not u["params"].get("blocks")]
    assert any("&lt;!channel&gt;" in text for text in partial)  # the edits did show the model's words
    for update in updates:
        assert not RAW_CONTROL.search(update["params"]["text"]), update["params"]["text"]
        for block in update["params"].get("blocks") or []:
            section = (block.get("text") or {}).get("text", "")
            assert not re.search(r"<!|<https://evil", section)


def test_sections_stay_within_slack_limits_as_sent_after_escaping():
    """Slack counts the section text it receives, entities included: text was split before escaping,
    so a 2,990-character answer with '&' in it became a section over 3,000 characters."""
    body = " ".join(["Smith & Wesson and AT&T said R&D spending rose [1]."] * 57)  # ~2,960 characters raw
    assert MAX_SECTION_CHARS - 100 < len(body) <= MAX_SECTION_CHARS
    quote = "Q&A " * 700  # a quote longer than one section once escaped
    citation = Citation(n=1, article_id="a1", chunk_id="a1:0", title="T&T", source="Wire", url="https://example.com/a",
                        published_at="2023-09-13", quote=quote.strip(), char_start=0, char_end=len(quote.strip()))
    text, blocks = answer_message(Answer(answer=body, answerable=True, citations=[citation]))
    assert len(blocks) <= MAX_BLOCKS
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= MAX_SECTION_CHARS for s in sections), max(map(len, sections))
    assert " ".join(unescape(s) for s in sections[:2]).startswith(body[:2000])
    assert len(text) <= MAX_FALLBACK_CHARS and not re.search(r"&(?!amp;|lt;|gt;)", text)


def test_a_hard_cut_never_splits_an_escaped_entity():
    escaped = "&amp;" * 1000  # no space or sentence end to cut at
    pieces = split_text(escaped, 2998)
    assert all(len(p) <= 2998 for p in pieces) and len(pieces) == 2
    assert all(re.fullmatch(r"(&amp;)+", p) for p in pieces), [p[-8:] for p in pieces]


def summarize_with_an_inventing_model(tmp_path, fake, **settings) -> dict:
    """The bot's one post for "summarize kim-putin-vostochny-2023" while the model invents every sentence."""
    from tests.fake_openai import FakeOpenAIServer

    with FakeOpenAIServer() as llm:
        llm.reply("The council bought a golden submarine [1]. Aliens landed in Paris on Tuesday [1].")
        settings = slack_settings(tmp_path, fake, llm_base_url=llm.base_url, llm_model="fake-model", llm_api_key="x",
                                  **settings)
        with sample_app(settings) as test_client:
            post_event(test_client, mention(fake, "summarize kim-putin-vostochny-2023"))
            [call] = fake.wait_for("chat.postMessage")
    return call


def test_an_llm_summary_the_guard_dropped_entirely_says_so(tmp_path, fake):
    """The model invents every sentence of an article summary (and the extractive fallback is off): the bot said
    "I found nothing to summarise", as if the article were empty, instead of why there is no summary."""
    call = summarize_with_an_inventing_model(tmp_path, fake, llm_fallback_extractive=False)
    text = call["params"]["text"]
    assert text.startswith("Sorry, I have no summary of article kim-putin-vostochny-2023")
    assert re.search(r"none of the \d+ sentence\(s\) the model wrote was supported", text)
    assert "golden submarine" not in text and not call["params"].get("blocks")


def test_an_llm_summary_the_guard_dropped_entirely_falls_back_to_the_extractive_one(tmp_path, fake):
    """With the fallback on (the default), as for an answer: the verbatim extractive summary, with its sources."""
    call = summarize_with_an_inventing_model(tmp_path, fake)
    text, blocks = call["params"]["text"], call["params"].get("blocks")
    assert not text.startswith("Sorry") and "golden submarine" not in text and "Aliens" not in text
    assert re.search(r"\[1\]", text) and blocks and "Kim" in unescape(text)
