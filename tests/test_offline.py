"""The offline defaults hold: no download, no telemetry, no connection beyond loopback."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

from app.offline import SHIPPED_ENCODINGS, install_tiktoken_files

GUARD_AND_RUN = textwrap.dedent(
    """
    import socket, sys
    blocked = []
    real_connect = socket.socket.connect
    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
            blocked.append(host)
            raise OSError(f"network blocked by test: {host}")
        return real_connect(self, address)
    socket.socket.connect = guarded
    real_getaddrinfo = socket.getaddrinfo
    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "127.0.0.1", "::1", "localhost"):
            blocked.append(host)
            raise socket.gaierror(f"name resolution blocked by test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = guarded_getaddrinfo

    from pathlib import Path
    from fastapi.testclient import TestClient
    from app.config import Settings
    from app.main import create_app
    settings = Settings(data_dir=Path(sys.argv[1]), index_samples=True)
    with TestClient(create_app(settings)) as client:
        body = client.post("/v1/ask", json={"question": "What did Kim pledge?"}).json()
    assert body["answerable"], body
    assert "full and unconditional support" in body["answer"], body
    print("BLOCKED", sorted(set(blocked)))
    """
)


def test_tiktoken_files_come_from_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    cache = install_tiktoken_files(tmp_path / "tk")
    for name in SHIPPED_ENCODINGS:
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        assert (cache / hashlib.sha1(url.encode()).hexdigest()).stat().st_size > 1_000_000
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(cache)


def test_ingest_and_ask_with_every_outside_connection_failing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "HF_HUB_OFFLINE", "ANONYMIZED_TELEMETRY")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")  # no BPE file yet: it must come from the package
    env["HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-c", GUARD_AND_RUN, str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Nothing even tried to leave the machine (telemetry and hub downloads included).
    assert "BLOCKED []" in result.stdout, result.stdout
