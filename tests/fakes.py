"""Test doubles (unit tests only)."""

from __future__ import annotations

import numpy as np


class FailingEmbedder:
    """Stands in for an embeddings endpoint that is down."""

    name = "wordllama-l2-supercat-256"
    dim = 256

    def embed(self, texts: list[str]) -> np.ndarray:
        raise ConnectionError("embeddings endpoint unreachable")
