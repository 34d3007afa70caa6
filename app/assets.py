"""Where the prompt files and the eval suite are read from.

The repository keeps them in top-level ``prompts/`` and ``evals/`` (the source of truth); the wheel
ships the same files as package data under ``app/_prompts`` and ``app/_evals`` (mapped in
``setup.py``), read with ``importlib.resources``. A source checkout that was never built reads the
top-level folders directly.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from app.config import REPO_ROOT


def asset_dir(name: str) -> Path:
    """``prompts`` or ``evals``: the installed package's copy, else the checkout's folder."""
    packaged = files("app") / f"_{name}"
    if packaged.is_dir():
        return Path(str(packaged))
    return REPO_ROOT / name
