"""`citewire eval` findings of a bug hunt (2026-11-29): an in-process eval locked out by the deployment's API keys, an
empty suite scored 0.000, a suite without unanswerable cases failing the refusal gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWIRE_")}
    return {**env, "CITEWIRE_ENV_FILE": "", **extra}


def _eval(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", "eval", "-q", *args], cwd=tmp_path,
                          env={**_env(**env), "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)


def test_an_in_process_eval_is_not_locked_out_by_the_servers_api_keys(tmp_path):
    """CITEWIRE_API_KEYS in the environment (or the deployment's .env in the current folder) reached the in-process
    app the eval builds, so every request of the eval was a 401: each metric scored 0.000 ("false_refusal_rate
    1.000"), exit 0 without --gate; with --gate the exit 1 read as a quality regression, not a broken eval."""
    run = _eval(tmp_path, "--limit", "2", "--out", str(tmp_path / "report"), CITEWIRE_API_KEYS="deployment-key")
    assert run.returncode == 0, run.stderr[-500:]
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    statuses = {case["status"] for case in results["cases"]}
    assert statuses == {200}, (statuses, run.stderr[-500:])


def test_an_in_process_eval_reads_no_api_keys_from_a_dot_env_in_the_current_folder(tmp_path):
    (tmp_path / ".env").write_text("CITEWIRE_API_KEYS=compose-key\n")
    env = _env()
    env.pop("CITEWIRE_ENV_FILE")  # the default: ./.env
    run = subprocess.run([sys.executable, "-m", "app.cli", "eval", "-q", "--limit", "1", "--out", "report"],
                         cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert {case["status"] for case in results["cases"]} == {200}, run.stderr[-500:]


def test_a_suite_without_unanswerable_cases_does_not_fail_the_refusal_gate(tmp_path):
    """refusal_rate over 0 unanswerable cases was 0.000 and a gate failure, while summary and retrieval metrics a
    suite cannot measure are left out of the gate (EvalResult.unmeasurable)."""
    suite = tmp_path / "answers-only.yaml"
    suite.write_text("version: 1\nanswerable:\n  - id: a1\n    question: What did Kim pledge?\n    facts: [[support]]\n"
                     "    articles: [kim-putin-vostochny-2023]\nunanswerable: []\n")
    run = _eval(tmp_path, "--suite", str(suite), "--out", str(tmp_path / "report"))
    assert run.returncode == 0 and "refusal_rate = 0.000" not in run.stderr, run.stderr[-800:]
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert "refusal_rate" not in results["metrics"], results["metrics"]


def test_an_empty_suite_is_refused_not_scored_zero(tmp_path):
    """A suite with no case at all printed six metrics of 0.000 "over 0 … cases" and exited 0."""
    suite = tmp_path / "empty.yaml"
    suite.write_text("version: 1\nanswerable: []\nunanswerable: []\n")
    run = _eval(tmp_path, "--suite", str(suite), "--out", str(tmp_path / "report"))
    assert run.returncode == 2 and "error:" in run.stderr, (run.returncode, run.stdout[-500:], run.stderr[-500:])
