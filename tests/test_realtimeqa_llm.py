"""benchmarks/realtimeqa_llm.py: the /v1/ask path per question, scoring, guard/judge counts, partial runs.

Runs on the sample articles with the in-process fake LLM (``fake://``): no model, no ../shared.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date

import pytest

from app.evals import realtimeqa as rtqa
from tests.conftest import REPO, SHARED

_spec = importlib.util.spec_from_file_location("realtimeqa_llm", REPO / "benchmarks" / "realtimeqa_llm.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

DATA = SHARED / "data" / "realtimeqa-dev"
KIM = "kim-putin-vostochny-2023"


@pytest.fixture(scope="module")
def fake_llm_services(tmp_path_factory):
    from app.config import Settings
    from app.samples import index_samples
    from app.services import build_services

    services = build_services(Settings(data_dir=tmp_path_factory.mktemp("rtqa-llm") / "data",
                                       llm_base_url="fake://", guard_judge=True))
    index_samples(services.ingest)
    yield services
    services.close()


def _question(excluded: set[str] | None = None) -> rtqa.Question:
    return rtqa.Question("q1" + (":excluded" if excluded else ""), "Where did Kim and Putin meet?",
                         "Vostochny Cosmodrome", "2024", date(2023, 9, 14), {KIM}, excluded or set())


def test_both_pipelines_answer_through_the_ask_path_and_are_scored(fake_llm_services, tmp_path):
    answerable = [_question()]
    unanswerable = [_question({KIM, "__none__"})]
    meta = {"started": "now", "model": "fake", "answerable": 1, "unanswerable": 1, "load_start": (0, 0, 0)}
    body = bench.run(fake_llm_services, answerable, unanswerable, tmp_path, meta, progress=False)

    rows = body["rows"]
    assert set(rows) == {"default", "llm"} and all(len(r) == 2 for r in rows.values())
    llm, default = rows["llm"][0], rows["default"][0]
    assert llm["asked_model"] and not default["asked_model"]
    assert llm["answerable"] and llm["contained"] and llm["hit@5"] and llm["relevant_citations"] >= 1
    assert llm["answer_in_context"] is True
    assert "Vostochny" in llm["model_text"] and llm["guard"]["kept"] + llm["guard"]["fixed"] >= 1
    assert llm["judge_calls"] >= 1  # guard_judge=True: every sentence goes to the (fake) judge
    assert 0 < llm["ttft_ms"] <= llm["latency_ms"]
    # The excluded article is out of reach, and nothing else dated before 2023-09-14 names Kim or Putin.
    excluded = rows["llm"][1]
    assert excluded["unanswerable"] and excluded["refused"] and not excluded["asked_model"]

    summary = body["results"]["llm"]
    assert summary["containment"][0] == 1.0 and summary["false_refusal"][0] == 0.0 and summary["refusal"][0] == 1.0
    assert summary["extra"]["judge_calls"] == llm["judge_calls"]
    saved = json.loads((tmp_path / "realtimeqa-llm.json").read_text())
    assert saved["rows"]["llm"][0]["id"] == "q1"
    markdown = (tmp_path / "realtimeqa-llm.md").read_text()
    assert "| containment |" in markdown and "| ttft_p95_ms |" in markdown and "1 of 1 answerable" in markdown


def test_max_seconds_stops_before_the_next_question_and_reports_the_partial_n(fake_llm_services, tmp_path):
    meta = {"started": "now", "model": "fake", "answerable": 2, "unanswerable": 0, "load_start": (0, 0, 0)}
    body = bench.run(fake_llm_services, [_question(), _question()], [], tmp_path, meta, max_seconds=0, progress=False)
    assert body["rows"] == {"default": [], "llm": []}
    assert "0 of 2 answerable" in (tmp_path / "realtimeqa-llm.md").read_text()


def _row(pipeline: str, answerable: bool, reason: str | None, guard: dict | None, ttft: float) -> dict:
    return {"id": "x", "pipeline": pipeline, "unanswerable": False, "answerable": answerable, "contained": answerable,
            "refusal_reason": reason, "guard": guard, "judge_calls": 2, "judge_ms": 100.0, "asked_model": bool(guard),
            "ttft_ms": ttft, "latency_ms": ttft * 2, "false_refusal": not answerable, "citations": int(answerable),
            "relevant_citations": int(answerable), "hit@1": True, "hit@5": True, "hit@10": True, "rr@10": 1.0,
            "answer_in_top5": True}


def test_summary_sorts_refusals_by_who_refused_and_totals_the_guard():
    guard = {"kept": 1, "fixed": 0, "dropped": 2, "marked": 0}
    rows = [_row("llm", True, None, guard, 1000),
            _row("llm", False, "no sentence of the model's answer is supported by the passages", guard, 3000),
            _row("llm", False, "the model found no answer in the passages", {"kept": 0, "fixed": 0, "dropped": 0,
                                                                             "marked": 0}, 2000),
            _row("llm", False, "the passages never mention Zed", None, 10)]
    summary = bench.summarise(rows)
    assert summary["false_refusal"][0] == 0.75
    assert summary["extra"]["answerable_refused_by"] == {"guard dropped every sentence": 1,
                                                         "model said INSUFFICIENT_CONTEXT": 1,
                                                         "refused before the model": 1}
    assert summary["extra"]["guard"] == {"kept": 2, "fixed": 0, "dropped": 4, "marked": 0}
    assert summary["extra"]["judge_calls"] == 8
    assert summary["ttft_p50_ms"][0] == pytest.approx(1500) and summary["latency_p50_ms"][0] == pytest.approx(3000)
    assert "guard dropped every sentence: 1" in bench.table({"llm": summary})


def test_an_extractive_fallback_is_counted_not_added_to_the_guard_totals():
    fell_back = {"kept": 0, "fixed": 0, "dropped": 2, "marked": 0, "fallback": "extractive",
                 "llm_refusal_reason": "no sentence of the model's answer is supported by the passages"}
    summary = bench.summarise([_row("llm", True, None, fell_back, 1000),
                               _row("llm", True, None, {"kept": 1, "fixed": 0, "dropped": 0, "marked": 0}, 1000)])
    assert summary["extra"]["guard"] == {"kept": 1, "fixed": 0, "dropped": 2, "marked": 0, "fallback": 1}
    assert "| extractive fallbacks (answers) | 1 |" in bench.table({"llm": summary})


@pytest.mark.skipif(not (DATA / "questions.jsonl").exists(), reason="../shared/data/realtimeqa-dev absent")
def test_the_sample_is_fixed_by_the_seed_and_only_2024(tmp_path):
    first, _ = bench.questions(DATA, 50, 0, 0, tmp_path, tmp_path)
    again, _ = bench.questions(DATA, 50, 0, 0, tmp_path, tmp_path)
    other, _ = bench.questions(DATA, 50, 0, 1, tmp_path, tmp_path)
    assert len(first) == 50 and [q.id for q in first] == [q.id for q in again] != [q.id for q in other]
    assert {q.year for q in first} == {"2024"}


def test_failures_are_categorised_by_what_the_model_saw_and_wrote_and_what_the_guard_did():
    base = {"unanswerable": False, "asked_model": True, "answer_in_context": True, "gold": "Iowa",
            "answerable": False, "contained": False}
    assert bench.category(base | {"answerable": True, "contained": True, "model_text": "In Iowa [1]."}) is None
    assert bench.category(base | {"model_text": "It was in Des Moines, Iowa [1]."}) == \
        "right answer written, guard refused it all"
    assert bench.category(base | {"model_text": "INSUFFICIENT_CONTEXT"}) == \
        "answer in the passages, model said INSUFFICIENT_CONTEXT"
    assert bench.category(base | {"model_text": "It was in Ohio [1].", "answerable": True}) == \
        "wrong or reworded answer written, guard kept it"
    assert bench.category(base | {"model_text": "x", "answer_in_context": False}) == \
        "answer not in the model's passages, refused"
    assert bench.category(base | {"asked_model": False, "model_text": None}) == "refused before the model"
    assert bench.category(base | {"unanswerable": True, "answerable": True, "model_text": "y"}) == \
        "answered a constructed unanswerable"
