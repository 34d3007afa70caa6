"""A deterministic stand-in for an LLM, for tests, demos and integrators: ``CITEWIRE_LLM_BASE_URL=fake://``.

It is not a mock of Citewire's code: the real ``openai`` client sends real OpenAI chat-completion
requests (plain, streamed, with logprobs) through an ``httpx`` transport that answers in process,
so every layer above the wire (prompt budgeting, streaming, the faithfulness guard, the judge)
runs exactly as with a real model. Its "model" is extractive and grounded:

- answer / summary prompts (``<passage id="n">`` blocks): the first sentence of the one or two
  passages sharing most words with the request, each cited ``[n]``; ``INSUFFICIENT_CONTEXT``
  when no passage shares a content word;
- the yes/no judge (a request with ``logprobs``): "yes" with P(yes) = 0.9;
- anything else (e.g. the condense prompt): the text after "Last message:", else the last line.

Integrators can also use it directly: ``FakeLLMClient()`` is an ``LLMClient``.
"""

from __future__ import annotations

import json
import math
import re

import httpx

from app.llm.client import LLMClient

FAKE_SCHEME = "fake://"
_PASSAGE = re.compile(r'<passage id="(\d+)">\n(.*?)\n</passage>', re.S)
_WORD = re.compile(r"[a-z0-9]{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def is_fake(base_url: str | None) -> bool:
    return bool(base_url) and base_url.startswith(FAKE_SCHEME)


def fake_reply(messages: list[dict]) -> str:
    user = str(messages[-1].get("content", "")) if messages else ""
    passages = _PASSAGE.findall(user)
    if passages:
        asked = set(_WORD.findall(_PASSAGE.sub(" ", user).lower()))
        scored = sorted(((len(asked & set(_WORD.findall(text.lower()))), -int(n), n, text) for n, text in passages),
                        reverse=True)
        chosen = [(n, text) for overlap, _, n, text in scored[:2] if overlap > 0]
        if not chosen:
            return "INSUFFICIENT_CONTEXT"
        return " ".join(f"{_first_sentence(text)} [{n}]" for n, text in sorted(chosen, key=lambda c: int(c[0])))
    if "Last message:" in user:
        return user.split("Last message:", 1)[1].strip().splitlines()[0].strip()
    lines = [line for line in user.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _first_sentence(text: str) -> str:
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    return sentence.rstrip(".!?") + "."


class FakeLLMTransport(httpx.BaseTransport):
    """Answers ``POST …/chat/completions`` like an OpenAI-compatible server would."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/models"):  # /readyz's probe (app/llm/status.py)
            return httpx.Response(200, json={"object": "list", "data": [
                {"id": "citewire-fake", "object": "model", "created": 0, "owned_by": "citewire"}]})
        if not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404, json={"error": {"message": f"fake LLM has no {request.url.path}"}})
        body = json.loads(request.content)
        model = body.get("model", "citewire-fake")
        if body.get("logprobs"):
            return httpx.Response(200, json=_completion(model, "yes", _judge_logprobs(0.9)))
        text = fake_reply(body.get("messages", []))
        if not body.get("stream"):
            return httpx.Response(200, json=_completion(model, text))
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=_events(model, text).encode())


def _usage(text: str) -> dict:
    completion = len(text.split())
    return {"prompt_tokens": 100, "completion_tokens": completion, "total_tokens": 100 + completion}


def _completion(model: str, text: str, logprobs: dict | None = None) -> dict:
    choice = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text},
              "logprobs": logprobs}
    return {"id": "fake", "object": "chat.completion", "created": 0, "model": model, "choices": [choice],
            "usage": _usage(text)}


def _judge_logprobs(p_yes: float) -> dict:
    top = [{"token": "yes", "logprob": math.log(p_yes), "bytes": None},
           {"token": "no", "logprob": math.log(1 - p_yes), "bytes": None}]
    return {"content": [{"token": "yes", "logprob": math.log(p_yes), "bytes": None, "top_logprobs": top}]}


def _events(model: str, text: str) -> str:
    def event(payload: dict) -> str:
        return f"data: {json.dumps(payload)}\n\n"

    head = {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": model}
    words = text.split(" ")
    chunks = [event(head | {"choices": [{"index": 0, "delta": {"content": w + (" " if i < len(words) - 1 else "")},
                                         "finish_reason": None}]}) for i, w in enumerate(words)]
    chunks.append(event(head | {"choices": [], "usage": _usage(text)}))
    return "".join(chunks) + "data: [DONE]\n\n"


class FakeLLMClient(LLMClient):
    """An ``LLMClient`` whose requests never leave the process."""

    def __init__(self, model: str = "citewire-fake", temperature: float = 0.0) -> None:
        super().__init__("http://fake-llm.invalid/v1", model, "fake", timeout=10, max_retries=0,
                         temperature=temperature)
        from openai import OpenAI  # as app/llm/client.py: only where a client is made

        self._client = OpenAI(base_url=self.base_url, api_key="fake", max_retries=0,
                              http_client=httpx.Client(transport=FakeLLMTransport()))
