"""The embedder tokenises without offsets (faster); its vectors must stay exactly wordllama's own."""

from __future__ import annotations

import pickle

import numpy as np

from app.embed.wordllama import WordLlamaEmbedder
from app.ingest.loaders import load_path
from app.samples import samples_path


def test_vectors_are_bit_identical_to_wordllamas_own_tokenizer_path():
    embedder = WordLlamaEmbedder()  # its own instance: the shared one keeps the faster path
    texts = [f"{r.article.title}\n{r.article.text}" for r in load_path(samples_path())]
    texts += ["Kim pledged “full and unconditional support”", "é", "COVID-19's well-known side-effects", "x " * 300]
    model = embedder._model
    assert "tokenize" in vars(model)  # the faster path is in use
    fast = embedder.embed(texts)
    assert np.array_equal(pickle.loads(pickle.dumps(embedder)).embed(texts), fast)  # the override still pickles
    del model.tokenize  # back to the class's own method: encode_batch, with offsets
    own = np.asarray(model.embed(texts, norm=True), dtype=np.float32)
    assert fast.shape == own.shape == (len(texts), WordLlamaEmbedder.dim)
    assert np.array_equal(fast, own)
