"""``citewire eval``: the known-answer suite or a public data set, in process or against a running server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from app.cli.common import _dependency_errors, _settings, cli, fail


@cli.command(name="eval")
def evaluate(
    url: Annotated[Optional[str], typer.Option(help="Evaluate a running server instead of in-process.")] = None,
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 when any metric misses its threshold.")] = False,
    out: Annotated[Path, typer.Option(help="Folder for the reports: results.json, report.md and report.png for the "
                                           "suite; realtimeqa.json, qags.json or rgb_fact.json for --dataset.")
                   ] = Path("eval-report"),
    dataset: Annotated[str, typer.Option(help="suite (known answers), realtimeqa, qags or rgb-fact.")] = "suite",
    path: Annotated[Optional[Path], typer.Option(help="Where the public dataset lies (never copied in).")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Cap on questions / articles for public sets; for the "
                                                             "suite, on the cases of each kind (not with --gate).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    suite: Annotated[Optional[Path], typer.Option(help="Another known-answer suite YAML (default: the shipped one).")] = None,
    index: Annotated[Optional[Path], typer.Option(help="An index to evaluate in-process as it is: for the suite, the "
                                                       "data dir your corpus was ingested into (default: a fresh "
                                                       "index of the samples); realtimeqa: a full index of its "
                                                       "corpus.")] = None,
    api_key: Annotated[Optional[str], typer.Option(
        envvar="CITEWIRE_EVAL_API_KEY", show_default=False,
        help="With --url: the server's API key (sent as 'Authorization: Bearer KEY'; or CITEWIRE_EVAL_API_KEY).")] = None,
) -> None:
    """Measure answers, citations, faithfulness, refusals and latency; optionally gate on thresholds."""
    settings = _settings()  # a bad setting is a one-line error here, not a trace later
    if api_key and not url:
        fail("--api-key is for --url (an in-process eval needs no key)", 2)
    if url is not None and not _is_http_url(url):
        fail(f"--url {url!r} is not a server address: give http(s)://host[:port]", 2)
    with _dependency_errors(settings, url):
        _evaluate(url, gate, out, dataset, path, limit, quiet, suite, index, api_key)


def _evaluate(url, gate, out, dataset, path, limit, quiet, suite, index, api_key=None) -> None:
    created = not out.exists()
    _check_out_folder(out)  # before the run, not after it: a run takes minutes and its reports need a folder
    try:
        _evaluate_into(url, gate, out, dataset, path, limit, quiet, suite, index, api_key)
    except BaseException:  # a refused argument or a failed run: no empty report folder left behind
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise


def _evaluate_into(url, gate, out, dataset, path, limit, quiet, suite, index, api_key=None) -> None:
    from app.evals.dataset import DatasetError

    if dataset == "suite":
        if path is not None:  # it was ignored, and the suite ran as if the data set had been measured
            fail("--path is for a public data set: add --dataset realtimeqa, qags or rgb-fact (the suite is --suite)", 2)
        if gate and limit is not None:
            fail("--gate judges the whole suite: drop --limit (or drop --gate to try a few cases)", 2)
        if index is not None and url is not None:
            fail("--index is for an in-process eval: --url evaluates the index that server holds", 2)
        from app.evals.dataset import DEFAULT_SUITE
        from app.evals.run import NoIndex, run_known_answers
        from app.evals.runner import NotCitewire
        from app.main import create_app

        def notice(line: str) -> None:  # before the run: which index, and cases naming articles it does not hold
            warning = line.startswith("warning: ")
            typer.secho(line if warning else f"eval: {line}", fg=typer.colors.YELLOW if warning else None, err=True)

        try:
            result, failures, paths = run_known_answers(url=url, out=out, progress=not quiet,
                                                        suite_path=suite or DEFAULT_SUITE, make_app=create_app,
                                                        api_key=api_key, limit=limit, index=index,
                                                        enforce_gate=gate, notice=notice)
        except NoIndex as exc:
            fail(str(exc), 2)
        except DatasetError as exc:
            fail(f"--suite: {exc}", 2)
        except NotCitewire as exc:
            fail(str(exc))
        width = max(len(k) for k in result.metrics)
        for name, value in result.metrics.items():  # what it was computed over: a rate over 3 cases is not one over 42
            over = "" if name.startswith("latency_") or name not in result.over else f"  over {result.over[name]}"
            typer.echo(f"{name:<{width}}  {value:8.3f}{over}")
        typer.echo(f"report: {paths['markdown']}  plot: {paths['plot']}  json: {paths['json']}")
        if gate and url is None:  # plus a fixed sample of RealTimeQA 2024 questions when ../shared is there
            from app.evals.run import run_realtimeqa_sample

            sample = run_realtimeqa_sample(out, progress=not quiet)
            typer.echo(sample["message"])
            failures += sample["failures"]
        if failures and gate:
            typer.secho("gate failures:\n  " + "\n  ".join(failures), fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        if failures:  # exit 0: no "gate failures" without the gate
            typer.secho("below the gate thresholds (not enforced without --gate):\n  " + "\n  ".join(failures),
                        fg=typer.colors.YELLOW, err=True)
        elif gate:
            typer.echo("gate: passed")
        return
    from app.evals import public

    runners = {"qags": public.run_qags, "realtimeqa": public.run_realtimeqa, "rgb-fact": public.run_rgb_fact}
    if dataset not in runners:
        fail(f"unknown dataset {dataset!r}: use suite, realtimeqa, qags or rgb-fact", 2)
    if path is None:
        fail(f"--dataset {dataset} needs --path to the data (e.g. ../shared/data/...)", 2)
    if not path.exists():
        fail(f"--path {path} does not exist (--dataset {dataset} reads the data set's folder, e.g. ../shared/data/...)", 2)
    extra = {"index": index} if dataset == "realtimeqa" else {}
    try:
        summary = runners[dataset](path, out=out, limit=limit, progress=not quiet, **extra)
    except FileNotFoundError as exc:  # a folder without the dataset's files
        fail(f"--dataset {dataset}: {exc.filename or exc} is missing (is --path the dataset's folder?)", 2)
    except DatasetError as exc:  # another data set's files, or damaged ones
        fail(f"--dataset {dataset}: {exc}", 2)
    except UnicodeDecodeError:
        fail(f"--dataset {dataset}: {path} is not UTF-8 text (is --path the dataset?)", 2)
    for name, value in summary.items():
        if isinstance(value, float) and value != value:  # NaN: nothing was asked that it measures (refusal_wrong_year
            continue  # needs the benchmark's --wrong-year set)
        typer.echo(f"{name:<28} {value:.3f}" if isinstance(value, float) else f"{name:<28} {value}")


def _is_http_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_out_folder(out: Path) -> None:
    """--out must be a folder that exists or can be made: a file there ran the whole evaluation and then died
    writing its reports."""
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder for the reports", 2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot make the folder ({exc.strerror or exc})", 2)
