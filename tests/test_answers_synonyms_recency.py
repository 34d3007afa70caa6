"""Synonym-aware coverage and recency against the newest answer passage (features in app/retrieval/features.py,
measured in docs/answers.md "Synonyms and recency")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.retrieval.features import (
    RECENCY_FEATURES,
    SENTENCE_FEATURES,
    SYNONYM_FEATURES,
    coverage,
    question_terms,
    recency_rows,
    sentence_synonym_row,
    synonym_coverage,
    text_terms,
)

REPO = Path(__file__).resolve().parent.parent


def test_a_synonym_counts_where_the_exact_stem_does_not():
    q = question_terms("What did Kim pledge?", None)
    sentence = "Kim Jong Un has promised Putin full and unconditional support."
    assert coverage(q, text_terms(sentence).stem_set) == pytest.approx(0.5)
    assert synonym_coverage(q, text_terms(sentence).stem_set) == pytest.approx(1.0)


def test_unrelated_words_and_other_names_earn_nothing():
    q = question_terms("What did Kim pledge?", None)
    assert synonym_coverage(q, text_terms("Moon Jae-in refused the loan.").stem_set) == 0.0


def test_the_synonym_row_credits_the_headline_like_exact_coverage_does():
    q = question_terms("What did Kim pledge?", None)
    own, combined = sentence_synonym_row(q, "The support is unconditional.", "", "Kim promises support")
    assert own == 0.0 and combined == pytest.approx(0.3)


def test_age_is_relative_to_the_newest_passage_not_to_today():
    rows = recency_rows(["2020-03-10", "2020-03-13T08:00:00Z", "2020-03-13", None, "not a date"])
    assert rows[0][0] == pytest.approx(1.3862944) and rows[0][1] == 0.0  # log1p(3 days), not the newest
    assert rows[1] == [0.0, 1.0, 0.0] and rows[2] == [0.0, 1.0, 0.0]  # ties are both the newest
    assert rows[3] == [0.0, 0.0, 1.0] and rows[4] == [0.0, 0.0, 1.0]


def test_a_corpus_without_dates_counts_every_passage_as_the_freshest():
    assert recency_rows([None, None]) == [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]


def test_new_features_are_appended_after_the_slot_features():
    assert SENTENCE_FEATURES[-len(SYNONYM_FEATURES) - len(RECENCY_FEATURES):] == SYNONYM_FEATURES + RECENCY_FEATURES


def test_the_checker_import_path_still_works():
    from app import lexicon
    from app.answer import lexicon as old_path

    assert old_path.shared is lexicon.shared and old_path.LEXICON_PATH.exists()


def test_retrieval_does_not_import_the_answer_layer():
    for path in (REPO / "app" / "retrieval").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "app.answer" or n.startswith("app.answer.") for n in names), path
