"""benchmarks/small_corpus.py's indexes: what each shape puts in a small index (the fit of the size bars reads
the same function)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from app.evals.realtimeqa import Question

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from small_corpus import index_records  # noqa: E402


def _question(qid: str, relevant: set[str]) -> Question:
    return Question(qid, "Who?", "x", "2023", date(2023, 1, 1), relevant)


ARTICLES = {  # question id -> the articles RealTimeQA retrieved for it
    "q1": [{"doc_id": "b"}, {"doc_id": "a"}, {"doc_id": "c"}],
    "q2": [{"doc_id": "d"}, {"doc_id": "e"}],
    "q3": [{"doc_id": "f"}],
}


def test_retrieved_shape_holds_every_article_retrieved_for_the_questions():
    questions = [_question("q2", {"e"}), _question("q1", {"a", "b"})]
    assert list(index_records(ARTICLES, questions)) == ["b", "a", "c", "d", "e"]


def test_one_article_shape_holds_one_answering_article_a_question():
    questions = [_question("q1", {"b", "a"}), _question("q2", {"e"}), _question("q3", set())]
    # the first relevant one by id; a question none of whose retrieved articles answers brings none
    assert list(index_records(ARTICLES, questions, one_article=True)) == ["a", "e"]
