"""Odd topics met while walking summaries as a new user."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("topic", ["?!", "😀🚀", "...", "the", "what is it about?", "THE", "WHAT IS IT ABOUT?"])
def test_a_topic_with_no_word_to_look_for_is_refused_not_summarised_from_anything(corpus_services, topic):
    """Such a topic has no content term, so every retrieved sentence passed as "on topic" and the summary was
    whatever retrieval happened to return (the World Cup, a flood, a stray line)."""
    summary = corpus_services.summaries.summarize_topic(topic)
    assert summary.answerable is False and not summary.citations
    assert "nothing to look for" in summary.refusal_reason


def test_a_short_real_topic_still_summarises(corpus_services):
    summary = corpus_services.summaries.summarize_topic("Derna")
    assert summary.answerable and summary.citations


def test_an_acronym_spelt_like_a_common_word_is_a_topic(tmp_path):
    """"WHO" lower-cases to the stopword "who": the topic was refused as naming nothing (and before that, every
    sentence with "who" counted as on topic). Known acronyms are matched as written (a shouted "THE" is none:
    test above)."""
    from app.config import Settings
    from app.ingest.article import ArticleIn
    from app.services import build_services

    services = build_services(Settings(data_dir=tmp_path / "data"))
    try:
        services.ingest.ingest([
            ArticleIn(id="mpox", title="Mpox emergency", published_at="2024-08-14", text=(
                "The WHO declared mpox a global health emergency on Wednesday. The agency said a new strain was "
                "spreading in Congo and its neighbours.")),
            ArticleIn(id="rail", title="Rail strike", published_at="2024-08-14", text=(
                "Drivers who walked out on Monday stopped most trains. Passengers who had tickets were refunded.")),
        ])
        summary = services.summaries.summarize_topic("WHO")
        assert summary.answerable, summary.refusal_reason
        assert {c.article_id for c in summary.citations} == {"mpox"}
        assert services.summaries.summarize_topic("who").answerable is False  # the word itself names nothing
    finally:
        services.close()
