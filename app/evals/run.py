"""Entry points behind ``citewire eval``: the known-answer suite (with its gate) and public sets."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.answer.support import SupportChecker
from app.config import Settings
from app.embed import make_embedder
from app.evals.dataset import (
    DEFAULT_SUITE,
    DEFAULT_THRESHOLDS,
    load_suite,
    load_thresholds,
)
from app.evals.report import write_reports
from app.evals.runner import (
    JUDGE_RUNS,
    AppTarget,
    EvalResult,
    HttpTarget,
    gate,
    run_suite,
)
from app.llm.judge import LLMJudge
from app.prompts import load_prompt
from app.services import make_llm_client


@contextmanager
def in_process_target(app=None, make_app: Callable[[Settings], Any] | None = None):
    """A fresh index of the sample articles in a temporary folder: the suite's known answers hold there.

    ``make_app`` is ``app.main.create_app``, handed in by the caller (the CLI): evals is an adapter
    below app.main in the layering (pyproject.toml's import-linter contracts), so it does not import it."""
    from fastapi.testclient import TestClient

    if app is None and make_app is None:
        raise ValueError("an in-process evaluation needs the app or make_app (app.main.create_app)")
    with tempfile.TemporaryDirectory(prefix="citewire-eval-") as folder:
        app = app or make_app(Settings(data_dir=Path(folder) / "data", index_samples=True))
        with TestClient(app) as client:
            yield AppTarget(client), app.state.services


def run_known_answers(
    url: str | None = None, out: Path = Path("eval-report"), suite_path: Path = DEFAULT_SUITE,
    thresholds_path: Path = DEFAULT_THRESHOLDS, app=None, progress: bool = True,
    make_app: Callable[[Settings], Any] | None = None, api_key: str | None = None, limit: int | None = None,
) -> tuple[EvalResult, list[str], dict]:
    """``limit``: at most that many cases of each kind (answerable, unanswerable, summaries), in file order."""
    suite = load_suite(suite_path)
    if limit is not None:
        suite = suite.model_copy(update={kind: getattr(suite, kind)[:limit]
                                         for kind in ("answerable", "unanswerable", "summaries")})
    thresholds = load_thresholds(thresholds_path)
    settings = Settings()
    checker = SupportChecker(make_embedder(settings))
    judge = None
    if url:
        client, local = make_llm_client(settings)  # an LLM configured here also judges the server
        judge = LLMJudge(client, load_prompt(settings.prompts_dir, "judge")) if client else None
        try:
            target = HttpTarget(url, api_key=api_key)
            target.check()
            result = run_suite(target, suite, checker, progress=progress, judge=judge)
        finally:
            if local is not None:
                local.close()
    else:
        with in_process_target(app, make_app) as (target, services):
            llm = services.answers.llm  # the service's own model judges: no second copy is loaded
            judge = LLMJudge(llm.client, load_prompt(settings.prompts_dir, "judge")) if llm else None
            result = run_suite(target, suite, checker, progress=progress, judge=judge)
    failures = gate(result.metrics, thresholds)
    paths = write_reports(result, thresholds, failures, out,
                          {"target": url or "in-process (sample articles)", "suite": str(suite_path),
                           "cases_per_kind": limit or "all",
                           "judge_model": judge.model if judge else None, "judge_runs": JUDGE_RUNS if judge else 0})
    return result, failures, paths


REALTIMEQA_SAMPLE = Path(__file__).resolve().parent.parent.parent / "evals" / "realtimeqa_sample.yaml"


PIPELINE_OF_SETTING = {"heuristic": "old", "rerank": "rerank", "learned": "new"}


def shared_realtimeqa() -> Path:
    """../shared/data/realtimeqa-dev beside the repository (CITEWIRE_SHARED_DIR overrides ../shared)."""
    import os

    shared = Path(os.environ.get("CITEWIRE_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
    return shared / "data" / "realtimeqa-dev"


def run_realtimeqa_sample(out: Path, progress: bool = False, data: Path | None = None,
                          config: Path = REALTIMEQA_SAMPLE) -> dict:
    """The gate's fixed sample of 2024 RealTimeQA questions (new pipeline); skipped without ../shared."""
    import yaml

    from app.evals.public import run_realtimeqa

    data = data or shared_realtimeqa()
    if not (data / "questions.jsonl").exists():
        return {"message": f"realtimeqa sample: skipped ({data} is absent)", "failures": [], "metrics": {}}
    spec = yaml.safe_load(config.read_text())
    pipeline = PIPELINE_OF_SETTING[Settings().answer_model]  # the pipeline this build answers with
    summary = run_realtimeqa(data, out / "realtimeqa-sample", limit=spec["questions"], progress=progress, only=pipeline)
    metrics = {k.removeprefix(f"{pipeline}_"): v for k, v in summary.items() if k.startswith(f"{pipeline}_")}
    failures = [f"realtimeqa sample: {f}" for f in gate(metrics, {k: dict(v) for k, v in spec["thresholds"].items()})]
    shown = ", ".join(f"{k} {metrics[k]:.3f}" for k in spec["thresholds"] if k in metrics)
    return {"message": f"realtimeqa sample, {pipeline} pipeline ({summary['answerable']} + {summary['unanswerable']} "
                       f"questions): {shown}",
            "failures": failures, "metrics": metrics}
