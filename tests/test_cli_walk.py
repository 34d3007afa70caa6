"""Bad input met while walking the command line as a new user: each is one line, never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.request_types import ARTICLE_ID_RULE

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))


def test_a_date_that_leaves_the_calendar_in_utc_is_a_failed_record_not_a_traceback(tmp_path):
    """9999-12-31T23:59-05:00 is a valid ISO date whose UTC instant is in year 10000 (OverflowError)."""
    corpus = tmp_path / "dates.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"id": "late", "text": "The harbour reopened.", "published_at": "9999-12-31T23:59:59-05:00"},
        {"id": "early", "text": "The bridge closed.", "published_at": "0001-01-01T00:00:00+05:00"},
        {"id": "fine", "text": "The library opened.", "published_at": "2023-09-13"},
    ]) + "\n")
    result = runner.invoke(cli, ["ingest", "-q", str(corpus)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1 and "added 1" in result.stdout and "failed 2" in result.stdout
    assert "dates.jsonl:1 (id 'late'): published_at" in result.stderr and "out of range" in result.stderr
    assert "fine" in runner.invoke(cli, ["list"]).stdout


def _article(i: int) -> str:
    return json.dumps({"id": f"story-{i}", "title": f"Harbour report {i}", "published_at": "2024-03-04",
                       "text": f"The harbour of town {i} reopened on Monday. Officials said {i} ships docked."}) + "\n"


def _stored(data_dir) -> int:
    import sqlite3

    path = data_dir / "records.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:  # the schema is still being made
        return 0


@pytest.mark.parametrize("stop, code, said", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "stopped by SIGTERM")])
def test_ctrl_c_during_an_ingest_says_what_was_kept_and_a_rerun_finishes(tmp_path, stop, code, said):
    """A real SIGINT to the whole process group (what Ctrl+C in a terminal sends), worker processes included,
    while the reader waits for more input: one ``error: interrupted`` line with the counts, exit 130, no
    worker traceback; the store answers and a re-run adds only what was missing."""
    import os
    import signal
    import subprocess
    import sys
    import time

    data_dir = tmp_path / "ctrl-c-data"
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(data_dir)}
    fifo = tmp_path / "live.jsonl"  # the ingest can only end when we say: it reads what we write, when we write it
    os.mkfifo(fifo)
    command = [sys.executable, "-m", "app.cli", "ingest", "--batch", "8", str(fifo)]
    ingest = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True,  # its own group: killpg reaches it and its workers only
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while True:  # the writer end opens once citewire has opened the reading end
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                assert ingest.poll() is None and time.monotonic() < deadline, ingest.communicate()
                time.sleep(0.1)
        os.set_blocking(writer, True)
        # 5 full batches (the third starts the worker processes), then 3 articles of a batch never completed
        os.write(writer, "".join(_article(i) for i in range(43)).encode())
        while _stored(data_dir) < 40:
            assert ingest.poll() is None and time.monotonic() < deadline, ingest.communicate()
            time.sleep(0.1)
        os.killpg(ingest.pid, getattr(signal, stop))  # SIGTERM to the group: what systemd's stop sends
        _, err = ingest.communicate(timeout=60)
        os.close(writer)
    finally:
        if ingest.poll() is None:
            os.killpg(ingest.pid, signal.SIGKILL)
    assert ingest.returncode == code, err
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip() and " articles [" not in line]
    assert lines == [f"error: {said}: added 40, updated 0, unchanged 0, failed 0 before the stop; those are "
                     "stored whole, nothing after them was written; run the same command again to finish "
                     "(stored articles are skipped as unchanged)"], err
    assert "(40 of 40)" in runner.invoke(cli, ["list"], env={"CITEWIRE_DATA_DIR": str(data_dir)}).stdout
    whole = tmp_path / "whole.jsonl"
    whole.write_text("".join(_article(i) for i in range(43)))
    again = runner.invoke(cli, ["ingest", "-q", str(whole)], env={"CITEWIRE_DATA_DIR": str(data_dir)})
    assert again.exit_code == 0 and "added 3, updated 0, unchanged 40, failed 0" in again.stdout, again.output


def test_an_interrupted_ingest_stops_after_the_batch_being_written_and_keeps_whole_batches(services, monkeypatch):
    """Ctrl+C (KeyboardInterrupt in the reading loop) drops the batches still queued instead of embedding and
    writing every one in flight first (up to ~5 x 256 articles, many seconds); what was written is whole."""
    import time

    from app.ingest.article import ArticleIn

    real_embed = services.embedder.embed

    def slow_embed(texts):
        time.sleep(0.3)
        return real_embed(texts)

    monkeypatch.setattr(services.embedder, "embed", slow_embed)

    def articles():
        for i in range(10):  # 5 batches of 2: at the interrupt the last two are still queued, unembedded
            yield ArticleIn(id=f"k-{i}", text=f"The ferry of island {i} sailed at dawn with {i} cars aboard.")
        raise KeyboardInterrupt

    outcomes = []
    with pytest.raises(KeyboardInterrupt):
        services.ingest.ingest(articles(), batch_articles=2, workers=0, on_progress=outcomes.append)
    stored, _ = services.records.count()
    assert stored < 10 and stored % 2 == 0 and len(outcomes) == stored
    assert services.records.count() == (stored, stored) and services.vectors.count() == stored
    assert [o.article_id for o in outcomes] == [f"k-{i}" for i in range(stored)]


def _one_line_error(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_eval_with_a_suite_that_is_missing_or_not_a_suite_is_one_line(tmp_path):
    (tmp_path / "broken.yaml").write_text("questions: [1, 2\n")
    (tmp_path / "other.yaml").write_text("version: 1\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    for name, needle in (("nope.yaml", "cannot read"), ("broken.yaml", "not valid YAML (line 2"),
                         ("other.yaml", "not a known-answer suite: answerable: Field required"),
                         ("binary.yaml", "cannot read")):
        _one_line_error(runner.invoke(cli, ["eval", "-q", "--suite", str(tmp_path / name), "--out", str(tmp_path / "r")]),
                        2, "--suite: ", needle)


def test_eval_of_a_public_set_pointed_at_other_files_is_one_line(tmp_path):
    """A wrong --path (another data set's records, a folder for a file) failed with KeyError tracebacks."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "articles.jsonl").write_text(json.dumps({"id": "a", "text": "The harbour reopened."}) + "\n")
    out = ["--out", str(tmp_path / "r"), "-q"]
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "qags", "--path", str(other), *out]), 2,
                    "articles.jsonl:1 is not a QAGS record (no 'summary_sentences' field)")
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "rgb-fact", "--path", str(other / "articles.jsonl"), *out]),
                    2, "articles.jsonl:1 is not an RGB fact record (no query, answer, fakeanswer)")
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "rgb-fact", "--path", str(other), *out]), 2,
                    "is a folder: give RGB's file")
    (other / "garbage.jsonl").write_bytes(bytes(range(128, 256)) * 4)
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "rgb-fact", "--path", str(other / "garbage.jsonl"), *out]),
                    2, "is not UTF-8 text")


def test_a_refused_eval_leaves_no_empty_report_folder_behind(tmp_path):
    """A wrong --path was refused with one line and left the empty --out folder the run had made for its reports;
    a folder that was there before stays."""
    made = tmp_path / "made" / "r"
    _one_line_error(runner.invoke(cli, ["eval", "-q", "--dataset", "realtimeqa", "--path", str(tmp_path / "nothing"),
                                        "--out", str(made)]), 2, "does not exist")
    assert not made.exists() and (tmp_path / "made").is_dir()  # only the folder it made itself goes
    kept = tmp_path / "kept"
    kept.mkdir()
    _one_line_error(runner.invoke(cli, ["eval", "-q", "--dataset", "nosuch", "--out", str(kept)]), 2,
                    "unknown dataset")
    assert kept.is_dir()


def test_eval_against_a_server_that_is_not_citewire_is_one_line_not_all_zero_metrics(tmp_path):
    """Another service on the port (every POST a 501 here): every metric was 0 and, without --gate, exit 0."""
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = runner.invoke(cli, ["eval", "-q", "--url", url, "--out", str(tmp_path / "r")])
    finally:
        server.shutdown()
        server.server_close()
    _one_line_error(result, 1, f"{url} does not answer as Citewire's API: POST /v1/search answered HTTP 501")
    assert not (tmp_path / "r" / "results.json").exists()


def test_serve_on_a_port_in_use_or_an_unknown_host_is_one_line_before_starting(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_line_error(runner.invoke(cli, ["serve", "--port", str(port)]), 1,
                        f"cannot listen on 127.0.0.1:{port}: Address already in use")
    _one_line_error(runner.invoke(cli, ["serve", "--host", "nosuchhost.invalid", "--port", str(port)]), 1,
                    "cannot listen on nosuchhost.invalid")
    assert not (tmp_path / "data").exists()  # nothing was opened


def test_eval_of_a_public_set_with_a_line_nested_too_deep_is_one_line(tmp_path):
    """A QAGS line nested deeper than the JSON parser recurses was a RecursionError traceback."""
    qags = tmp_path / "qags"
    qags.mkdir()
    (qags / "mturk_cnndm.jsonl").write_text("\n" + "[" * 100_000 + "\n")
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "qags", "--path", str(qags), "--out", str(tmp_path / "r"),
                                        "-q"]), 2, "mturk_cnndm.jsonl:2 is not a QAGS record (RecursionError")


def test_serve_port_check_agrees_with_how_uvicorn_binds():
    """uvicorn binds through asyncio's create_server (IPv6 sockets IPv6-only): with an IPv4 listener on the
    port, "::" is free for it, and the pre-check said "Address already in use" (review)."""
    import asyncio
    import socket

    import typer

    from app.cli.serve import _check_listen

    def uvicorn_can_bind(host: str, port: int) -> bool:
        async def attempt() -> bool:
            try:
                server = await asyncio.get_running_loop().create_server(asyncio.Protocol, host=host, port=port)
            except OSError:
                return False
            server.close()
            await server.wait_closed()
            return True
        return asyncio.run(attempt())

    def check_passes(host: str, port: int) -> bool:
        try:
            _check_listen(host, port)
        except (SystemExit, typer.Exit):
            return False
        return True

    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        hosts = ["0.0.0.0", "127.0.0.1"] + (["::"] if socket.has_ipv6 and uvicorn_can_bind("::", 0) else [])
        for host in hosts:
            assert check_passes(host, port) == uvicorn_can_bind(host, port), host
        if "::" in hosts:
            assert check_passes("::", port)  # the case the old check refused


def test_eval_limit_samples_each_kind_of_the_suite_and_is_refused_with_the_gate(tmp_path):
    """--limit said "cap on questions" but the suite ran all its cases whatever it was given."""
    _one_line_error(runner.invoke(cli, ["eval", "-q", "--gate", "--limit", "2", "--out", str(tmp_path / "g")]), 2,
                    "--gate judges the whole suite")
    result = runner.invoke(cli, ["eval", "-q", "--limit", "1", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r" / "results.json").read_text())
    kinds = [case["kind"] for case in report["cases"]]
    assert sorted(kinds) == sorted(set(kinds)) and len(kinds) >= 2, kinds  # one case of each kind
    assert report["cases_per_kind"] == 1
    assert "(at most 1 of each kind" in (tmp_path / "r" / "report.md").read_text()


@pytest.mark.parametrize("url", ["notaurl", "ftp://host", "http://", "http://host:port"])
def test_eval_url_that_is_not_a_server_address_is_a_usage_error(tmp_path, url):
    _one_line_error(runner.invoke(cli, ["eval", "-q", "--url", url, "--out", str(tmp_path / "r")]), 2,
                    "is not a server address")


def test_an_empty_file_and_a_blank_one_fail_for_the_same_reason(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "blank.txt").write_text("  \n\n\t\n")
    (folder / "empty.md").write_text("")
    result = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert result.exit_code == 1 and "failed 3" in result.stdout, result.output
    reasons = [line.split(": ", 2)[2] for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert reasons == ["text: text is empty"] * 3, result.stderr


def test_eval_options_that_do_not_fit_together_are_usage_errors(tmp_path):
    out = ["--out", str(tmp_path / "r"), "-q"]
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "nope", *out]), 2, "unknown dataset 'nope'")
    _one_line_error(runner.invoke(cli, ["eval", "--path", str(tmp_path), *out]), 2, "--path is for a public data set")


def test_a_qags_sample_too_small_to_score_is_said_not_scored_nan(tmp_path):
    """--limit 3 printed numpy's divide-by-zero warning and reported AUROC nan from one label."""
    folder = tmp_path / "qags"
    folder.mkdir()
    record = {"article": "The council met on Monday.", "summary_sentences": [
        {"sentence": "The council met on Monday.", "responses": [{"response": "yes"}] * 3}]}
    (folder / "mturk_cnndm.jsonl").write_text("\n".join(json.dumps(record) for _ in range(4)) + "\n")
    (folder / "mturk_xsum.jsonl").write_text("")
    _one_line_error(runner.invoke(cli, ["eval", "--dataset", "qags", "--path", str(folder), "--out",
                                        str(tmp_path / "r"), "-q"]), 2, "raise --limit")


def test_a_source_filter_that_matches_nothing_is_named_in_the_refusal(tmp_path):
    """"--source Nope" was refused with "no passage in the index matches the question", as if the index were empty."""
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    refused = runner.invoke(cli, ["ask", "What did Kim pledge?", "--source", "Nope"])
    assert "within the filters (sources Nope)" in refused.stdout, refused.output
    _one_line_error(runner.invoke(cli, ["search", "Kim", "--mode", ""]), 2, "--mode ''")
    _one_line_error(runner.invoke(cli, ["model", "--gguf", str(tmp_path / "none.gguf")]), 2, "does not exist")


@pytest.mark.parametrize("args", [["delete", "bad id!"], ["delete", "story-1\n"], ["delete", "-"],
                                  ["summarize", "--article-id", "bad id!"],
                                  ["summarize", "--article", "fine-id", "--article", "a/b"]])
def test_an_id_no_article_can_have_is_a_usage_error_not_a_missing_article(args):
    """"bad id!" was exit 1 "no article with id 'bad id!'", as if it might be stored; the API refuses it (422)."""
    _one_line_error(runner.invoke(cli, args), 2, f"is not a valid article id ({ARTICLE_ID_RULE})")


def test_a_well_formed_id_that_is_not_stored_is_still_a_failure():
    _one_line_error(runner.invoke(cli, ["delete", "not-stored"]), 1, "no article with id 'not-stored'")


def test_list_shows_one_date_format_and_ingest_counts_read_as_english(tmp_path):
    """``list`` printed "2024-01-18T09:00:00+00:00" above "2024-03-02"; ``ingest`` said "(1 chunks written)"."""
    corpus = tmp_path / "dated.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"id": "timed", "text": "The dam was inspected.", "published_at": "2024-01-18T09:00:00Z"},
        {"id": "dated", "text": "The bridge reopened.", "published_at": "2024-03-02"},
        {"id": "offset", "text": "The ferry sailed.", "published_at": "2024-03-01T00:30:00+02:00"},
        {"id": "utc-midnight", "text": "The port closed.", "published_at": "2024-02-01T00:00:00+00:00"},
        {"id": "plain", "text": "The market opened."},
    ]) + "\n")
    assert "(5 chunks written)" in runner.invoke(cli, ["ingest", "-q", str(corpus)]).stdout
    one = tmp_path / "tolle.txt"
    one.write_text("The Tolle dam held.")
    result = runner.invoke(cli, ["ingest", "-q", str(one)])
    assert result.exit_code == 0 and "(1 chunk written)" in result.stdout, result.output
    listed = runner.invoke(cli, ["list"])
    dates = {line.split("\t")[0]: line.split("\t")[1] for line in listed.stdout.splitlines() if "\t" in line}
    assert dates == {"timed": "2024-01-18 09:00 UTC", "dated": "2024-03-02", "offset": "2024-02-29 22:30 UTC",
                     "utc-midnight": "2024-02-01", "plain": "undated", "tolle": "undated"}, listed.stdout
    assert listed.stdout.rstrip().endswith("(6 of 6)")


def test_counts_are_pluralised_by_their_number():
    from app.text import counted

    assert [counted(1, "chunk"), counted(0, "chunk"), counted(2, "file")] == ["1 chunk", "0 chunks", "2 files"]
    assert [counted(1, "mismatch", "mismatches"), counted(7, "mismatch", "mismatches")] == ["1 mismatch", "7 mismatches"]
