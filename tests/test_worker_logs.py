"""Worker processes log as the single-process ``citewire serve`` does: JSON lines with request ids, one
``citewire.access`` line per request (and not uvicorn's too). The workers of ``citewire serve --workers N`` and of
``uvicorn app.main:create_app --factory --workers N`` are spawned, so the parent's logging set-up never reached them:
they wrote none of their own lines, access lines included."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.conftest import chroma_binary
from tests.test_integration import free_port, stop, wait_for

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")]

SERVE = [sys.executable, "-m", "app.cli", "serve", "--workers", "2"]
UVICORN = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--workers", "2"]
SUPERVISOR = re.compile(r"INFO: +(Uvicorn running on |Started parent process |Received SIG\w+, exiting|"
                        r"Terminated child process |Waiting for child process |Stopping parent process )")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    port = free_port()
    chroma = subprocess.Popen([chroma_binary(), "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--host",
                               "127.0.0.1", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", chroma)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(chroma)


@pytest.mark.parametrize("command", [SERVE, UVICORN], ids=["citewire-serve", "uvicorn-factory"])
def test_every_worker_logs_json_lines_with_an_access_line_per_request(tmp_path, chroma_url, command):
    port = free_port()
    # each case is its own deployment (its own record) on the module's Chroma server: its own collection, since a
    # collection belongs to the record that first opened it (another record is refused)
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_CHROMA_URL": chroma_url,
           "CITEWIRE_WARMUP": "false", "CITEWIRE_COLLECTION": f"logs_{tmp_path.name}"}
    server = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    # the hyphenated form too: the log cut it to 32 characters, so the client's id was not found in the log
    given = [str(uuid.uuid4()) if i % 2 else uuid.uuid4().hex for i in range(6)]
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", server, timeout=120)
        for request_id in given:  # several, so that both workers are likely to answer some
            response = httpx.post(f"http://127.0.0.1:{port}/v1/search", json={"query": "Vostochny"},
                                  headers={"X-Request-ID": request_id}, timeout=30)
            assert response.status_code == 200 and response.headers["x-request-id"] == request_id
    finally:
        stop(server)
    output = server.stdout.read()
    raw = [line for line in output.splitlines() if line.strip()]
    lines = [json.loads(line) for line in raw if line.startswith("{")]
    # every line is JSON but, under the uvicorn command, its supervisor's (the parent, which never builds the app)
    plain = [line for line in raw if not line.startswith("{")]
    assert all(command is UVICORN and SUPERVISOR.match(line) for line in plain), plain
    access = [line for line in lines if line["logger"] == "citewire.access"]
    assert {line["request_id"] for line in access if line["path"] == "/v1/search"} == set(given), output[-3000:]
    assert all(line["status"] == 200 and line["duration_ms"] > 0 for line in access if line["path"] == "/v1/search")
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]  # ours replaces it, as in one process
    started = {line["message"] for line in lines if line["message"].startswith("Started server process")}
    assert len(started) == 2, output[-3000:]  # each worker's own lines
