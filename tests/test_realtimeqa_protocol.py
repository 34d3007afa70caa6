"""The RealTimeQA time-split protocol: split, fixed samples, scoring, bootstrap intervals, CI sample."""

from __future__ import annotations

from datetime import date

import pytest

from app.answer.models import Answer, Citation
from app.evals import realtimeqa as rtqa
from tests.conftest import SHARED

DATA = SHARED / "data" / "realtimeqa-dev"
needs_rtqa = pytest.mark.skipif(not (DATA / "questions.jsonl").exists(), reason="../shared/data/realtimeqa-dev absent")


def _q(qid: str, unanswerable: bool = False) -> rtqa.Question:
    return rtqa.Question(qid, "Who won?", "Jane Roe", "2024", date(2024, 1, 2), {"good"},
                         {"x"} if unanswerable else set())


class _P:
    def __init__(self, article_id: str, text: str) -> None:
        self.article_id, self.text = article_id, text


def _answer(text: str, article_id: str) -> Answer:
    cite = Citation(1, article_id, f"{article_id}:0:h", "", "", "", None, text, 0, len(text))
    return Answer(answer=f"{text} [1]", answerable=True, citations=[cite])


def test_scoring_counts_hits_containment_and_citation_precision():
    row = rtqa.score_question(_q("a"), [_P("bad", "x"), _P("good", "Jane Roe won.")],
                              _answer("Jane Roe won the race.", "other"), 0.01)
    assert row["rank"] == 2 and not row["hit@1"] and row["hit@5"] and row["rr@10"] == 0.5
    assert row["contained"] and row["relevant_citations"] == 1  # the quote holds the answer
    wrong = rtqa.score_question(_q("b"), [_P("bad", "x")], _answer("Someone else won.", "bad"), 0.01)
    assert not wrong["contained"] and wrong["relevant_citations"] == 0 and wrong["rank"] is None
    refused = rtqa.score_question(_q("c", True), [], Answer("no", False, []), 0.01)
    assert refused["refused"]


def test_summary_has_bootstrap_intervals_around_the_value():
    rows = [rtqa.score_question(_q(str(i)), [_P("good" if i % 2 else "bad", "Jane Roe")],
                                _answer("Jane Roe" if i % 4 else "nobody", "good"), i / 1000) for i in range(40)]
    rows += [rtqa.score_question(_q(f"u{i}", True), [], Answer("x", i % 3 == 0, []), 0.01) for i in range(9)]
    summary = rtqa.summarise(rows)
    value, low, high = summary["hit@1"]
    assert value == 0.5 and low < value < high
    assert summary["refusal"][0] == pytest.approx(6 / 9)
    assert summary["containment"][0] == pytest.approx(0.75)
    assert "| hit@5 |" in rtqa.table({"old": summary, "new": summary})


@needs_rtqa
def test_time_split_never_mixes_years_and_samples_are_fixed():
    train, test = rtqa.split(rtqa.load_questions(DATA))
    assert train and test
    assert {q.year for q in train} == {"2022", "2023"} and {q.year for q in test} == {"2024"}
    assert all(q.as_of > date(2024, 1, 1) for q in test)
    assert [q.id for q in rtqa.sample(test, 10)] == [q.id for q in rtqa.sample(test, 10)]


def test_gate_sample_is_skipped_cleanly_without_the_data(tmp_path):
    from app.evals.run import run_realtimeqa_sample

    result = run_realtimeqa_sample(tmp_path / "out", data=tmp_path / "absent")
    assert "skipped" in result["message"] and result["failures"] == []


class _ReversingRanker:
    """A stand-in passage ranker that scores the fused order backwards (so any reordering shows)."""

    def score(self, rows):
        import numpy as np

        return np.arange(len(rows), dtype=float)  # the last fused candidate scores highest


def test_hit_at_k_is_measured_on_the_reranked_list(corpus_services):
    """The learned pipelines' hit@k reads the ranker's order, not the fused order before it."""
    from app.answer.extractive import ExtractiveAnswerer
    from app.answer.scoring import QuestionScorer
    from app.retrieval.service import RetrievalService

    s = corpus_services
    fused = RetrievalService(s.settings, s.records, s.vectors, s.embedder)
    reranked = RetrievalService(s.settings, s.records, s.vectors, s.embedder, _ReversingRanker())
    answerer = ExtractiveAnswerer(QuestionScorer(s.embedder, s.records.document_frequencies))
    question = "How many people died in the Morocco earthquake?"
    before = fused.search(question, top_k=10, as_of=date(2030, 1, 1))
    after = reranked.search(question, top_k=10, as_of=date(2030, 1, 1))
    assert [p.chunk_id for p in after] != [p.chunk_id for p in before]
    q = rtqa.Question("m", question, "2,946", "2024", date(2030, 1, 1), {before[0].article_id})
    passages, _ = rtqa._pipeline(reranked, answerer, 5)(q, 10)
    assert [p.chunk_id for p in passages] == [p.chunk_id for p in after]
    row = rtqa.score_question(q, passages, rtqa.refusal("x"), 0.0)
    expected = next((i for i, p in enumerate(after, start=1) if p.article_id in q.relevant), None)
    assert row["rank"] == expected


def test_tuning_questions_are_those_no_shipped_model_was_fit_on():
    """`benchmarks/realtimeqa.py --tuning` asks 2022–2023 questions; the ones the models were fit on (answerable
    sample and the unanswerables' base questions) would flatter whatever is tuned after the models."""
    train = [rtqa.Question(f"2023{i:05d}", "Who won?", "Jane Roe", "2023", date(2023, 1, 2), {"good"})
             for i in range(1500)]
    held_out = {q.id for q in rtqa.held_out_of_fit(train)}
    fitted = {q.id for q in rtqa.sample(train, rtqa.FIT_QUESTIONS)}
    fitted |= {q.id for q in rtqa.sample(train, rtqa.FIT_UNANSWERABLE, rtqa.SEED + 1)}
    assert held_out and not held_out & fitted and held_out | fitted == {q.id for q in train}
