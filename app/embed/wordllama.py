"""Offline default: wordllama static embeddings, weights shipped inside the PyPI wheel (MIT)."""

from __future__ import annotations

import copy
import itertools
import threading
from pathlib import Path

import numpy as np
import scipy.sparse


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
        """wordllama's vectors (mean of the token embeddings, L2-normalised), bit for bit, at about half the CPU.

        wordllama gathers a padded (texts × longest × 256) array, masks it and sums it: most of an embedding's
        time was that memory traffic, not arithmetic (docs/performance.md). Here each batch is a sparse
        texts × vocabulary matrix with one 1.0 per token, in token order, times the embedding table: scipy adds
        each text's rows in the same order as numpy's sum did, so the floats are the same
        (tests/test_wordllama_fast_tokenize.py). Tokenising skips character offsets (``encode_batch_fast``,
        tokenizers >= 0.20), which embedding never reads.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        table = self._model.embedding
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            batch = texts[start:start + _BATCH]
            ids = [e.ids for e in self._tokenizer.encode_batch_fast(batch, add_special_tokens=False)]
            lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
            np.clip(flat, 0, table.shape[0] - 1, out=flat)  # as wordllama does
            offsets = np.zeros(len(ids) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            counts = scipy.sparse.csr_matrix((np.ones(len(flat), dtype=np.float32), flat, offsets),
                                             shape=(len(ids), table.shape[0]))
            sums = np.asarray(counts @ table, dtype=np.float32)
            sums /= np.maximum(lengths, 1).astype(np.float32)[:, None]
            sums /= np.linalg.norm(sums, axis=1, keepdims=True)
            vectors[start:start + len(batch)] = sums
        return vectors


_BATCH = 512  # texts per sparse product: bounds the token lists held at once; results do not depend on it
