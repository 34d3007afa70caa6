"""Shared fixtures for the shared-store bug hunt: a real PostgreSQL and a real `chroma run`."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.config import Settings
from tests import postgres_server
from tests.conftest import chroma_binary
from tests.test_integration import free_port, stop, wait_for


class Chroma:
    def __init__(self, path: Path) -> None:
        self.path, self.port, self.process = path, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([chroma_binary(), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                         "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, text=True)
        wait_for(f"{self.url}/api/v2/heartbeat", self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


pg_ctl = postgres_server.pg_ctl


@pytest.fixture
def pg():
    yield from postgres_server.running()


@pytest.fixture
def chroma(tmp_path):
    if chroma_binary() is None:
        pytest.skip("no chroma CLI")
    server = Chroma(tmp_path / "chroma")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def settings_for(tmp_path: Path, name: str, pg_url: str, chroma_url: str, **extra) -> Settings:
    return Settings(data_dir=tmp_path / name, lexical_url=pg_url, chroma_url=chroma_url, answer_model="heuristic",
                    **extra)
