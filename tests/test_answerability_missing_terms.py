"""Question terms that no answer passage mentions, as answerability evidence (app/answer/selection.py
``missing_terms_features``; measured in docs/answers.md "Missing question terms")."""

from __future__ import annotations

import pytest

from app.answer.selection import missing_terms_features
from app.retrieval.features import question_terms, synonym_coverage, synonym_covered, text_terms
from app.retrieval.service import Passage


def passage(text: str, title: str = "", article: str = "a1") -> Passage:
    return Passage(chunk_id=f"{article}:0", article_id=article, chunk_index=0, title=title, source="test", url="",
                   published_at="2024-01-02", text=text, char_start=0, char_end=len(text), score=0.0)


def test_a_term_no_passage_mentions_counts_by_its_idf():
    q = question_terms("Which airline cancelled flights to Reykjavik?", None)  # idf 1 per stem without a corpus
    found = missing_terms_features(q, [passage("The airline cancelled dozens of flights on Monday.")])
    assert found["top5_missing_idf"] == pytest.approx(1 / len(q.stems))  # only "reykjavik" is missing
    assert found["top5_missing_max"] == pytest.approx(1.0)


def test_every_passage_and_headline_counts():
    q = question_terms("Which airline cancelled flights to Reykjavik?", None)
    passages = [passage("The airline cancelled dozens of flights."), passage("Snow fell.", "Reykjavik airport shut", "a2")]
    assert missing_terms_features(q, passages) == {"top5_missing_idf": 0.0, "top5_missing_max": 0.0}


def test_synonyms_and_irregular_forms_count_as_mentioned():
    # the sample articles' spec questions: "went" ~ "accompanied", "meet" as "met", "pledge" ~ "promised"
    for question, text in (("Who went with Kim?", "Kim was accompanied by Foreign Minister Choe Son Hui."),
                           ("Where did Kim and Putin meet?", "Kim met Putin at the Vostochny cosmodrome."),
                           ("What did Kim pledge?", "Kim has promised full support.")):
        q = question_terms(question, None)
        assert missing_terms_features(q, [passage(text)])["top5_missing_idf"] == 0.0, question


def test_no_passage_misses_everything_and_idf_weighs_the_share():
    q = question_terms("Which airline cancelled flights to Reykjavik?", None)
    q.idf = {s: (4.0 if s == "reykjavik" else 1.0) for s in q.stems}
    found = missing_terms_features(q, [passage("The airline cancelled dozens of flights.")])
    assert found["top5_missing_idf"] == pytest.approx(4.0 / q.total_idf)
    assert missing_terms_features(q, [])["top5_missing_idf"] == pytest.approx(1.0)


def test_synonym_covered_agrees_with_synonym_coverage():
    for question, text in (("What did Kim pledge to Putin?", "Kim has promised Moscow support."),
                           ("How many people died in the quake?", "The earthquake killed 2,900 people."),
                           ("Who won the final?", "Spain beat England 1-0.")):
        q = question_terms(question, None)
        terms = text_terms(text).stem_set
        covered = synonym_covered(q, terms)
        assert len(covered) == len(q.stems)
        assert sum(q.idf[s] for s, c in zip(q.stems, covered) if c) / q.total_idf == synonym_coverage(q, terms)


def test_training_reads_the_stored_column_only_for_a_model_that_asks_for_it():
    import numpy as np

    from app.answer.selection import MISSING_TERMS_FEATURES as computed
    from app.retrieval.features import SENTENCE_FEATURES
    from training.train_answers import ANSWERABILITY_FEATURES, MISSING_TERMS_FEATURES, answerability_table

    class Stub:  # a selector that scores every sentence 0 (the table's plumbing is what is tested)
        features = list(SENTENCE_FEATURES)

        def score(self, rows):
            return np.zeros(len(rows))

    table = {"sentence_group": np.array([0, 0, 1]), "sentence_x": np.zeros((3, len(SENTENCE_FEATURES))),
             "question_fold": np.array([0, 1]), "question_n_terms": np.array([3, 4]),
             "question_names_missing": np.array([False, True]), "question_passage_scores": np.zeros((2, 5)),
             "question_y": np.array([1, 0]), "question_missing_terms": np.array([[0.25, 0.5], [0.75, 1.0]])}
    assert MISSING_TERMS_FEATURES == computed
    x, y = answerability_table(table, {0: Stub(), 1: Stub()}, ANSWERABILITY_FEATURES + MISSING_TERMS_FEATURES)
    assert x[:, -2:].tolist() == [[0.25, 0.5], [0.75, 1.0]]
    assert y.tolist() == [1, 0]
    shipped, _ = answerability_table(table, {0: Stub(), 1: Stub()})
    assert shipped.shape == (2, len(ANSWERABILITY_FEATURES))
    assert not set(MISSING_TERMS_FEATURES) & set(ANSWERABILITY_FEATURES)  # measured, not shipped


def test_the_selector_computes_them_only_when_its_model_reads_them():
    from app.answer.selection import SentenceSelector
    from app.retrieval.learned import load_models

    models = load_models()
    assert not SentenceSelector(models, embedder=None).missing_terms  # the shipped answerability does not read them
    assert SentenceSelector(None, embedder=None).missing_terms  # training extracts them


def corpus_counts(counts: dict[str, int], total: int = 1000):
    """A document-frequency lookup over a stand-in corpus (words not listed are never held)."""
    return lambda raw: ({w: counts.get(w, 0) for w in raw}, total)


def test_a_hyphenated_question_word_counts_through_its_parts():
    # the index never holds "roll-away" as one word, so the whole compound read as missing however relevant
    q = question_terms("Which automaker recalled roll-away vehicles?", None)
    found = missing_terms_features(q, [passage("The automaker recalled vehicles that could roll away.")])
    assert found == {"top5_missing_idf": 0.0, "top5_missing_max": 0.0}
    half = missing_terms_features(q, [passage("The automaker recalled vehicles that could roll.")])
    assert half["top5_missing_idf"] == pytest.approx(1 / 5)  # automaker, recalled, roll, away, vehicles: "away"


def test_a_hyphenated_passage_word_mentions_its_parts():
    q = question_terms("Which weapons were supplied to Kyiv?", None)
    assert missing_terms_features(q, [passage("Kyiv used US-supplied weapons.")])["top5_missing_idf"] == 0.0


def test_a_word_the_corpus_never_holds_counts_for_nothing():
    q = question_terms("Which airline was fined for misbehaviour?", None)
    text = [passage("The airline was fined on Monday.")]
    held = corpus_counts({"airline": 50, "fined": 20, "misbehaviour": 2})
    never = corpus_counts({"airline": 50, "fined": 20})
    assert missing_terms_features(q, text, held)["top5_missing_idf"] > 0.3  # the rarest word, missing
    assert missing_terms_features(q, text, never) == {"top5_missing_idf": 0.0, "top5_missing_max": 0.0}
    # with counts the weights are IDFs: the rare word weighs more than the common one
    assert missing_terms_features(q, [passage("Misbehaviour was fined.")], held)["top5_missing_idf"] < 0.3


def test_us_is_mentioned_by_u_s_or_united_states():
    q = question_terms("Which US state banned TikTok?", None)
    for text in ("The U.S. state of Montana banned TikTok.", "Montana became the first state in the United States "
                 "to ban TikTok.", "Montana banned TikTok, the first US state to do so."):
        assert missing_terms_features(q, [passage(text)])["top5_missing_idf"] == 0.0, text
    assert missing_terms_features(q, [passage("Montana, a state, banned TikTok.")])["top5_missing_idf"] > 0.0
