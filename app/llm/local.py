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
    """The local GGUF model (CITEWIRE_LOCAL_MODEL) cannot be served: no such file, no GGUF, one llama.cpp cannot
    load, or no [local] extra."""


GGUF_MAGIC = b"GGUF"  # every GGUF file's first four bytes


def check_local_model(model_path: Path) -> None:
    """What can be told without loading the model: llama.cpp is installed and the file is a GGUF. ``citewire serve``
    asks before starting (the server builds its services later, where a failure was a traceback), as does every
    start of the model: llama.cpp's own word on a bad file is only "Failed to init server"."""
    try:
        import xllamacpp  # noqa: F401
    except ImportError as exc:
        raise LocalModelError("the local model needs the [local] extra: pip install -e '.[local]'") from exc
    if not model_path.is_file():
        raise LocalModelError(f"no GGUF model at {model_path} (run `citewire model` first?)")
    try:
        with open(model_path, "rb") as handle:
            head = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise LocalModelError(f"cannot read {model_path}: {exc.strerror or exc}") from exc
    if head != GGUF_MAGIC:
        raise LocalModelError(f"{model_path} is not a GGUF model file (it starts with {head!r}, not {GGUF_MAGIC!r})")


class LocalModelServer:
    def __init__(self, model_path: Path, context_window: int, threads: int | None = None) -> None:
        check_local_model(model_path)
        import xllamacpp

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
        try:
            self._server = xllamacpp.Server(params)
        except RuntimeError as exc:  # "Failed to init server, please check the input params."
            raise LocalModelError(f"llama.cpp could not load {model_path} (a truncated or unsupported GGUF, or too "
                                  f"little memory for a {context_window}-token context?): {exc}") from exc
        log.info("local model %s on %s", model_path.name, self._server.listening_address)

    @property
    def base_url(self) -> str:
        return self._server.listening_address + "/v1"

    def close(self) -> None:
        self._server = None  # the server stops when the object is released
