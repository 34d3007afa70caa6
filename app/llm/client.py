"""Chat completions through the ``openai`` client: OpenAI, vLLM, Ollama, llama.cpp all speak it.

Retries with exponential backoff come from the client itself (``max_retries``): on timeouts, connection errors,
408, 409, 429 and 5xx. ``timeout`` bounds each attempt, not the request (docs/llm.md *Timeouts and retries*).
A 200 that is not a chat completion (a web page at that URL) raises LLMReplyError, on both paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.dependency_errors import LLMReplyError

if TYPE_CHECKING:  # imported where a client is made: ~0.9 s that a process without an LLM never needs
    from openai import OpenAI


@dataclass
class Completion:
    text: str
    usage: dict = field(default_factory=dict)
    model: str = ""


class LLMClient:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout: float = 120,
                 max_retries: int = 3, temperature: float = 0.0, reported_model: bool = True) -> None:
        """``reported_model=False``: usage names ``model``, not what the server says it ran (llama.cpp reports the
        GGUF's absolute path, which is no model name and tells an API client where the server's files are)."""
        self.base_url = base_url
        self.model = model
        self.temperature = temperature
        self.reported_model = reported_model
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                              max_retries=max_retries)

    @property
    def raw(self) -> OpenAI:
        """The underlying client, for calls this wrapper does not cover (e.g. logprobs)."""
        return self._client

    def complete(self, messages: list[dict], max_tokens: int) -> Completion:
        raw = self._client.chat.completions.with_raw_response.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=self.temperature,
        )
        response = raw.parse()  # not a ChatCompletion when the body was no JSON (the client then returns the text)
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list) or not choices or getattr(choices[0], "message", None) is None:
            raise LLMReplyError(str(raw.http_request.url), _content_type(raw.headers))
        usage = response.usage.model_dump() if getattr(response, "usage", None) else {}
        model = (response.model if self.reported_model else None) or self.model
        return Completion(strip_reasoning(_text(choices[0].message.content)), _usage(usage), model)

    def stream(self, messages: list[dict], max_tokens: int) -> "TokenStream":
        raw = self._client.chat.completions.with_raw_response.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=self.temperature,
            stream=True, stream_options={"include_usage": True},
        )
        return TokenStream(raw.parse(), str(raw.http_request.url), _content_type(raw.headers))


def _content_type(headers) -> str:
    return (headers.get("content-type") or "no Content-Type").split(";")[0].strip()


class TokenStream:
    """Iterate text deltas; ``close()`` drops the connection, which stops generation server-side.

    A stream that ends without one chat completion chunk was no chat completion stream (an HTML page parses as
    no events at all): LLMReplyError, rather than an empty answer the guard would read as "no answer found"."""

    def __init__(self, raw, url: str = "", content_type: str = "") -> None:
        self._raw = raw
        self._url = url
        self._content_type = content_type
        self.text = ""
        self.usage: dict = {}

    def __iter__(self) -> Iterator[str]:
        chunks = 0
        for chunk in self._chunks():
            choices = getattr(chunk, "choices", None)
            usage = getattr(chunk, "usage", None)
            if choices is None and not usage:
                continue  # an event that is no chat completion chunk
            chunks += 1
            if usage:
                self.usage = _usage(usage.model_dump())
            if choices and choices[0].delta and _text(choices[0].delta.content):
                delta = _text(choices[0].delta.content)
                self.text += delta
                yield delta
        if not chunks:
            got = self._content_type if "event-stream" not in self._content_type else \
                "an event stream with no chat completion chunk"
            raise LLMReplyError(self._url, got)

    def _chunks(self):
        """The client's chunks; a chunk that is no JSON is the endpoint failing mid-stream (openai raised the bare
        JSONDecodeError, an "internal error"), as an error event in the stream is (openai.APIError)."""
        from openai import APIError

        iterator = iter(self._raw)
        while True:
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            except json.JSONDecodeError as exc:
                raise APIError("the LLM endpoint sent a malformed stream chunk", getattr(self._raw, "response", None)
                               and self._raw.response.request, body=None) from exc
            yield chunk

    def close(self) -> None:
        self._raw.close()


_THINK = re.compile(r"<think>.*?(?:</think>|\Z)\s*", re.S | re.I)


def strip_reasoning(text: str) -> str:
    """The reply without a reasoning model's ``<think>…</think>`` (Qwen3, DeepSeek-R1 through Ollama or llama.cpp):
    its sentences are no answer (a "</think>" was left in the answer, the question a chat turn was rewritten to was
    "<think>", an INSUFFICIENT_CONTEXT it weighed refused the answer). A reply that starts inside the block (the
    template opened it) loses what comes before its "</think>"."""
    text = _THINK.sub("", text)
    if "</think>" in text.lower():
        text = text[text.lower().rindex("</think>") + len("</think>"):]
    return text.lstrip()


def _text(content) -> str:
    """A message's content: a string, or (some APIs) a list of parts, whose text parts are joined."""
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content if isinstance(content, str) else ""


def _usage(raw: dict) -> dict:
    usage = {k: raw.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens") if raw.get(k) is not None}
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is not None:  # prompt tokens the server reused from its cache (llama.cpp, OpenAI)
        usage["cached_tokens"] = cached
    return usage
