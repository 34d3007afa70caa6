"""Serve a GGUF model in-process with llama.cpp (xllamacpp) on 127.0.0.1, behind the same openai path."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def free_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LocalModelError(RuntimeError):
    """The local GGUF model (CITEWIRE_LOCAL_MODEL) cannot be served: no such file, or no [local] extra."""


class LocalModelServer:
    def __init__(self, model_path: Path, context_window: int, threads: int | None = None) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise LocalModelError("the local model needs the [local] extra: pip install -e '.[local]'") from exc
        if not model_path.is_file():
            raise LocalModelError(f"no GGUF model at {model_path} (run `citewire model` first?)")
        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = context_window
        params.cpuparams.n_threads = threads or free_cores()
        params.cpuparams_batch.n_threads = threads or free_cores()
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # any free port, loopback only
        params.n_parallel = 1
        params.verbosity = -1
        self.model_path = model_path
        self._server = xllamacpp.Server(params)
        log.info("local model %s on %s", model_path.name, self._server.listening_address)

    @property
    def base_url(self) -> str:
        return self._server.listening_address + "/v1"

    def close(self) -> None:
        self._server = None  # the server stops when the object is released
