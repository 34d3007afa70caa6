"""A sentence longer than a chunk (200 tokens) is cut by the chunker: the next chunk opens mid-sentence. An article
summary's _within_chunks returned the sentence's pieces, and a topic summary splits each retrieved chunk on its own,
so the tail of the cut sentence, which ends with a full stop, was quoted as if it were a sentence: "387 worth 1161
euros, item 388 …". Both now leave out a piece that starts mid-sentence (``starts_sentence``)."""

from __future__ import annotations

import pytest

from app.ingest.article import ArticleIn
from app.text import sentence_spans

LONG = "The Porthaven council voted " + ", ".join(f"item {i} worth {i * 3} euros" for i in range(400)) + "."
TEXT = LONG + " The council chair, Ida Vale, called the vote historic. " + LONG.replace("voted", "approved")


@pytest.fixture
def cut_services(services):
    report = services.ingest.ingest([ArticleIn(id="long", title="Porthaven council vote", source="Wire E",
                                               published_at="2023-03-05", text=TEXT)])
    assert report.counts["added"] == 1
    assert len(services.records.chunks_of("long")) > 3  # the long sentences span several chunks
    return services


def _sentence_starts(text: str) -> set[int]:
    return {span.start for span in sentence_spans(text)}


@pytest.mark.parametrize("max_words", [150])
def test_a_topic_summary_quotes_no_sentence_from_its_middle(cut_services, max_words):
    summary = cut_services.summaries.summarize_topic("Porthaven council vote", max_words=max_words)
    text = cut_services.records.get_article("long").text
    starts = _sentence_starts(text)
    assert summary.answerable, summary.refusal_reason
    for citation in summary.citations:
        assert citation.char_start in starts, (citation.quote[:80], summary.summary[:300])


def test_the_article_summary_of_the_same_text_quotes_whole_sentences(cut_services):
    summary = cut_services.summaries.summarize_articles(["long"], max_words=150)
    starts = _sentence_starts(cut_services.records.get_article("long").text)
    assert all(c.char_start in starts for c in summary.citations), summary.summary[:300]
