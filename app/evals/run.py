"""Entry points behind ``citewire eval``: the known-answer suite (with its gate) and public sets."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

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
def in_process_target(app=None):
    """A fresh index of the sample articles in a temporary folder: the suite's known answers hold there."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with tempfile.TemporaryDirectory(prefix="citewire-eval-") as folder:
        app = app or create_app(Settings(data_dir=Path(folder) / "data", index_samples=True))
        with TestClient(app) as client:
            yield AppTarget(client), app.state.services


def run_known_answers(
    url: str | None = None, out: Path = Path("eval-report"), suite_path: Path = DEFAULT_SUITE,
    thresholds_path: Path = DEFAULT_THRESHOLDS, app=None, progress: bool = True,
) -> tuple[EvalResult, list[str], dict]:
    suite = load_suite(suite_path)
    thresholds = load_thresholds(thresholds_path)
    settings = Settings()
    checker = SupportChecker(make_embedder(settings))
    judge = None
    if url:
        client, local = make_llm_client(settings)  # an LLM configured here also judges the server
        judge = LLMJudge(client, load_prompt(settings.prompts_dir, "judge")) if client else None
        try:
            result = run_suite(HttpTarget(url), suite, checker, progress=progress, judge=judge)
        finally:
            if local is not None:
                local.close()
    else:
        with in_process_target(app) as (target, services):
            llm = services.answers.llm  # the service's own model judges: no second copy is loaded
            judge = LLMJudge(llm.client, load_prompt(settings.prompts_dir, "judge")) if llm else None
            result = run_suite(target, suite, checker, progress=progress, judge=judge)
    failures = gate(result.metrics, thresholds)
    paths = write_reports(result, thresholds, failures, out,
                          {"target": url or "in-process (sample articles)", "suite": str(suite_path),
                           "judge_model": judge.model if judge else None, "judge_runs": JUDGE_RUNS if judge else 0})
    return result, failures, paths
