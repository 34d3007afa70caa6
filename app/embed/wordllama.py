"""Offline default: wordllama static embeddings, weights shipped inside the PyPI wheel (MIT)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np


class WordLlamaEmbedder:
    name = "wordllama-l2-supercat-256"
    dim = 256
    _shared: "WordLlamaEmbedder | None" = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        import wordllama
        from wordllama import WordLlama

        # The default load() looks for the tokenizer in the wrong folder and then tries a hub;
        # the package folder holds everything it needs.
        self._model = WordLlama.load(
            dim=self.dim, cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )
        # The same ids without character offsets, which embedding never reads: tokenising is ~70 % of an
        # embedding's CPU and this path costs a quarter less (docs/performance.md). Vectors are bit-identical.
        # ``encode_batch_fast`` came in tokenizers 0.20.0, the pinned lower bound.
        self._model.tokenize = functools.partial(_tokenize_without_offsets, self._model.tokenizer)

    @classmethod
    def shared(cls) -> "WordLlamaEmbedder":
        """Loading takes ~0.1 s and 20 MB; one instance per process is plenty."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def process_factory(self):
        """How an ingest worker process makes its own copy (app/ingest/pipeline.py): the weights are in the wheel,
        so a worker loads them in ~0.1 s instead of the parent embedding under its GIL."""
        return WordLlamaEmbedder.shared

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.embed(texts, norm=True), dtype=np.float32)
        return vectors


def _tokenize_without_offsets(tokenizer, texts: str | list[str]) -> list:
    """wordllama's ``tokenize`` (a list, as it asserts), through ``encode_batch_fast``; module level so the model
    still pickles."""
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list):
        raise TypeError("texts must be a str or a list of str")
    return tokenizer.encode_batch_fast(texts, is_pretokenized=False, add_special_tokens=False)
