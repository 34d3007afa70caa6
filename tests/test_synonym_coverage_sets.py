"""``synonym_coverage`` tests a question word against a text's united senses instead of every word pair
(docs/answers.md "Latency"); the result must be the pair loop's, word for word."""

from __future__ import annotations

import itertools

import pytest

from app.lexicon import lemma_stems
from app.lexicon import shared as shared_lexicon
from app.retrieval.features import question_terms, synonym_coverage, text_terms

QUESTIONS = [
    "What did Kim pledge?",
    "Which automaker recalled 112,000 vehicles over faulty airbags?",
    "How many men went to the factory strike in Detroit?",
    "Who won the election for governor of Texas?",
    "Which country promised aid to the flooded region?",
]
TEXTS = [
    "Kim Jong Un has promised Putin full and unconditional support.",
    "Ford is calling back about 112,000 cars because an air bag may fail.",
    "Workers walked out of the plant as the union began its stoppage.",
    "The Republican candidate beat his rival and took the governorship in Austin.",
    "Japan vowed to send help to the inundated area on Monday.",
    "Moon Jae-in refused the loan.",
]


def pair_loop_coverage(q, terms: set[str]) -> float:
    """The first release's definition: every question form against every text form, one pair at a time."""
    lexicon = shared_lexicon()
    wide = {f for t in terms if t.isalpha() for f in (t, *lemma_stems(t))}
    total = 0.0
    for s in q.stems:
        forms = (s, *lemma_stems(s))
        if s in terms or (s.isalpha() and (any(f in wide for f in forms)
                                           or any(lexicon.related(f, t) for f in forms for t in wide))):
            total += q.idf[s]
    return total / q.total_idf


@pytest.mark.parametrize(("question", "text"), list(itertools.product(QUESTIONS, TEXTS)))
def test_united_senses_give_the_pair_loops_coverage(question, text):
    q = question_terms(question, None)
    assert synonym_coverage(q, text_terms(text).stem_set) == pair_loop_coverage(q, text_terms(text).stem_set)


def test_some_of_these_pairs_are_decided_by_a_synonym_alone():
    """Guards the test above against passing only on exact matches."""
    decided = 0
    for question, text in itertools.product(QUESTIONS, TEXTS):
        q = question_terms(question, None)
        terms = text_terms(text).stem_set
        exact = sum(q.idf[s] for s in q.stems if s in terms) / q.total_idf
        decided += synonym_coverage(q, terms) > exact
    assert decided >= 3
