"""Any OpenAI-compatible embeddings endpoint (OpenAI, vLLM, Ollama, llama.cpp, TEI)."""

from __future__ import annotations

import numpy as np
import openai
from openai import OpenAI

from app.dependency_errors import EmbeddingEndpointError


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, api_key: str | None, batch_size: int = 128) -> None:
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", max_retries=4, timeout=60)
        self._endpoint = base_url
        self.name = model
        self._model = model
        self._batch = batch_size
        self.dim = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            try:
                response = self._client.embeddings.create(model=self._model, input=texts[start : start + self._batch])
            except openai.OpenAIError as exc:  # said as the embeddings endpoint's failure, not the LLM's
                raise EmbeddingEndpointError(self._endpoint, exc) from exc
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        if not rows:
            return np.zeros((0, max(self.dim, 1)), dtype=np.float32)
        matrix = np.asarray(rows, dtype=np.float32)
        self.dim = matrix.shape[1]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)
