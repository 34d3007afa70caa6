"""The eval suite: it passes on this build, and its gate bites on a broken answerer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.answer.models import Answer, Citation
from app.answer.support import SupportChecker
from app.api.deps import get_answer_service
from app.config import Settings
from app.embed.wordllama import WordLlamaEmbedder
from app.evals.dataset import load_suite, load_thresholds
from app.evals.metrics import citation_scores, fact_coverage
from app.evals.qags import auroc
from app.evals.run import run_known_answers
from app.evals.runner import gate
from app.main import create_app
from tests.conftest import mini_suite


def test_suite_is_big_enough_and_valid():
    suite = load_suite()
    assert len(suite.answerable) >= 40 and len(suite.unanswerable) >= 10 and len(suite.summaries) >= 5
    assert set(load_thresholds()) >= {"answer_correctness", "citation_precision", "citation_recall", "refusal_rate"}


def test_a_run_writes_its_reports(tmp_path):
    # The full suite's gate runs once per CI run (`citewire eval --gate` in .ci/run); here, a few cases.
    result, _, paths = run_known_answers(out=tmp_path, suite_path=mini_suite(tmp_path), progress=False,
                                             make_app=create_app)
    assert result.metrics["answer_correctness"] > 0
    saved = json.loads(paths["json"].read_text())
    assert saved["metrics"]["answer_correctness"] == result.metrics["answer_correctness"]
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| metric | value | threshold | ok |" in paths["markdown"].read_text()


class BrokenAnswerer:
    """Answers everything, with citation numbers that point nowhere."""

    def __init__(self, real):
        self.real = real

    def ask(self, question, **kwargs):
        passages = self.real.retrieval.search(question, top_k=1)
        p = passages[0]
        citation = Citation(1, p.article_id, p.chunk_id, p.title, p.source, p.url, p.published_at,
                            p.text[:60], p.char_start, p.char_start + 60)
        return Answer(answer=f"{p.text[:200]} [7]", answerable=True, citations=[citation])


def test_gate_fails_a_broken_answerer(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True))
    app.dependency_overrides[get_answer_service] = lambda: BrokenAnswerer(app.state.services.answers)
    _, failures, paths = run_known_answers(out=tmp_path / "report", app=app, suite_path=mini_suite(tmp_path),
                                           progress=False)
    failed = " ".join(failures)
    assert "refusal_rate" in failed and "citation_recall" in failed and "citation_precision" in failed
    assert "## Failing cases" in paths["markdown"].read_text()


def test_gate_reports_unmeasured_and_out_of_range_metrics():
    thresholds = {"a": {"min": 0.9}, "b": {"max": 0.1}, "c": {"min": 0.5}}
    assert gate({"a": 0.8, "b": 0.2}, thresholds) == ["a = 0.800 < 0.9", "b = 0.200 > 0.1", "c: not measured"]


def test_fact_coverage_uses_aliases_and_normalisation():
    assert fact_coverage("Spain beat England 1-0.", [["spain"], ["Olga Carmona", "England"]]) == 1.0
    assert fact_coverage("Spain won.", [["spain"], ["Carmona"]]) == 0.5
    assert fact_coverage("Spaniards won.", [["Spain"]]) == 0.0


def test_citation_metrics_follow_alce():
    checker = SupportChecker(WordLlamaEmbedder.shared())
    quote_good = "Spain won the Women's World Cup, beating England 1-0 in the final in Sydney."
    quote_other = "The Federal Reserve left rates unchanged in September."
    response = {"answer": "", "citations": [{"n": 1, "quote": quote_good}, {"n": 2, "quote": quote_other}],
                "sentences": [{"text": "Spain beat England 1-0 in the World Cup final in Sydney.", "citations": [1, 2]},
                              {"text": "Mars has two moons named Phobos and Deimos.", "citations": [2]}]}
    scores = citation_scores(response, checker)
    assert scores["sentences"] == 2 and scores["supported"] == 1
    # citation 2 on the first sentence is needless (1 alone supports it); on the second it supports nothing.
    assert scores["citations"] == 3 and scores["relevant_citations"] == 2


def test_auroc_matches_definition():
    scores = np.array([0.9, 0.8, 0.3, 0.1])
    labels = np.array([True, False, True, False])
    assert auroc(scores, labels) == pytest.approx(0.75)


def test_llm_judge_faithfulness_is_averaged_and_its_model_recorded(tmp_path, monkeypatch):
    import re

    from tests.fake_openai import FakeOpenAIServer

    def model(body):
        if body.get("logprobs"):
            return "yes 0.8"
        user = body["messages"][-1]["content"]
        match = re.search(r'<passage id="(\d+)">\n(.+?)(?:(?<=[.!?])\s|\n)', user, re.S)
        return f"{match.group(2).strip()} [{match.group(1)}]" if match else "INSUFFICIENT_CONTEXT"

    with FakeOpenAIServer() as fake:
        fake.reply_with(model)
        monkeypatch.setenv("CITEWIRE_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("CITEWIRE_LLM_MODEL", "judge-model-x")
        result, _, paths = run_known_answers(out=tmp_path, suite_path=mini_suite(tmp_path), progress=False,
                                             make_app=create_app)
    assert result.metrics["faithfulness_llm_judge"] == pytest.approx(1.0)
    saved = json.loads(paths["json"].read_text())
    assert saved["judge_model"] == "judge-model-x" and saved["judge_runs"] == 3
    judge_calls = [r for r in fake.requests if r.get("logprobs")]
    assert judge_calls and len(judge_calls) % 3 == 0


def test_in_process_run_needs_the_app_or_its_factory(tmp_path):
    # evals sits below app.main (pyproject.toml's layers contract): the CLI hands create_app in.
    with pytest.raises(ValueError, match="make_app"):
        run_known_answers(out=tmp_path, suite_path=mini_suite(tmp_path), progress=False)



def test_the_qags_refit_converges_on_the_checkers_features_and_splits_by_article(tmp_path):
    """The refit behind `eval --dataset qags`'s cv_ lines diverged on the trained checker's raw counts (up to 60):
    AUROC 0.599, below a fit on all sentences scored on themselves. Standardised per training fold, by article."""
    from app.evals.public import run_qags
    from tests.conftest import SHARED

    qags = SHARED / "data" / "qags"
    if not qags.exists():
        pytest.skip(f"QAGS is not at {qags}")
    summary = run_qags(qags, out=tmp_path, progress=False)
    assert summary["cv_auroc"] > 0.70 and summary["cv_balanced_accuracy"] > 0.63
