"""`citewire eval --url` against a server that wants an API key (CITEWIRE_API_KEYS): without a way to send one,
such a server could not be evaluated at all (every request a 401, the eval's one line said so)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import mini_suite
from tests.test_integration import free_port, stop, wait_for

KEY = "eval-key-0123456789abcdef"


def test_eval_sends_the_api_key_a_keyed_server_wants(tmp_path):
    port = free_port()
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--samples", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "CITEWIRE_DATA_DIR": str(data_dir), "CITEWIRE_API_KEYS": KEY},
        stdout=(tmp_path / "server.log").open("w"), stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    suite = mini_suite(tmp_path)
    runner = CliRunner()
    try:
        wait_for(f"{url}/readyz", process, timeout=120)
        refused = runner.invoke(cli, ["eval", "-q", "--url", url, "--suite", str(suite), "--out", str(tmp_path / "no")])
        assert refused.exit_code == 1 and "HTTP 401" in refused.output, refused.output
        wrong = runner.invoke(cli, ["eval", "-q", "--url", url, "--suite", str(suite), "--out", str(tmp_path / "no"),
                                    "--api-key", "not-the-key"])
        assert wrong.exit_code == 1 and "HTTP 401" in wrong.output, wrong.output
        done = runner.invoke(cli, ["eval", "-q", "--url", url, "--suite", str(suite), "--out", str(tmp_path / "r")],
                             env={"CITEWIRE_EVAL_API_KEY": KEY})
        assert done.exit_code == 0, done.output
    finally:
        stop(process)
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["metrics"]["retrieval_hit@5"] > 0, results["metrics"]


def test_api_key_without_url_is_a_usage_error():
    result = CliRunner().invoke(cli, ["eval", "--api-key", KEY])
    assert result.exit_code == 2 and "--api-key is for --url" in result.output
