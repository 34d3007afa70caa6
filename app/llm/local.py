"""Serve a GGUF model in-process with llama.cpp (xllamacpp) on 127.0.0.1, behind the same openai path."""

from __future__ import annotations

import logging
import os
import struct
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
GGUF_VERSIONS = (2, 3)  # what llama.cpp reads (version 1 is long gone)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}  # 8 string, 9 array
# ggml tensor types: (block size in elements, bytes per block), for the size a tensor's data takes
_GGML_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
                10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
                16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
                22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
                29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17)}
_MAX_COUNT = 1 << 24  # more metadata entries or tensors than any model has: a damaged header, not a model


class _Truncated(Exception):
    pass


class _Reader:
    def __init__(self, handle) -> None:
        self.handle = handle

    def take(self, size: int) -> bytes:
        data = self.handle.read(size)
        if len(data) != size:
            raise _Truncated
        return data

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> bytes:
        size = self.unpack("Q")
        if size > 1 << 30:
            raise ValueError(f"a metadata string of {size} bytes")
        return self.take(size)

    def value(self, kind: int) -> object:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == 8:
            return self.string()
        if kind == 9:
            item, count = self.unpack("I"), self.unpack("Q")
            if count > 1 << 28:
                raise ValueError(f"a metadata array of {count} items")
            if item in _SCALARS:  # skipped whole, not read item by item
                self.take(count * struct.calcsize("<" + _SCALARS[item]))
            else:
                for _ in range(count):
                    self.value(item)
            return None
        raise ValueError(f"unknown metadata type {kind}")


def gguf_problem(model_path: Path) -> str | None:
    """Why ``model_path`` is not a whole GGUF model, else None: read from its header (version, metadata, tensor
    table) and its size, which must hold every tensor's data. A copy or download cut short passed the magic check
    and then failed inside llama.cpp ("Failed to init server"), or worse, inside a worker."""
    try:
        size = model_path.stat().st_size
        with open(model_path, "rb") as handle:
            reader = _Reader(handle)
            if reader.take(4) != GGUF_MAGIC:
                return None  # told apart by check_local_model
            version = reader.unpack("I")
            if version not in GGUF_VERSIONS:
                return f"GGUF version {version} is not one llama.cpp reads ({', '.join(map(str, GGUF_VERSIONS))})"
            tensors, entries = reader.unpack("Q"), reader.unpack("Q")
            if tensors > _MAX_COUNT or entries > _MAX_COUNT:
                return f"its header is damaged ({tensors} tensors, {entries} metadata entries)"
            alignment, splits = 32, 1
            for _ in range(entries):
                key = reader.string()
                value = reader.value(reader.unpack("I"))
                if key == b"general.alignment" and isinstance(value, int) and value > 0:
                    alignment = value
                elif key == b"split.count" and isinstance(value, int):
                    splits = value
            if tensors == 0 and splits <= 1:  # the first part of a split model may hold none (gguf-split
                # --no-tensor-first-split): llama.cpp reads the tensors from the other parts
                return f"its header is damaged ({tensors} tensors, {entries} metadata entries)"
            end = 0
            for _ in range(tensors):
                reader.string()  # the tensor's name
                dims = reader.unpack("I")
                if dims > 8:
                    return f"its tensor table is damaged (a tensor of {dims} dimensions)"
                shape = [reader.unpack("Q") for _ in range(dims)]
                kind, offset = reader.unpack("I"), reader.unpack("Q")
                elements = 1
                for n in shape:
                    elements *= n
                block, block_bytes = _GGML_BLOCKS.get(kind, (1, 0))  # a type unknown here: its offset at least
                end = max(end, offset + -(-elements // block) * block_bytes)
            data_start = -(-handle.tell() // alignment) * alignment
    except _Truncated:
        return f"it ends inside its header ({size:,} bytes): a truncated copy or download?"
    except (ValueError, struct.error) as exc:
        return f"its header is damaged ({exc})"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if data_start + end > size:
        return (f"it is truncated: {size:,} bytes, but its tensors need {data_start + end:,} (an interrupted copy or "
                "download?)")
    return None


def check_local_model(model_path: Path) -> None:
    """What can be told without loading the model: llama.cpp is installed and the file is a whole GGUF (magic,
    version, header and a size that holds every tensor). ``citewire serve`` asks before starting (the server builds
    its services later, where a failure was a traceback), as does every start of the model: llama.cpp's own word
    on a bad file is only "Failed to init server"."""
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
    problem = gguf_problem(model_path)
    if problem is not None:
        raise LocalModelError(f"{model_path} is not a usable GGUF model: {problem}")


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
