"""Passage-level slot, synonym and phrase columns for the passage ranker (PASSAGE_EXTRA_FEATURES in
app/retrieval/features.py; measured in docs/answers.md "Slot and synonym features for the passage ranker")."""

from __future__ import annotations

import pytest

from app.retrieval.features import (
    ALL_PASSAGE_FEATURES,
    PASSAGE_EXTRA_FEATURES,
    PASSAGE_FEATURES,
    passage_extra_row,
    passage_extra_rows,
    phrase_share,
    question_phrases,
    question_terms,
)

COL = {name: i for i, name in enumerate(PASSAGE_EXTRA_FEATURES)}


def test_the_extra_columns_follow_the_earlier_ones():
    assert ALL_PASSAGE_FEATURES[: len(PASSAGE_FEATURES)] == PASSAGE_FEATURES
    assert len(set(ALL_PASSAGE_FEATURES)) == len(ALL_PASSAGE_FEATURES)


def test_phrases_are_quoted_spans_and_capitalised_runs_without_the_question_word():
    phrases = question_phrases("Which NFL Team signed Luke Combs after 'Fast Car' topped the charts?")
    assert ("luke", "combs") in phrases
    assert ("fast", "car") in phrases
    assert ("nfl", "team") in phrases and not any(p[0] == "which" for p in phrases)
    assert question_phrases("Who won the election?") == ()  # one capitalised word is no phrase


def test_a_phrase_counts_only_with_its_words_together():
    phrases = question_phrases("Which singer performed with Luke Combs?")
    assert phrase_share(phrases, "Tracy Chapman joined Luke Combs on stage.") == 1.0
    assert phrase_share(phrases, "Luke Combs's cover of the song") == 1.0  # possessive dropped
    assert phrase_share(phrases, "Combs thanked Luke Bryan.") == 0.0
    assert phrase_share((), "anything") == 0.0


def test_a_passage_with_a_country_fills_a_which_country_slot_and_one_without_does_not():
    q = question_terms("Which country landed a spacecraft on the moon?", None)
    with_country = passage_extra_row(q, "Japan landed its SLIM spacecraft on the moon on Saturday.", "Moon landing")
    without = passage_extra_row(q, "NASA said the spacecraft landed on the moon on Saturday.", "Moon landing")
    assert with_country[COL["p_slot_fillers"]] > 0 and with_country[COL["p_slot_distance"]] < 0.2
    assert without[COL["p_slot_fillers"]] == 0.0 and without[COL["p_slot_distance"]] == 1.0


def test_a_filler_next_to_the_head_noun_is_flagged():
    q = question_terms("Which automaker recalled more than 112,000 vehicles?", None)
    near = passage_extra_row(q, "The automaker Ford is recalling 112,965 vehicles.", "Recall")
    far = passage_extra_row(q, "Ford is recalling 112,965 vehicles over a camera fault, regulators said on a "
                               "long Friday of notices and many other recalls by another automaker.", "Recall")
    assert near[COL["p_slot_head_near"]] == 1.0
    assert far[COL["p_slot_head_near"]] == 0.0


def test_synonyms_cover_the_question_in_the_passage_column():
    q = question_terms("What did Kim pledge?", None)
    row = passage_extra_row(q, "Kim promised Putin full and unconditional support.", "Summit at Vostochny")
    other = passage_extra_row(q, "Moon Jae-in refused the loan.", "Seoul")
    assert row[COL["p_syn_cov"]] == pytest.approx(1.0)
    assert other[COL["p_syn_cov"]] == 0.0


def test_article_aggregates_take_the_best_over_the_articles_candidates():
    q = question_terms("Which country landed a spacecraft on the moon?", None)
    rows = passage_extra_rows(q, [
        ("Japan landed its spacecraft on the moon.", "Moon", "a"),
        ("The mission cost a lot of money.", "Moon", "a"),
        ("The spacecraft landed.", "Elsewhere", "b"),
    ])
    assert len(rows) == 3 and all(len(r) == len(PASSAGE_EXTRA_FEATURES) for r in rows)
    assert rows[1][COL["p_slot_distance"]] == 1.0  # no country in the chunk itself
    assert rows[1][COL["art_best_slot_distance"]] == rows[0][COL["p_slot_distance"]] < 1.0
    assert rows[1][COL["art_best_syn_cov"]] == rows[0][COL["p_syn_cov"]] > rows[1][COL["p_syn_cov"]]
    assert rows[2][COL["art_best_slot_distance"]] == 1.0  # article b has no filler


class _NamedRanker:
    """A stand-in ranker that reads named columns and scores by the last of them (so the column it got shows)."""

    def __init__(self, features):
        self.features = list(features)
        self.seen = []

    def score(self, rows):
        import numpy as np

        self.seen = rows
        return np.asarray([-r[-1] for r in rows], dtype=float)


def test_the_service_computes_the_extra_columns_only_for_a_ranker_that_reads_them(corpus_services):
    from datetime import date

    from app.retrieval.service import RetrievalService

    s = corpus_services
    question = "How many people died in the Morocco earthquake?"
    plain = _NamedRanker(PASSAGE_FEATURES)
    service = RetrievalService(s.settings, s.records, s.vectors, s.embedder, plain)
    assert not service.extra_columns
    service.search(question, top_k=5, as_of=date(2030, 1, 1))
    assert plain.seen and all(len(r) == len(PASSAGE_FEATURES) for r in plain.seen)

    reads = _NamedRanker(PASSAGE_FEATURES[:3] + ("p_slot_distance",))
    service = RetrievalService(s.settings, s.records, s.vectors, s.embedder, reads)
    passages, rows = service.rerank_features(question, *service.candidates(
        question, 50, None, service.as_of_ts(date(2030, 1, 1)), "hybrid"), service.as_of_ts(date(2030, 1, 1)))
    assert all(len(r) == len(ALL_PASSAGE_FEATURES) for r in rows)
    service.search(question, top_k=5, as_of=date(2030, 1, 1))
    column = ALL_PASSAGE_FEATURES.index("p_slot_distance")
    assert [r[-1] for r in reads.seen] == [r[column] for r in rows]
    assert all(len(r) == 4 for r in reads.seen)
