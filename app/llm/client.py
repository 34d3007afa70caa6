"""Chat completions through the ``openai`` client: OpenAI, vLLM, Ollama, llama.cpp all speak it.

Retries with exponential backoff on 429 and 5xx come from the client itself (``max_retries``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a client is made: ~0.9 s that a process without an LLM never needs
    from openai import OpenAI


@dataclass
class Completion:
    text: str
    usage: dict = field(default_factory=dict)
    model: str = ""


class LLMClient:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout: float = 120,
                 max_retries: int = 3, temperature: float = 0.0) -> None:
        self.base_url = base_url
        self.model = model
        self.temperature = temperature
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                              max_retries=max_retries)

    @property
    def raw(self) -> OpenAI:
        """The underlying client, for calls this wrapper does not cover (e.g. logprobs)."""
        return self._client

    def complete(self, messages: list[dict], max_tokens: int) -> Completion:
        response = self._client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=self.temperature,
        )
        usage = response.usage.model_dump() if response.usage else {}
        return Completion(response.choices[0].message.content or "", _usage(usage), response.model or self.model)

    def stream(self, messages: list[dict], max_tokens: int) -> "TokenStream":
        raw = self._client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=self.temperature,
            stream=True, stream_options={"include_usage": True},
        )
        return TokenStream(raw)


class TokenStream:
    """Iterate text deltas; ``close()`` drops the connection, which stops generation server-side."""

    def __init__(self, raw) -> None:
        self._raw = raw
        self.text = ""
        self.usage: dict = {}

    def __iter__(self) -> Iterator[str]:
        for chunk in self._raw:
            if getattr(chunk, "usage", None):
                self.usage = _usage(chunk.usage.model_dump())
            if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                delta = chunk.choices[0].delta.content
                self.text += delta
                yield delta

    def close(self) -> None:
        self._raw.close()


def _usage(raw: dict) -> dict:
    usage = {k: raw.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens") if raw.get(k) is not None}
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is not None:  # prompt tokens the server reused from its cache (llama.cpp, OpenAI)
        usage["cached_tokens"] = cached
    return usage
