"""`citewire serve --workers N`: refused before anything starts on the embedded store (exit 2), and a worker
that fails to start stops the server with exit 1 (uvicorn's own supervisor exits 0 then)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.test_integration import free_port


def test_several_workers_on_the_embedded_store_are_refused_before_starting(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--port", str(free_port())],
                                env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: --workers 2 needs a Chroma server (CITEWIRE_CHROMA_URL)")
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "data").exists()
    zero = CliRunner().invoke(cli, ["serve", "--workers", "0"], env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert zero.exit_code == 2 and zero.stderr.startswith("error: ")


@pytest.mark.integration
def test_a_worker_that_fails_to_start_stops_the_server_with_a_non_zero_exit(tmp_path):
    """Every worker fails its start-up: the Chroma server it is pointed at is not there."""
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_WARMUP": "false",
           "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{free_port()}"}
    run = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(free_port())],
                         env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert run.returncode == 1, run.stderr[-2000:]
    assert run.stderr.strip().splitlines()[-1] == \
        ("error: a worker failed to start, so the server stopped (its error is logged above; not at "
         "CITEWIRE_LOG_LEVEL=CRITICAL: lower it to see why)")
