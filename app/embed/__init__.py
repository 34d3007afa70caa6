"""Embedders turn text into unit vectors; the offline default needs no download."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from app.config import Settings


class Embedder(Protocol):
    """An embedder may also have ``process_factory``: a picklable callable that makes an equivalent embedder in
    another process. Ingest workers then embed their own batches (app/ingest/pipeline.py); without it (an
    endpoint) the parent embeds."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""
        ...


def make_embedder(settings: Settings) -> Embedder:
    if settings.embed_base_url:
        from app.embed.openai_compat import OpenAIEmbedder

        return OpenAIEmbedder(settings.embed_base_url, settings.embed_model, settings.embed_api_key)
    from app.embed.wordllama import WordLlamaEmbedder

    return WordLlamaEmbedder.shared()
