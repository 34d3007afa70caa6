"""Findings of a new user's walkthrough with their own corpus: `citewire eval` and `citewire ingest`'s progress."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from app.evals.dataset import DEFAULT_SUITE, load_suite

runner = CliRunner()


def _suite(folder: Path, answerable: list[dict], unanswerable: int = 1, name: str = "suite.yaml") -> Path:
    shipped = yaml.safe_load(DEFAULT_SUITE.read_text())
    path = folder / name
    path.write_text(yaml.safe_dump({"version": shipped["version"], "answerable": answerable,
                                    "unanswerable": shipped["unanswerable"][:unanswerable], "summaries": []}))
    return path


def _shipped(i: int) -> dict:
    return dict(yaml.safe_load(DEFAULT_SUITE.read_text())["answerable"][i])


OWN_CASE = {"id": "own-1", "question": "What did the Zephyrian council vote to rebuild?",
            "facts": [["Quillberry bridge"]], "articles": ["zephyr-bridge"]}


def _corpus(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        name = "zephyr-bridge" if i == 1 else f"story-{i}"
        (folder / f"{name}.txt").write_text(
            f"The Zephyrian council voted on March {i} to rebuild the Quillberry bridge number {i}. "
            f"The work costs {i} million dollars and starts in May.\n")
    return folder


# --- 1. in-process is the samples: said, and a suite of another corpus is warned about -----------------------------


def test_in_process_eval_says_it_is_the_samples_and_counts_cases_naming_articles_it_lacks(tmp_path):
    """A suite written for one's own corpus ran against the sample articles: every metric 0, exit 0, and only
    report.md's "Target: in-process (sample articles)" said why."""
    suite = _suite(tmp_path, [_shipped(0), OWN_CASE])
    done = runner.invoke(cli, ["eval", "-q", "--suite", str(suite), "--out", str(tmp_path / "r")],
                         env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert done.exit_code == 0, done.output
    assert "eval: in-process on a fresh index of the 8 sample articles (not your data dir)" in done.stderr
    warning = next(line for line in done.stderr.splitlines() if line.startswith("warning: "))
    assert "1 of 2 cases name articles" in warning and "zephyr-bridge" in warning, warning
    assert "--url http://host:port" in warning and "--index DIR" in warning
    report = (tmp_path / "r" / "report.md").read_text()
    assert "1 case names articles this target does not hold" in report and "own-1" in report
    assert json.loads((tmp_path / "r" / "results.json").read_text())["cases_naming_missing_articles"] == ["own-1"]


def test_the_shipped_suite_in_process_names_no_missing_article(tmp_path):
    done = runner.invoke(cli, ["eval", "-q", "--suite", str(_suite(tmp_path, [_shipped(0), _shipped(1)])),
                               "--out", str(tmp_path / "r")], env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert done.exit_code == 0 and "warning:" not in done.stderr, done.output


def test_eval_index_evaluates_ones_own_data_dir_in_process(tmp_path):
    data = tmp_path / "data"
    env = {"CITEWIRE_DATA_DIR": str(data)}
    assert runner.invoke(cli, ["ingest", "-q", str(_corpus(tmp_path / "corpus"))], env=env).exit_code == 0
    suite = _suite(tmp_path, [OWN_CASE])
    done = runner.invoke(cli, ["eval", "-q", "--suite", str(suite), "--index", str(data), "--out",
                               str(tmp_path / "r")], env=env)
    assert done.exit_code == 0, done.output
    assert f"eval: in-process on the index in {data} (3 articles)" in done.stderr and "warning:" not in done.stderr
    metrics = json.loads((tmp_path / "r" / "results.json").read_text())["metrics"]
    assert metrics["retrieval_hit@5"] == 1.0, metrics
    assert f"Target: in-process (the index in {data}" in (tmp_path / "r" / "report.md").read_text()


@pytest.mark.parametrize("case", ["missing", "empty", "with-url"])
def test_eval_index_that_is_no_index_is_one_line(tmp_path, case):
    index = tmp_path / "index"
    if case == "empty":
        index.mkdir()
    args = ["--url", "http://127.0.0.1:9"] if case == "with-url" else []
    done = runner.invoke(cli, ["eval", "-q", "--suite", str(_suite(tmp_path, [OWN_CASE])), "--index", str(index),
                               *args, "--out", str(tmp_path / "r")], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert done.exit_code == 2, done.output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --index") and "Traceback" not in done.output, lines
    if case == "empty":
        assert not any(index.iterdir())  # no store was made in it


def test_a_server_target_asks_the_server_which_articles_it_holds():
    from app.evals.runner import HttpTarget, cases_naming_missing_articles

    def answer(request: httpx.Request) -> httpx.Response:
        held = request.url.path == "/v1/articles/zephyr-bridge"
        return httpx.Response(200 if held else 404, json={"id": "zephyr-bridge"} if held else {"error": "not found"})

    target = HttpTarget("http://server")
    target._client = httpx.Client(base_url="http://server", transport=httpx.MockTransport(answer))
    suite = load_suite(DEFAULT_SUITE).model_copy(update={"summaries": []})
    suite.answerable[:] = [suite.answerable[0], suite.answerable[0].model_copy(update={"id": "own",
                                                                                       "articles": ["zephyr-bridge"]})]
    missing, naming, ids = cases_naming_missing_articles(target, suite)
    assert missing == [suite.answerable[0].id] and naming == 2 and ids == list(suite.answerable[0].articles)


# --- 2. a case without expected articles is no retrieval miss -------------------------------------------------------


def test_cases_without_articles_are_left_out_of_retrieval_metrics(tmp_path):
    """`articles: []` counted as a retrieval miss: hit@5 0.600 where the 3 cases that list articles gave 1.0."""
    from app.evals.run import run_known_answers
    from app.main import create_app

    with_articles = [_shipped(i) for i in range(3)]
    no_list = {**_shipped(3), "articles": []}
    no_key = {k: v for k, v in _shipped(4).items() if k != "articles"}  # may be left out too
    suite = _suite(tmp_path, [*with_articles, no_list, no_key])
    result, _, paths = run_known_answers(out=tmp_path / "r", suite_path=suite, progress=False, make_app=create_app)
    cases = {c["id"]: c for c in result.cases}
    assert all(cases[c["id"]]["retrieval_rank"] for c in with_articles)  # so hit@5 is 1.0 over them
    assert result.metrics["retrieval_hit@5"] == 1.0 and result.metrics["retrieval_mrr"] > 0
    assert result.over["retrieval_hit@5"] == "3 answerable cases (2 of 5 left out: no article named)"
    assert result.over["answer_correctness"] == "5 answerable cases"
    assert cases[no_list["id"]]["cites_expected_article"] is None
    report = paths["markdown"].read_text()
    assert "| computed over |" in report and "3 answerable cases (2 of 5 left out" in report
    assert json.loads(paths["json"].read_text())["measured_over"]["retrieval_mrr"].startswith("3 answerable cases")


def test_a_suite_naming_no_article_does_not_measure_retrieval(tmp_path):
    from app.evals.run import run_known_answers
    from app.main import create_app

    suite = _suite(tmp_path, [{**_shipped(0), "articles": []}], unanswerable=0)
    result, failures, _ = run_known_answers(out=tmp_path / "r", suite_path=suite, progress=False, make_app=create_app)
    # nor does the gate ask for it: an answer-only suite could never pass (a review)
    assert "retrieval_hit@5" not in result.metrics and not any(f.startswith("retrieval_") for f in failures), failures


# --- 3. without --gate, no "gate failures" --------------------------------------------------------------------------


def test_without_gate_nothing_says_the_gate_failed(tmp_path):
    """`citewire eval` without --gate printed "gate failures:" and the report said "gate: FAILED", exit 0."""
    suite = _suite(tmp_path, [OWN_CASE])  # about an article the samples lack: answered wrongly, below the gate
    done = runner.invoke(cli, ["eval", "-q", "--suite", str(suite), "--out", str(tmp_path / "r")],
                         env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert done.exit_code == 0, done.output
    assert "gate failures" not in done.output and "FAILED" not in done.output
    assert "below the gate thresholds (not enforced without --gate):" in done.stderr
    assert "answer_correctness = 0.000 <" in done.stderr
    report = (tmp_path / "r" / "report.md").read_text()
    assert "FAILED" not in report and "below the gate thresholds (not enforced without --gate)" in report


def test_with_gate_the_failures_are_the_gates(tmp_path, monkeypatch):
    import app.evals.run

    monkeypatch.setattr(app.evals.run, "run_realtimeqa_sample",  # the gate's 2024 sample: not this test's subject
                        lambda out, progress=False: {"message": "realtimeqa sample: skipped", "failures": []})
    suite = _suite(tmp_path, [OWN_CASE])
    done = runner.invoke(cli, ["eval", "-q", "--gate", "--suite", str(suite), "--out", str(tmp_path / "r")],
                         env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert done.exit_code == 1, done.output
    assert "gate failures:" in done.stderr and "not enforced" not in done.output
    assert "gate: FAILED" in (tmp_path / "r" / "report.md").read_text()


# --- 4. ingest progress that tells the truth ------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(*args, **kwargs):
    from app.cli.ingest import _IngestProgress

    return _IngestProgress(*args, **kwargs)


def _outcome(status: str, article_id: str) -> SimpleNamespace:
    return SimpleNamespace(status=status, article_id=article_id, origin=f"{article_id}.txt", error="bad date")


def test_ingest_progress_counts_articles_stored_against_the_files_total():
    """The bar had no total and counted nothing while the files were read ("0 articles" for 7 s under file names
    flashing past): it counts the store's outcomes now, says how many files were read, and, with one article a file,
    knows its total."""
    screen = _Terminal()
    shown = _progress([Path(f"s{i}.txt") for i in range(4)], quiet=False, stream=screen)
    for _ in range(4):
        shown.reading()
    assert shown.bar.total == 4 and shown.bar.n == 0  # every file read, none stored yet: said as it is
    shown.stored(_outcome("added", "s0"))
    shown.stored(_outcome("updated", "s1"))
    shown.close()
    text = screen.getvalue().replace("\r", "\n")
    assert "read 4/4 files, ingested" in text and "s3.txt" not in text
    assert "| 2/2 [" in text  # closed early (a stop, a duplicate id): the total it ends with is the truth
    assert shown.counts == {"added": 1, "updated": 1, "unchanged": 0, "failed": 0}


def test_ingest_progress_has_no_total_when_a_file_may_hold_many_articles():
    shown = _progress([Path("a.txt"), Path("feed.jsonl")], quiet=False, stream=_Terminal())
    assert shown.total is None and shown.bar.total is None
    shown.close()


def test_ingest_progress_off_a_terminal_is_a_line_now_and_then():
    log = io.StringIO()
    shown = _progress([Path(f"s{i}.txt") for i in range(3)], quiet=False, stream=log, every=0)
    shown.reading()
    shown.stored(_outcome("added", "s0"))
    shown.stored(_outcome("failed", "s1"))
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[-1] == "2/3 articles [0 s] ingested: added 1, updated 0, unchanged 0, failed 1; read 1/3 files"
    assert "failed: s1.txt: bad date" in lines
    quiet_log = io.StringIO()
    silent = _progress([Path("s.txt")], quiet=True, stream=quiet_log, every=0)
    silent.reading()
    silent.stored(_outcome("added", "s"))
    silent.close()
    assert quiet_log.getvalue() == ""


def test_ingest_off_a_terminal_prints_no_line_per_file_and_names_the_few_updated(tmp_path):
    """Off a terminal (a log, CI) every file read drew its own line (about 100 on a re-ingest of 400 files)."""
    corpus = _corpus(tmp_path / "corpus", 40)
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    first = runner.invoke(cli, ["ingest", str(corpus)], env=env)
    assert first.exit_code == 0, first.output
    assert "story-17.txt" not in first.stderr and len(first.stderr.splitlines()) <= 3, first.stderr
    assert first.stdout.startswith("added 40, updated 0, unchanged 0, failed 0")
    for name in ("story-3", "story-7"):
        (corpus / f"{name}.txt").write_text("The Zephyrian council changed its mind about the bridge in June.\n")
    again = runner.invoke(cli, ["ingest", str(corpus)], env=env)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("added 0, updated 2 (story-3, story-7), unchanged 38, failed 0"), again.stdout
    for i in range(1, 13):
        (corpus / f"story-{i + 1}.txt").write_text(f"The council met again on day {i} about the harbour.\n")
    many = runner.invoke(cli, ["ingest", "-q", str(corpus)], env=env)
    assert many.stdout.startswith("added 0, updated 12, unchanged 28"), many.stdout  # too many to name


@pytest.mark.parametrize("dataset", [False, True])
def test_eval_index_naming_a_folder_of_articles_writes_nothing_there(tmp_path, dataset):
    """`--index` pointed at one's article folder said "holds no articles" and left chroma/, records.sqlite and
    lock files among the articles (a walk)."""
    index = tmp_path / "articles"
    index.mkdir()
    (index / "notes.txt").write_text("hi")
    from tests.conftest import SHARED

    rtqa = SHARED / "data" / "realtimeqa-dev"
    if dataset and not rtqa.exists():
        pytest.skip("../shared/data/realtimeqa-dev is not beside the repository")
    args = (["--dataset", "realtimeqa", "--path", str(rtqa), "--limit", "5"] if dataset
            else ["--suite", str(_suite(tmp_path, [OWN_CASE]))])
    done = runner.invoke(cli, ["eval", "-q", *args, "--index", str(index), "--out", str(tmp_path / "r")],
                         env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert done.exit_code == 2 and "not a Citewire data dir" in done.stderr, done.output
    assert sorted(p.name for p in index.iterdir()) == ["notes.txt"], list(index.iterdir())
