"""Offline default: wordllama static embeddings, weights shipped inside the PyPI wheel (MIT)."""

from __future__ import annotations

import copy
import itertools
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
        # Our own copy of the tokenizer, unpadded: ``embed`` pools each text's own tokens (below).
        self._tokenizer = copy.deepcopy(self._model.tokenizer)
        self._tokenizer.no_padding()

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
        """wordllama's vectors (mean of the token embeddings, L2-normalised), bit for bit, for about 30 % less CPU.

        wordllama gathers a padded texts × longest text × 256 array of token vectors, multiplies it by the padding
        mask and sums it; the gather and the product were most of its pooling's cost (docs/performance.md). Here the
        texts of a batch are sorted by token count and, position by position, the vectors of the texts still that
        long are added to their running sums: each text's vectors are added one after another in token order, as
        numpy's sum over the padded axis added them (the padding only added zeros), so the floats are the same
        (tests/test_wordllama_pooling.py). Do not reorder the additions (merging a text's repeated tokens into one
        weighted term, say): the sums would change in their last bits. Tokenising skips character offsets
        (``encode_batch_fast``, tokenizers >= 0.20), which embedding never reads.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        table = self._model.embedding
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            batch = texts[start:start + _BATCH]
            ids = [e.ids for e in self._tokenizer.encode_batch_fast(batch, add_special_tokens=False)]
            lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            order = np.argsort(-lengths, kind="stable")  # longest first: the texts still running are a prefix
            lengths = lengths[order]
            # the sorted texts' ids end to end (no padded matrix: one long text cannot make it texts × longest)
            flat = np.fromiter(itertools.chain.from_iterable(ids[i] for i in order), dtype=np.int64,
                               count=int(lengths.sum()))
            np.clip(flat, 0, table.shape[0] - 1, out=flat)  # as wordllama does
            starts = np.zeros(len(ids), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            running = np.searchsorted(-lengths, -np.arange(1, int(lengths[0]) + 1), side="right")  # texts > position
            sums = np.zeros((len(ids), self.dim), dtype=np.float32)
            for position, n in enumerate(running.tolist()):
                sums[:n] += table[flat[starts[:n] + position]]
            sums /= np.maximum(lengths, 1).astype(np.float32)[:, None]
            sums /= np.linalg.norm(sums, axis=1, keepdims=True)
            vectors[start + order] = sums
        return vectors


_BATCH = 512  # texts pooled together: bounds the ids and sums held at once; results do not depend on it
