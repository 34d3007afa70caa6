"""The topic anchor rules benchmarks/topic_summaries.py measures (not shipped: docs/summaries.md): which words may
anchor a topic, and that the anchor is the rarest one a retrieved article mentions."""

from __future__ import annotations

from app.summarize.service import anchor_words, topic_anchor
from app.text import stem


def _freq(counts: dict[str, int]):
    return lambda raw: ({w: counts.get(w, 0) for w in raw}, 1000)


def test_names_include_a_capitalised_first_word():
    assert set(anchor_words("Derna floods death toll", "name")) == {"derna"}
    assert set(anchor_words("floods in Derna and Benghazi", "name")) == {"derna", "benghazi"}


def test_a_lower_case_topic_has_no_name_but_name_word_falls_back_to_its_content_words():
    assert anchor_words("derna floods death toll", "name") == []
    assert anchor_words("derna floods death toll", "name-word") == anchor_words("derna floods death toll", "word")
    assert "derna" in anchor_words("derna floods death toll", "word")


def test_the_anchor_is_the_rarest_word_a_retrieved_article_mentions():
    counts = _freq({"derna": 3, "flood": 40, "floods": 40, "death": 90, "toll": 60})
    words = anchor_words("derna floods death toll", "word")
    assert topic_anchor(words, counts, {stem(w) for w in words}) == "derna"
    # no retrieved article says "derna": the next rarest that one does
    assert topic_anchor(words, counts, {stem("floods"), stem("death")}) == "floods"
    assert topic_anchor(words, counts, set()) is None


def test_a_word_the_index_never_holds_is_no_anchor():
    words = anchor_words("dernaa death toll", "word")
    assert topic_anchor(words, _freq({"death": 90, "toll": 60}), {stem(w) for w in words}) == "toll"


def test_an_unknown_anchor_rule_is_refused_not_read_as_another():
    import pytest

    from app.summarize.service import SummarizeService

    for rule in ("bogus", "word:prefr"):
        with pytest.raises(ValueError, match="unknown topic anchor rule"):
            SummarizeService(None, None, None, topic_anchor=rule)
    assert SummarizeService(None, None, None, topic_anchor="word:prefer").topic_anchor == "word:prefer"
