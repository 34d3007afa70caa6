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
    DatasetError,
    load_suite,
    load_thresholds,
    not_a_data_dir,
)
from app.evals.report import write_reports
from app.evals.runner import (
    JUDGE_RUNS,
    AppTarget,
    EvalResult,
    HttpTarget,
    cases_naming_missing_articles,
    gate,
    run_suite,
)
from app.llm.judge import LLMJudge
from app.prompts import load_prompt
from app.services import make_llm_client


class NoIndex(DatasetError):
    """``--index`` names no index: a missing folder (a typo) or one without articles."""


@contextmanager
def in_process_target(app=None, make_app: Callable[[Settings], Any] | None = None, index: Path | None = None):
    """A fresh index of the sample articles in a temporary folder: the suite's known answers hold there.
    With ``index``, that data dir as it is (a corpus ``citewire ingest`` wrote): a suite of one's own corpus.

    ``make_app`` is ``app.main.create_app``, handed in by the caller (the CLI): evals is an adapter
    below app.main in the layering (pyproject.toml's import-linter contracts), so it does not import it."""
    from fastapi.testclient import TestClient

    if app is None and make_app is None:
        raise ValueError("an in-process evaluation needs the app or make_app (app.main.create_app)")
    if index is not None and not index.is_dir():  # not made there: an empty index scored every metric 0
        raise NoIndex(f"--index {index} is not a folder: give the data dir that `citewire ingest` wrote "
                      "(CITEWIRE_DATA_DIR)")
    if index is not None and not any(index.iterdir()):  # nothing written into an empty folder
        raise NoIndex(_no_articles(index))
    if index is not None and (why := not_a_data_dir(index)):  # a folder of articles: an empty store was left in it
        raise NoIndex(why)
    with tempfile.TemporaryDirectory(prefix="citewire-eval-") as folder:
        # the eval is the app's only client, in process: the API keys and limits of a deployment (its environment
        # or ./.env) answered every case 401 (or 429), scored as wrong answers
        unguarded = {"api_keys": [], "rate_limit": None, "auth_failure_limit": None}
        settings = (Settings(data_dir=index, index_samples=False, **unguarded) if index is not None  # the corpus as is
                    else Settings(data_dir=Path(folder) / "data", index_samples=True, **unguarded))
        app = app or make_app(settings)
        with TestClient(app) as client:
            if index is not None and not app.state.services.records.list_articles(limit=1)[1]:
                raise NoIndex(_no_articles(index))
            yield AppTarget(client), app.state.services


def _no_articles(index: Path) -> str:
    return f"--index {index} holds no articles: ingest there first (CITEWIRE_DATA_DIR={index} citewire ingest PATH)"


def run_known_answers(
    url: str | None = None, out: Path = Path("eval-report"), suite_path: Path = DEFAULT_SUITE,
    thresholds_path: Path = DEFAULT_THRESHOLDS, app=None, progress: bool = True,
    make_app: Callable[[Settings], Any] | None = None, api_key: str | None = None, limit: int | None = None,
    index: Path | None = None, enforce_gate: bool = False, notice: Callable[[str], None] | None = None,
) -> tuple[EvalResult, list[str], dict]:
    """``limit``: at most that many cases of each kind (answerable, unanswerable, summaries), in file order.
    ``index``: evaluate that data dir in-process instead of a fresh index of the samples. ``enforce_gate``: the
    report says "gate: FAILED" only when the caller fails on it (``--gate``). ``notice`` gets the lines a user
    must see before the run: which index is evaluated, and how many cases name articles it does not hold."""
    notice = notice or (lambda _line: None)
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
            missing = _say_missing(target, suite, url, notice,
                                   "is it the server of the corpus the suite was written for?")
            target_name = url
            result = run_suite(target, suite, checker, progress=progress, judge=judge)
        finally:
            if local is not None:
                local.close()
    else:
        with in_process_target(app, make_app, index) as (target, services):
            articles = services.records.list_articles(limit=1)[1]
            where = (f"the index in {index} ({articles} articles)" if index is not None else
                     f"a fresh index of the {articles} sample articles")
            target_name = f"in-process ({where})"
            notice(f"in-process on {where}" + ("" if index is not None else
                   " (not your data dir): the shipped suite's answers hold there; your own corpus is evaluated "
                   "with --url http://host:port (a running citewire serve) or --index DIR (its data dir)"))
            missing = _say_missing(target, suite, where, notice,
                                   "evaluating your own corpus? use --url http://host:port (a running citewire "
                                   "serve) or --index DIR (the data dir it was ingested into)")
            llm = services.answers.llm  # the service's own model judges: no second copy is loaded
            judge = LLMJudge(llm.client, load_prompt(settings.prompts_dir, "judge")) if llm else None
            result = run_suite(target, suite, checker, progress=progress, judge=judge)
    failures = gate(result.metrics, thresholds, result.unmeasurable)
    paths = write_reports(result, thresholds, failures, out,
                          {"target": target_name, "suite": str(suite_path), "cases_per_kind": limit or "all",
                           "gate_enforced": enforce_gate, "cases_naming_missing_articles": missing,
                           "judge_model": judge.model if judge else None, "judge_runs": JUDGE_RUNS if judge else 0})
    return result, failures, paths


def _say_missing(target, suite, where: str, notice: Callable[[str], None], hint: str) -> list[str]:
    """Counts the cases that name articles the target does not hold and warns of them: a suite written for one's
    own corpus, run against the samples, scored every metric 0 and said nothing."""
    missing, naming, ids = cases_naming_missing_articles(target, suite)
    if missing:
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        notice(f"warning: {len(missing)} of {naming} cases name articles that {where} does not hold ({shown}): "
               f"{hint}")
    return missing


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
