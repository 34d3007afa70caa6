"""Findings of a new-user walk over the web page's API calls, the OpenAI-compatible routes and summaries
(2026-11-29, fourth session): each failed before its fix."""

from __future__ import annotations

import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.answer.chat import asks_nothing_itself, heuristic_rewrite
from app.retrieval.features import starts_with_pronoun
from app.summarize.candidates import mmr_select

KIM = [{"role": "user", "content": "What did Kim pledge?"}, {"role": "assistant", "content": "Kim pledged full support [1]"}]


@pytest.mark.parametrize("follow_up, alone", [
    ("And when?", True), ("When was that?", True), ("Where did he say it?", True), ("Why?", True),
    ("What's that?", True), ("What else?", True), ("What happened next?", True), ("and when?", True),
    ("And who went with him?", False), ("Where did they meet?", False), ("How many died in Derna?", False),
])
def test_a_follow_up_that_asks_nothing_itself_is_told_apart(follow_up, alone):
    assert asks_nothing_itself(follow_up) is alone


def test_a_follow_up_that_asks_nothing_itself_is_read_with_the_earlier_event_not_only_its_names():
    """"And when?" after "What did Kim pledge?" was asked as "And when? (Kim)": any Kim story would do."""
    assert heuristic_rewrite(KIM, "And when?") == "And when? (Kim, pledge)"
    # a follow-up that asks something of its own keeps the names only (its own words steer it)
    assert heuristic_rewrite(KIM, "And who went with him?") == "And who went with him? (Kim)"
    assert heuristic_rewrite(KIM, "What happened next?") == "What happened next? (Kim, pledge)"
    # many names leave room for the event's words (a review: "Why?" got six names and no "discuss")
    many = [{"role": "user", "content": "What did Kim Jong Un and Vladimir Putin of Russia discuss?"}, KIM[1]]
    assert heuristic_rewrite(many, "Why?").endswith(", discuss)"), heuristic_rewrite(many, "Why?")


@pytest.fixture(scope="module")
def client(corpus_services):
    from app.main import create_app

    with TestClient(create_app(corpus_services.settings, services=corpus_services)) as client:
        yield client


@pytest.mark.parametrize("follow_up", ["And when?", "When was that?"])
def test_when_of_a_pledge_is_answered_from_the_pledge_article(client, follow_up):
    """With the two real articles indexed it answered "Kim Jong Un received Sergei Shoigu … on June 4, 2025"."""
    reply = client.post("/v1/chat", json={"messages": [*KIM, {"role": "user", "content": follow_up}]}).json()
    assert reply["answerable"], reply
    assert {c["article_id"] for c in reply["citations"]} == {"kim-putin-vostochny-2023"}, reply["citations"]
    assert "September 13, 2023" in reply["answer"], reply["answer"]


@pytest.mark.parametrize("max_words", [40, 60, 100, 150, 300])
@pytest.mark.parametrize("topic", ["Federal Reserve interest rates", "Kim Putin meeting", "Derna floods"])
def test_a_topic_summary_quotes_a_pronoun_sentence_only_after_the_sentence_it_leans_on(corpus_services, topic,
                                                                                        max_words):
    """"He also said relations with Russia were the top priority for Pyongyang." opened the Fed topic's summary."""
    summary = corpus_services.summaries.summarize_topic(topic, max_words=max_words)
    quoted = [(c.article_id, c.char_start, c.char_end) for c in summary.citations]
    for sentence, (article, start, _) in zip(summary.sentences, quoted):
        if starts_with_pronoun(sentence.text):
            text = corpus_services.records.get_article(article).text
            before = text[:start].rstrip()
            assert any(a == article and before.endswith(text[s:e].rstrip()) for a, s, e in quoted), \
                (sentence.text, summary.summary)


def test_mmr_leaves_out_a_sentence_whose_antecedent_is_no_candidate():
    vectors = np.eye(3)
    texts = ["The Fed held rates.", "He said more rises may come.", "Stocks fell."]
    # the lead prior (positions) and relevance both favour the pronoun sentence: only leans_on holds it back
    positions, relevance = [5, 0, 5], np.array([0.0, 1.0, 0.0])
    assert mmr_select(texts, positions, vectors, 100, relevance)[0] == 1
    chosen = mmr_select(texts, positions, vectors, 100, relevance, leans_on={1: None})
    assert 1 not in chosen and chosen
    chosen = mmr_select(texts, positions, vectors, 100, relevance, leans_on={1: 0})
    assert chosen.index(1) > chosen.index(0)


@pytest.mark.parametrize("body, param", [
    ({"temperature": "hot"}, "temperature"), ({"temperature": True}, "temperature"), ({"top_p": "x"}, "top_p"),
    ({"stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
    ({"messages": [{"role": "user", "content": 123}]}, "messages.0.content"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "messages.0.content.0.text"),
    ({"tool_choice": 5}, "tool_choice"),
    # a client's own key that looks like a type name is no union member: it stays in the path (a review)
    ({"filters": {"Sources": ["AP"]}}, "filters.Sources"),
    ({"filters": {"str": 1, "Other": 2}}, "filters.str"),
])
def test_openai_parameters_of_the_wrong_type_are_refused_naming_what_the_client_sent(client, body, param):
    """They answered 200 ("temperature": "hot", include_usage "yes"), or named pydantic's union members
    ("messages.0.content.str")."""
    sent = {"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}], **body}
    response = client.post("/v1/chat/completions", json=sent)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["message"].split(":")[0] == param, error
    assert not re.search(r"\b(?:str|dict|list)\[|\bdict\b", error["message"]), error  # no pydantic type names


@pytest.mark.parametrize("value", [0, 2, 0.7, None])
def test_sampling_knobs_of_the_right_type_are_still_ignored(client, value):
    sent = {"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}],
            "temperature": value, "top_p": value}
    assert client.post("/v1/chat/completions", json=sent).status_code == 200


def test_a_null_max_words_is_the_default_as_other_optional_fields_are(client):
    response = client.post("/v1/summarize", json={"topic": "Kim", "max_words": None})
    assert response.status_code == 200, response.text
    assert len(response.json()["summary"].split()) <= 120 + 20  # the default's words plus [n] markers


@pytest.mark.parametrize("topic", ["", "   "])
def test_an_empty_topic_is_named_as_the_field_however_it_is_empty(client, topic):
    detail = client.post("/v1/summarize", json={"topic": topic}).json()["detail"]
    assert detail[0]["loc"] == ["body", "topic"] and detail[0]["msg"] == "the topic is empty", detail


def test_a_refusal_names_a_huge_unknown_word_cut_short(client):
    reply = client.post("/v1/summarize", json={"topic": "x" * 2000}).json()
    assert not reply["answerable"] and len(reply["refusal_reason"]) < 200, reply["refusal_reason"][:300]


def test_a_chunks_first_pronoun_sentence_leans_on_the_previous_chunks_last():
    """Within one passage only, a chunk's opening "He …" found nothing before it and was never quoted (a review)."""
    from app.retrieval.service import Passage
    from app.summarize.candidates import Unit
    from app.summarize.service import _sentences_before

    text = "Powell spoke on Wednesday. He said rates would stay high. Markets fell. They recovered later."
    cut = text.index("They")  # the second chunk opens with "They"
    first = Passage("a:0", "a", 0, "T", "S", "", None, text[:cut], 0, cut, 1.0)
    second = Passage("a:1", "a", 1, "T", "S", "", None, text[cut:], cut, len(text), 1.0)
    other = Passage("b:0", "b", 0, "T", "S", "", None, "He left.", 0, 8, 1.0)

    def unit(passage, start, end):
        return Unit(passage, start, end, text[start:end] if passage.article_id == "a" else "He left.", "", 0)

    powell, he_said, markets = unit(first, 0, 26), unit(first, 27, 57), unit(first, 58, 71)
    they = unit(second, cut, len(text))
    stray = unit(other, 0, 8)  # another article's "He": nothing before it
    candidates = [powell, he_said, markets, they, stray]
    assert _sentences_before(candidates, candidates) == {1: 0, 3: 2, 4: None}
    # the sentence before is read but no candidate (a heading, a question): the pronoun sentence waits for good
    assert _sentences_before([he_said, they], [powell, he_said, markets, they]) == {0: None, 1: None}
