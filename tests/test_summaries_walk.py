"""Odd topics met while walking summaries as a new user."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("topic", ["?!", "😀🚀", "...", "the", "what is it about?"])
def test_a_topic_with_no_word_to_look_for_is_refused_not_summarised_from_anything(corpus_services, topic):
    """Such a topic has no content term, so every retrieved sentence passed as "on topic" and the summary was
    whatever retrieval happened to return (the World Cup, a flood, a stray line)."""
    summary = corpus_services.summaries.summarize_topic(topic)
    assert summary.answerable is False and not summary.citations
    assert "nothing to look for" in summary.refusal_reason


def test_a_short_real_topic_still_summarises(corpus_services):
    summary = corpus_services.summaries.summarize_topic("Derna")
    assert summary.answerable and summary.citations
