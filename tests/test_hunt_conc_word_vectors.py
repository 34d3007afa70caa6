"""The support checker's word-vector cache (``Aligner.word_vectors``) is emptied once it holds more than 200,000
words, so a long-running server stays bounded (the RealTimeQA corpus alone has ~237,000 distinct words, and the LLM
guard adds every evidence passage's words). The cache was emptied *after* it was decided which of the call's words
were cached, and the result was then read back from the emptied cache: the first call after the limit that mixed
a cached word with a new one raised KeyError, a 500 for that question (and, with two requests at once, a call
whose words were all cached failed the same way when another request emptied the cache under it)."""
from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.answer.alignment import Aligner
from app.config import Settings
from app.main import create_app
from app.samples import index_samples


class _Embedder:
    name, dim = "fake", 4

    def embed(self, texts):
        return np.ones((len(texts), self.dim), dtype=np.float32)


def _fill_past_the_limit(aligner: Aligner) -> None:
    for i in range(200_001):
        aligner._vectors[f"filler{i}"] = np.zeros(aligner.embedder.dim if aligner.embedder else 1, np.float32)


def test_a_call_after_the_cache_fills_returns_every_word():
    aligner = Aligner(_Embedder())
    aligner.word_vectors(["kim"])
    _fill_past_the_limit(aligner)
    vectors = aligner.word_vectors(["kim", "putin", "kim"])  # raised KeyError: 'kim'
    assert vectors.shape == (3, 4)
    assert len(aligner._vectors) < 200_000  # still bounded: the cache was emptied


def test_the_llm_guard_answers_after_its_word_cache_fills(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", llm_base_url="fake://", warmup=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        services = client.app.state.services
        index_samples(services.ingest)
        first = client.post("/v1/ask", json={"question": "What did Kim pledge?"})
        assert first.status_code == 200, first.text
        _fill_past_the_limit(services.checker.aligner)
        # a new question over some of the same passages: cached words and new ones in one call
        second = client.post("/v1/ask", json={"question": "What did Shoigu say?"})
        assert second.status_code == 200, second.text
