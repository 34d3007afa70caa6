"""The embedder pools tokens its own (faster) way; its vectors must stay exactly wordllama's own."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np

from app.embed import wordllama as wordllama_module
from app.embed.wordllama import WordLlamaEmbedder
from app.ingest.loaders import load_path
from app.samples import samples_path


def _texts() -> list[str]:
    texts = [f"{r.article.title}\n{r.article.text}" for r in load_path(samples_path())]
    texts += ["Kim pledged “full and unconditional support”", "é", "COVID-19's well-known side-effects", "x " * 300,
              "   ", "\n", "a"]
    # varied lengths, so wordllama's padded batches hold many pad positions
    return texts + [" ".join(texts[i % 8].split()[: 1 + 37 * i % 400]) for i in range(60)]


def test_vectors_are_bit_identical_to_wordllamas_own_path(monkeypatch):
    monkeypatch.setattr(wordllama_module, "_BATCH", 16)  # several batches, a short last one
    embedder = WordLlamaEmbedder()
    texts = _texts()
    fast = embedder.embed(texts)
    own = np.asarray(embedder._model.embed(texts, norm=True), dtype=np.float32)  # wordllama's gather-and-mask
    assert fast.shape == own.shape == (len(texts), WordLlamaEmbedder.dim)
    assert fast.dtype == np.float32
    assert np.array_equal(fast, own)
    assert np.array_equal(embedder.embed(texts[:1]), own[:1])  # one text alone: the same vector
    assert np.array_equal(pickle.loads(pickle.dumps(embedder)).embed(texts), fast)  # still pickles (worker copies)


def test_empty_texts_pool_as_wordllamas_do():
    """No tokens: wordllama divides zero by zero (NaN, with numpy's warning); the same bits here, whatever the batch."""
    embedder = WordLlamaEmbedder.shared()
    for texts in ([""], ["", ""], ["", "Kim pledged support", ""]):
        with np.errstate(invalid="ignore"):
            fast = embedder.embed(texts)
            own = np.asarray(embedder._model.embed(texts, norm=True), dtype=np.float32)
        assert np.array_equal(fast.view(np.uint32), own.view(np.uint32))


def test_no_texts_gives_an_empty_matrix():
    assert WordLlamaEmbedder.shared().embed([]).shape == (0, WordLlamaEmbedder.dim)


def test_serving_and_embedding_do_not_import_scipy():
    """SciPy costs a server 9–22 MB and 90–130 ms to import; the pooling is plain numpy (docs/performance.md, Memory)."""
    code = ("import sys; from app.embed.wordllama import WordLlamaEmbedder; WordLlamaEmbedder().embed(['a b', 'c']); "
            "import app.main; print('scipy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False"]
